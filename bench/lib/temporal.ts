/** The bench's Temporal: the shared dev server, or private ones it starts with chosen settings. */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { devServerFlags } from './dev-server-flags';
import { searchAttributeDefinitions } from '../../src/shared/search-attributes';
import { setUpNamespaceAt } from '../../src/temporal/namespace';
import { freePort, startProcess, type Proc } from './procs';
import { run } from './run-state';
import { settings } from './settings';
import { say, sleep } from './util';

/** The flags the project's dev servers started with before the levers were measured. */
export const LEGACY_FLAGS = [
  '--dynamic-config-value=frontend.enableExecuteMultiOperation=true',
  '--dynamic-config-value=system.enableEagerWorkflowStart=true',
];

function cli(): string {
  const bin = process.env.TEMPORAL_CLI;
  if (!bin) throw new Error('a private Temporal server needs TEMPORAL_CLI (scripts/bench.sh sets it)');
  return bin;
}

export interface PrivateTemporal {
  address: string;
  proc: Proc;
}

/** A private dev server (in memory or on a SQLite file) with the namespace and search attributes of lib.sh. */
export async function startPrivateTemporal(
  kind: 'memory' | 'file',
  flags: string[] = devServerFlags(kind),
  label: string = kind,
): Promise<PrivateTemporal> {
  const port = await freePort();
  const dbFile = path.join(settings.logDir, `temporal-${settings.runId}-${port}.db`);
  const args = [
    'server',
    'start-dev',
    '--headless',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--log-level',
    'warn',
    '--namespace',
    settings.namespace,
    ...flags,
    ...Object.entries(searchAttributeDefinitions).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]),
    ...(kind === 'file' ? ['--db-filename', dbFile] : []),
  ];
  const proc = startProcess(
    `temporal (${label})`,
    cli(),
    args,
    process.env,
    path.join(settings.logDir, 'temporal.log'),
  );
  run.procs.push(proc);
  const address = `127.0.0.1:${port}`;
  say(`Started a private Temporal dev server (${label}) at ${address}`);
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      execFileSync(
        cli(),
        ['operator', 'namespace', 'describe', '--address', address, '--namespace', settings.namespace],
        {
          stdio: 'ignore',
        },
      );
      // The retention every set-up path gives the namespace (src/temporal/namespace.ts).
      await setUpNamespaceAt(address, settings.namespace);
      return { address, proc };
    } catch {
      if (Date.now() > deadline) throw new Error('the private Temporal server did not become ready');
      await sleep(500);
    }
  }
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
