import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Proc } from './process';

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
  const proc = new Proc(entry, process.execPath, [path.join(outDir, entry)], env, path.join(outDir, `${entry}.log`));
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
