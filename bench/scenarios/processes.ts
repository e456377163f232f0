/** Starting what the bench measures: the service's API and worker, the floor's, the plain baseline. */
import path from 'node:path';
import { startProcess, waitForHttp } from '../lib/procs';
import { freePort } from '../../harness/wait';
import { run } from '../lib/run-state';
import { ROOT, settings } from '../lib/settings';
import { floorTaskQueue } from '../lib/temporal';
import { httpClient, type HttpClient } from '../lib/util';
import { sleep } from '../../harness/wait';

export interface Running {
  base: string;
  pids: { api: number; worker: number };
  http: HttpClient;
  stop: () => Promise<void>;
}

/** The service's environment for a bench run; `overrides` are a variant's own settings. */
export function serviceEnv(port: number, overrides: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NODE_ENV: 'development',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    PORT: String(port),
    DATABASE_URL: settings.databaseUrl,
    REDIS_URL: settings.redisUrl,
    TEMPORAL_ADDRESS: run.temporalAddress,
    TEMPORAL_NAMESPACE: settings.namespace,
    TASK_QUEUE: settings.taskQueue,
    HOLD_TTL_SECONDS: String(settings.holdTtl),
    PAYMENT_TIMEOUT_SECONDS: String(settings.holdTtl),
    WEBHOOK_SECRET: settings.webhookSecret,
    ADMIN_TOKEN: settings.adminToken,
    WORKER_METRICS_ADDRESS: '',
    // Its own schedule: one left from an earlier run would point at that run's task queue, where no worker polls,
    // and with overlap "skip" its stuck run would hold back every later sweep.
    SWEEP_SCHEDULE_ID: settings.sweepSchedule,
    PURGE_SCHEDULE_ID: settings.purgeSchedule,
    SWEEP_INTERVAL_SECONDS: String(settings.sweepInterval),
    SWEEP_GRACE_SECONDS: String(settings.sweepGrace),
    // All the load comes from one loopback address; real buyers come from many. The per-address limit would
    // answer 429 after a few hundred holds, so it is off here (its cost per request is one Redis call).
    RATE_LIMIT_ENABLED: process.env.BENCH_RATE_LIMIT_ENABLED ?? 'false',
    ...overrides,
  };
}

const nodeFlags = (name: string) =>
  settings.profile ? [`--cpu-prof`, `--cpu-prof-dir=${path.join(settings.logDir, 'profiles', name)}`] : [];

async function startPair(
  label: string,
  command: (part: 'api' | 'worker') => string[],
  env: NodeJS.ProcessEnv,
  port: number,
): Promise<Running> {
  const worker = startProcess(`${label} worker`, process.execPath, command('worker'), env, logFile(label, 'worker'));
  const api = startProcess(`${label} api`, process.execPath, command('api'), env, logFile(label, 'api'));
  run.procs.push(api, worker);
  const base = `http://127.0.0.1:${port}`;
  await waitForHttp(`${base}/api/holds`, api, 60);
  const http = httpClient(base, 256);
  return {
    base,
    pids: { api: api.pid, worker: worker.pid },
    http,
    stop: async () => {
      http.close();
      await api.stop();
      await worker.stop();
    },
  };
}

const logFile = (label: string, part: string) =>
  path.join(settings.logDir, `${label.replace(/\W+/g, '-')}-${part}.log`);

/** The service (API + worker) from a compiled dist/ (another build's gives a before/after on one machine). */
export async function startService(
  opts: { dist?: string; env?: NodeJS.ProcessEnv; label?: string } = {},
): Promise<Running> {
  const port = await freePort();
  const dist = opts.dist ?? settings.serviceDist;
  const label = opts.label ?? 'service';
  const running = await startPair(
    label,
    (part) => [...nodeFlags(`${label}-${part}`), path.join(dist, `${part}/main.js`)],
    serviceEnv(port, opts.env),
    port,
  );
  run.serviceStarted = true;
  return running;
}

/** The Temporal floor (bench/floor): the same worker settings and reservation, the least workflow around it. */
export async function startFloor(): Promise<Running> {
  const port = await freePort();
  const main = path.join(ROOT, 'bench/floor/main.ts');
  return startPair(
    'floor',
    (part) => [...nodeFlags(`floor-${part}`), '--import', 'tsx', main, part],
    serviceEnv(port, { TASK_QUEUE: floorTaskQueue }),
    port,
  );
}

/**
 * The floor's eager-start variant, laid out as the service is by default: one process serves HTTP and runs a hold
 * worker on one NativeConnection (bench/floor `eager`), beside a worker process on the same task queue.
 */
export async function startEagerFloor(opts: { label?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Running> {
  const port = await freePort();
  const main = path.join(ROOT, 'bench/floor/main.ts');
  const label = opts.label ?? 'floor eager';
  return startPair(
    label,
    (part) => [
      ...nodeFlags(`${label.replace(/\W+/g, '-')}-${part}`),
      '--import',
      'tsx',
      main,
      part === 'api' ? 'eager' : 'worker',
    ],
    serviceEnv(port, { TASK_QUEUE: `${floorTaskQueue}-${label.replace(/\W+/g, '-')}`, ...opts.env }),
    port,
  );
}

/** Holds until one is answered 201: the first waits for the worker's first poll. */
export async function waitForFirstHold(http: HttpClient, product: number) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await http.request('POST', '/api/holds', { product_id: product, quantity: 1 });
    if (r.status === 201) return;
    if (Date.now() > deadline) {
      throw new Error(`no hold was created: ${r.status} ${JSON.stringify(r.body)}`);
    }
    await sleep(500);
  }
}
