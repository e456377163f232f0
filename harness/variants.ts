import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

const ROOT = path.resolve(__dirname, '..');
/** Where variant builds live: one directory per variant, rebuilt from scratch each time. */
export const VARIANTS_DIR = path.join(ROOT, '.run', 'variants');

/**
 * Copies the service's sources (src/, the tsconfig files, package.json) into `.run/variants/<name>/`, with
 * node_modules linked, not copied. Returns the copy's directory.
 */
export function copySources(name: string, into = VARIANTS_DIR): string {
  const dir = path.join(into, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(path.join(ROOT, 'src'), path.join(dir, 'src'), { recursive: true });
  for (const f of ['tsconfig.json', 'tsconfig.build.json', 'package.json']) {
    cpSync(path.join(ROOT, f), path.join(dir, f));
  }
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

/** Applies a unified diff made with `git diff` (paths a/src/…, b/src/…) to a copy; `check` only tests that it would. */
export async function applyPatch(dir: string, patchFile: string, check = false): Promise<void> {
  // Inside a repository git apply resolves paths against its top level (the real tree); a GIT_DIR that does not
  // exist makes it patch the copy it runs in.
  const args = ['apply', '--whitespace=nowarn', ...(check ? ['--check'] : []), path.resolve(patchFile)];
  try {
    await run('git', args, { cwd: dir, env: { ...process.env, GIT_DIR: path.join(dir, '.no-git') } });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`${path.basename(patchFile)} does not apply to src/: ${stderr.trim() || (err as Error).message}`);
  }
}

/**
 * A build of the service with `patchFile` applied (a mutant, or another version for an upgrade drill): the sources are
 * copied to `.run/variants/<name>/`, patched, compiled with tsconfig.build.json, and its workflow bundle made from the
 * patched workflows. Returns the variant's dist directory (api/main.js, worker/main.js, workflow-bundle.js).
 */
export async function buildVariant(name: string, patchFile: string): Promise<string> {
  const dir = copySources(name);
  await applyPatch(dir, patchFile);
  const dist = path.join(dir, 'dist');
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    await run('node', [tsc, '-p', path.join(dir, 'tsconfig.build.json')], { cwd: dir, maxBuffer: 16 << 20 });
  } catch (err) {
    const out = (err as { stdout?: string }).stdout ?? '';
    throw new Error(`variant ${name} does not compile: ${out.trim().slice(0, 2_000) || (err as Error).message}`);
  }
  await run('node', [path.join(dist, 'cli', 'bundle-workflows.js'), path.join(dist, 'workflow-bundle.js')], {
    cwd: dir,
  });
  if (!existsSync(path.join(dist, 'api', 'main.js')) || !existsSync(path.join(dist, 'worker', 'main.js'))) {
    throw new Error(`variant ${name}: the build made no api/main.js or worker/main.js under ${dist}`);
  }
  return dist;
}
