/** The bench's Temporal: the shared dev server, or private ones it starts with chosen settings. */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { devServerFlags, startDevServer, type DevServer } from '../../harness/temporal';
import { freePort } from '../../harness/wait';
import { run } from './run-state';
import { settings } from './settings';
import { say } from './util';

/** The flags the project's dev servers started with before the levers were measured. */
export const LEGACY_FLAGS = [
  '--dynamic-config-value=frontend.enableExecuteMultiOperation=true',
  '--dynamic-config-value=system.enableEagerWorkflowStart=true',
];

export type PrivateTemporal = DevServer;

/** A private dev server (in memory or on a SQLite file) with the run's namespace: the harness's launcher. */
export async function startPrivateTemporal(
  kind: 'memory' | 'file',
  flags: string[] = devServerFlags(kind),
  label: string = kind,
): Promise<PrivateTemporal> {
  const port = await freePort();
  const server = await startDevServer({
    name: `temporal (${label})`,
    port,
    // The server's own counts of its work (persistence and RPC requests by operation): bench/lib/server-requests.ts.
    metricsPort: await freePort(),
    namespace: settings.namespace,
    flags,
    logFile: path.join(settings.logDir, 'temporal.log'),
    dbFile: kind === 'file' ? path.join(settings.logDir, `temporal-${settings.runId}-${port}.db`) : undefined,
  });
  run.procs.push(server.proc);
  say(`Started a private Temporal dev server (${label}) at ${server.address}`);
  return server;
}

/** The floor's workflows poll a queue of their own, beside the service's. */
export const floorTaskQueue = `${settings.taskQueue}-floor`;

/** The run's open holds stay on its own task queue; a server-side batch job terminates them in the background. */
export function terminateLeftovers() {
  const bin = process.env.TEMPORAL_CLI;
  if (!bin) return;
  const base = ['--address', run.temporalAddress, '--namespace', settings.namespace];
  for (const schedule of [settings.sweepSchedule, settings.purgeSchedule]) {
    try {
      execFileSync(bin, ['schedule', 'delete', ...base, '--schedule-id', schedule], {
        stdio: 'ignore',
        timeout: 30_000,
      });
    } catch {
      say(`Could not delete the run's schedule ${schedule}`);
    }
  }
  try {
    const queues = [settings.taskQueue, floorTaskQueue, `${floorTaskQueue}-eager`]
      .map((q) => `TaskQueue = '${q}'`)
      .join(' OR ');
    const query = `(${queues}) AND ExecutionStatus = 'Running'`;
    execFileSync(bin, ['workflow', 'terminate', ...base, '--query', query, '--reason', 'bench run finished', '--yes'], {
      stdio: 'ignore',
      timeout: 30_000,
    });
    say('Asked Temporal to terminate the run’s remaining workflows (batch job)');
  } catch {
    say('Could not start the batch termination of the run’s workflows (they stay on their own task queue)');
  }
}

export function cliVersion(): string {
  try {
    return execFileSync(process.env.TEMPORAL_CLI ?? 'temporal', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

export { devServerFlags };
