import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Proc, type ProcOptions } from './process';

/**
 * The service as processes of their own, for test/, chaos/ and bench/: its build, its environment from a run's
 * settings, its API and worker processes started from that build, and the waits until each serves.
 */

const root = path.resolve(__dirname, '..');

/**
 * Compiles the service into `.run/<tag>-build-<pid>` (inside the repository, so its processes resolve
 * node_modules; a build of its own, so a rebuild of dist/ meanwhile cannot change them). Returns the directory
 * and a function that removes it.
 */
export async function compileService(tag: string): Promise<{ outDir: string; remove: () => void }> {
  const outDir = path.join(root, '.run', `${tag}-build-${process.pid}`);
  await promisify(execFile)(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', outDir],
    { cwd: root, timeout: 180_000 },
  );
  return { outDir, remove: () => rmSync(outDir, { recursive: true, force: true }) };
}

/**
 * What a multi-process run sets of the service (src/config.ts); everything else, and an optional field left out, is
 * the service's default.
 */
export interface ServiceSettings {
  /** Left out when each API process gets its own (PORT in its extra environment). */
  port?: number;
  logLevel: string;
  databaseUrl: string;
  redisUrl: string;
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  holdTtlSeconds: number;
  paymentTimeoutSeconds: number;
  sweepIntervalSeconds?: number;
  sweepGraceSeconds?: number;
  /**
   * The run's own schedules: one left from an earlier run would point at that run's task queue, where no worker
   * polls, and with overlap "skip" its stuck run would hold back every later sweep.
   */
  sweepScheduleId: string;
  purgeScheduleId: string;
  webhookSecret: string;
  adminToken?: string;
}

/**
 * The environment of the service's processes: `base` (what the run passes through), then its settings, in
 * development mode, without the worker's metrics endpoint (several workers share the machine).
 */
export function serviceEnv(s: ServiceSettings, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: Record<string, string | number | undefined> = {
    NODE_ENV: 'development',
    LOG_LEVEL: s.logLevel,
    PORT: s.port,
    DATABASE_URL: s.databaseUrl,
    REDIS_URL: s.redisUrl,
    TEMPORAL_ADDRESS: s.temporalAddress,
    TEMPORAL_NAMESPACE: s.namespace,
    TASK_QUEUE: s.taskQueue,
    HOLD_TTL_SECONDS: s.holdTtlSeconds,
    PAYMENT_TIMEOUT_SECONDS: s.paymentTimeoutSeconds,
    SWEEP_INTERVAL_SECONDS: s.sweepIntervalSeconds,
    SWEEP_GRACE_SECONDS: s.sweepGraceSeconds,
    SWEEP_SCHEDULE_ID: s.sweepScheduleId,
    PURGE_SCHEDULE_ID: s.purgeScheduleId,
    WEBHOOK_SECRET: s.webhookSecret,
    ADMIN_TOKEN: s.adminToken,
    WORKER_METRICS_ADDRESS: '',
  };
  const set = Object.entries(env).filter(([, v]) => v !== undefined);
  return { ...base, ...Object.fromEntries(set.map(([k, v]) => [k, String(v)])) };
}

/** The entry point of the service's API or worker process in a build. */
export const partScript = (dist: string, part: 'api' | 'worker') => path.join(dist, part, 'main.js');

/** A process running on the harness's own Node.js (`args`: its flags and script), its output in `logFile`. */
export const startNode = (name: string, args: string[], env: NodeJS.ProcessEnv, logFile: string, opts?: ProcOptions) =>
  new Proc(name, process.execPath, args, env, logFile, opts);

/** Waits until a worker process polls its task queue (it logs "worker running"), and marks it ready. */
export async function untilPolling(worker: Proc, ms: number): Promise<void> {
  worker.ready = (await worker.waitForLine(/worker running/, ms)) !== null;
  if (worker.ready) return;
  const why = worker.alive ? `did not start polling within ${ms / 1000} s` : 'exited during start-up';
  throw new Error(`${worker.name} ${why} (see ${worker.logFile})`);
}

export interface LaunchedProcess {
  name: string;
  child: Proc['child'];
  /** Its JSON log lines (stdout and stderr), as they arrive. */
  lines: Record<string, unknown>[];
  /** Its lines that are not JSON log lines. */
  stderr: string[];
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  logged: (msg: string) => Record<string, unknown> | undefined;
}

/**
 * Runs a compiled entry point (e.g. `worker/main.js`) as the harness's Proc, its output in `<outDir>/<entry>.log`,
 * and collects its log lines.
 */
export function launchService(outDir: string, entry: string, env: NodeJS.ProcessEnv): LaunchedProcess {
  const proc = startNode(entry, [path.join(outDir, entry)], env, path.join(outDir, `${entry}.log`));
  const lines: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  proc.onLine((line) => {
    try {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      stderr.push(line);
    }
  });
  return {
    name: entry,
    child: proc.child,
    lines,
    stderr,
    exited: proc.exited.then(({ code }) => code),
    logged: (msg) => lines.find((l) => l.msg === msg),
  };
}
