import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { searchAttributeDefinitions } from '../src/shared/search-attributes';
import { setUpNamespaceAt } from '../src/temporal/namespace';
import { Proc, type PidRegistry } from './process';
import { freePort } from './wait';

const ROOT = path.resolve(__dirname, '..');
const run = promisify(execFile);

/** The pinned Temporal CLI: TEMPORAL_CLI (scripts/lib.sh sets it), else the copy scripts/lib.sh installs. */
export const temporalCli = () => process.env.TEMPORAL_CLI ?? path.join(ROOT, '.run/tools/bin/temporal');

/** The flags of scripts/temporal-dev-server*.flags, which every dev server of the project starts with. */
export function devServerFlags(kind: 'memory' | 'file'): string[] {
  const read = (name: string) =>
    readFileSync(path.join(ROOT, 'scripts', name), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
  return [...read('temporal-dev-server.flags'), ...(kind === 'file' ? read('temporal-dev-server-file.flags') : [])];
}

export interface DevServerOptions {
  /** Its output goes here. */
  logFile: string;
  /** A SQLite file keeps its state (it survives a restart); without one it runs in memory. */
  dbFile?: string;
  /** Default: a free one. */
  port?: number;
  /** Serves the server's Prometheus metrics on this port (`/metrics`); none by default. */
  metricsPort?: number;
  /** Created at start with the service's search attributes (src/shared/search-attributes.ts); `default` always is. */
  namespace?: string;
  /** Default: the project's flags for the kind (memory, or file when `dbFile` is given). */
  flags?: string[];
  name?: string;
  registry?: PidRegistry;
  env?: NodeJS.ProcessEnv;
}

export interface DevServer {
  address: string;
  proc: Proc;
  /** With `metricsPort`: the server's Prometheus endpoint. */
  metricsUrl?: string;
}

/**
 * The one Temporal dev-server launcher of the harness: `temporal server start-dev` headless on loopback, with the
 * project's flags and the search attributes the workflows write; resolves once the namespace answers.
 */
export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const port = opts.port ?? (await freePort());
  const address = `127.0.0.1:${port}`;
  const namespace = opts.namespace ?? 'default';
  const args = [
    ...['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'warn'],
    ...(namespace === 'default' ? [] : ['--namespace', namespace]),
    ...(opts.flags ?? devServerFlags(opts.dbFile ? 'file' : 'memory')),
    ...Object.entries(searchAttributeDefinitions).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]),
    ...(opts.dbFile ? ['--db-filename', opts.dbFile] : []),
    ...(opts.metricsPort ? ['--metrics-port', String(opts.metricsPort)] : []),
  ];
  const proc = new Proc(opts.name ?? 'temporal', temporalCli(), args, opts.env ?? process.env, opts.logFile, {
    registry: opts.registry,
  });
  // The frontend port opens before the namespace is ready: wait until the namespace answers.
  const ready = async () => {
    const describe = ['operator', 'namespace', 'describe', '--address', address, '--namespace', namespace];
    await run(temporalCli(), describe, { timeout: 5_000 });
    // The retention every set-up path gives the namespace (src/temporal/namespace.ts).
    await setUpNamespaceAt(address, namespace);
    return true;
  };
  await proc.untilAnswering(ready, 60_000).catch(async (err: unknown) => {
    await proc.kill();
    throw err;
  });
  return { address, proc, metricsUrl: opts.metricsPort ? `http://127.0.0.1:${opts.metricsPort}/metrics` : undefined };
}
