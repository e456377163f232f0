/** Starting what the bench measures: the service's API and worker, the floor's, the plain baseline. */
import path from 'node:path';
import { sweepTaskQueue } from '../../src/config';
import { partScript, serviceEnv, startNode } from '../../harness/service';
import { freePort } from '../../harness/wait';
import { waitForHttp } from '../lib/procs';
import { run } from '../lib/run-state';
import { ROOT, settings } from '../lib/settings';
import { floorTaskQueue } from '../lib/temporal';
import { httpClient, type HttpClient } from '../lib/util';

export interface Running {
  base: string;
  pids: { api: number; worker: number };
  http: HttpClient;
  stop: () => Promise<void>;
}

/** The service's environment for a bench run; `overrides` are a variant's own settings. */
function benchEnv(port: number, overrides: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  // The bench's settings where their names are the service's, then those it names otherwise.
  const service = {
    ...settings,
    port,
    logLevel: process.env.BENCH_LOG_LEVEL ?? 'warn',
    temporalAddress: run.temporalAddress,
    holdTtlSeconds: settings.holdTtl,
    paymentTimeoutSeconds: settings.holdTtl,
    sweepIntervalSeconds: settings.sweepInterval,
    sweepGraceSeconds: settings.sweepGrace,
    sweepScheduleId: settings.sweepSchedule,
    purgeScheduleId: settings.purgeSchedule,
  };
  return {
    ...serviceEnv(service, process.env),
    // All the load comes from one loopback address; real buyers come from many. The per-address limit would
    // answer 429 after a few hundred holds, so it is off here (its cost per request is one Redis call).
    RATE_LIMIT_ENABLED: process.env.BENCH_RATE_LIMIT_ENABLED ?? 'false',
    // Every service process of the run sweeps from one queue: the backup sweep's Schedule is the run's, and a variant
    // on a task queue of its own (Update-with-Start, a lever's build) would otherwise point it at its own sweep queue,
    // which nobody polls once that variant stops.
    SWEEP_TASK_QUEUE: sweepTaskQueue({ TASK_QUEUE: settings.taskQueue }),
    ...overrides,
  };
}

/**
 * The API and worker of a system under test (`script`: each one's script and its arguments), on a free port;
 * profiled (`--profile`) into profiles/<profile>-<part>.
 */
async function startPair(
  label: string,
  profile: string,
  script: (part: 'api' | 'worker') => string[],
  overrides?: NodeJS.ProcessEnv,
): Promise<Running> {
  const port = await freePort();
  const env = benchEnv(port, overrides);
  const start = (part: 'api' | 'worker') => {
    const dir = path.join(settings.logDir, 'profiles', `${profile}-${part}`);
    const flags = settings.profile ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
    return startNode(`${label} ${part}`, [...flags, ...script(part)], env, logFile(label, part));
  };
  const worker = start('worker');
  const api = start('api');
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

const slug = (label: string) => label.replace(/\W+/g, '-');
const logFile = (label: string, part: string) => path.join(settings.logDir, `${slug(label)}-${part}.log`);
const floor = (mode: string) => ['--import', 'tsx', path.join(ROOT, 'bench/floor/main.ts'), mode];

/** The service (API + worker) from a compiled dist/ (another build's gives a before/after on one machine). */
export async function startService(
  opts: { dist?: string; env?: NodeJS.ProcessEnv; label?: string } = {},
): Promise<Running> {
  const label = opts.label ?? 'service';
  const running = await startPair(
    label,
    label,
    (part) => [partScript(opts.dist ?? settings.serviceDist, part)],
    opts.env,
  );
  run.serviceStarted = true;
  return running;
}

/** The Temporal floor (bench/floor): the same worker settings and reservation, the least workflow around it. */
export const startFloor = () => startPair('floor', 'floor', floor, { TASK_QUEUE: floorTaskQueue });

/**
 * The floor's eager-start variant, laid out as the service is by default: one process serves HTTP and runs a hold
 * worker on one NativeConnection (bench/floor `eager`), beside a worker process on the same task queue.
 */
export async function startEagerFloor(opts: { label?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Running> {
  const label = opts.label ?? 'floor eager';
  return startPair(label, slug(label), (part) => floor(part === 'api' ? 'eager' : 'worker'), {
    TASK_QUEUE: `${floorTaskQueue}-${slug(label)}`,
    ...opts.env,
  });
}
