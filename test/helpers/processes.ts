import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const root = path.resolve(__dirname, '../..');

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
  child: ChildProcess;
  /** Its JSON log lines (stdout), as they arrive. */
  lines: Record<string, unknown>[];
  stderr: string[];
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  logged: (msg: string) => Record<string, unknown> | undefined;
}

/** Runs a compiled entry point (e.g. `worker/main.js`) as its own process and collects its log lines. */
export function launchService(outDir: string, entry: string, env: NodeJS.ProcessEnv): LaunchedProcess {
  const child = spawn(process.execPath, [path.join(outDir, entry)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Record<string, unknown>[] = [];
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    for (const p of parts) {
      try {
        lines.push(JSON.parse(p));
      } catch {
        // not a log line
      }
    }
  });
  const stderr: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, lines, stderr, exited, logged: (msg) => lines.find((l) => l.msg === msg) };
}
