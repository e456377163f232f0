/** The bench's Temporal: the shared dev server, or private ones it starts with chosen settings. */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { devServerFlags, startDevServer, type DevServer } from '../../harness/temporal';
import { freePort } from '../../harness/wait';
import { run } from './run-state';
import { temporalWorkPerUnit } from './temporal-work';
import { settings } from './settings';
import { say } from './util';

/** The flags the project's dev servers started with before the levers were measured. */
export const LEGACY_FLAGS = [
  '--dynamic-config-value=frontend.enableExecuteMultiOperation=true',
  '--dynamic-config-value=system.enableEagerWorkflowStart=true',
];

/** A private dev server (in memory or on a SQLite file) with the run's namespace: the harness's launcher. */
export async function startPrivateTemporal(
  kind: 'memory' | 'file',
  flags: string[] = devServerFlags(kind),
  label: string = kind,
): Promise<DevServer> {
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

/** The Temporal work of these units on the run's server (lib/temporal-work.ts); null, and said, when not read. */
export const runTemporalWork = (units: string[][], processes: Record<string, number>, what: string) =>
  temporalWorkPerUnit(run.temporalAddress, settings.namespace, units, processes).catch((err: Error) => {
    say(`  ${what} not read: ${err.message}`);
    return null;
  });

/** The floor's workflows poll a queue of their own, beside the service's. */
export const floorTaskQueue = `${settings.taskQueue}-floor`;

/** The run's open holds stay on its own task queue; a server-side batch job terminates them in the background. */
export function terminateLeftovers() {
  const bin = process.env.TEMPORAL_CLI;
  if (!bin) return;
  const cli = (args: string[], done: string | null, failed: string) => {
    try {
      execFileSync(bin, [...args, '--address', run.temporalAddress, '--namespace', settings.namespace], {
        stdio: 'ignore',
        timeout: 30_000,
      });
      if (done) say(done);
    } catch {
      say(failed);
    }
  };
  for (const schedule of [settings.sweepSchedule, settings.purgeSchedule]) {
    cli(['schedule', 'delete', '--schedule-id', schedule], null, `Could not delete the run's schedule ${schedule}`);
  }
  const queues = [settings.taskQueue, floorTaskQueue, `${floorTaskQueue}-eager`]
    .map((q) => `TaskQueue = '${q}'`)
    .join(' OR ');
  const query = `(${queues}) AND ExecutionStatus = 'Running'`;
  cli(
    ['workflow', 'terminate', '--query', query, '--reason', 'bench run finished', '--yes'],
    'Asked Temporal to terminate the run’s remaining workflows (batch job)',
    'Could not start the batch termination of the run’s workflows (they stay on their own task queue)',
  );
}

export function cliVersion(): string {
  try {
    return execFileSync(process.env.TEMPORAL_CLI ?? 'temporal', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}
