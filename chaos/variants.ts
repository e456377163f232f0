import { execFile } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

const ROOT = path.resolve(__dirname, '..');
/** Where variants are built: one directory each, rebuilt from scratch on every call. */
export const VARIANTS_DIR = path.join(ROOT, '.run', 'variants');

/**
 * Today's source with `patchFile` applied (`patch -p1`, paths like `a/src/workflows/hold.ts`), in
 * `.run/variants/<name>/`: src/, the tsconfig files and package.json copied, node_modules a link to the project's.
 * Returns the variant's directory. A patch that does not apply cleanly throws.
 */
export async function variantSource(name: string, patchFile: string): Promise<string> {
  const dir = path.join(VARIANTS_DIR, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(path.join(ROOT, 'src'), path.join(dir, 'src'), { recursive: true });
  for (const f of readdirSync(ROOT).filter((f) => /^tsconfig.*\.json$/.test(f) || f === 'package.json')) {
    copyFileSync(path.join(ROOT, f), path.join(dir, f));
  }
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  await run('patch', [
    '-p1',
    '--forward',
    '--batch',
    '--no-backup-if-mismatch',
    '-d',
    dir,
    '-i',
    path.resolve(patchFile),
  ]);
  return dir;
}

/**
 * A build of the service that differs from today's by `patchFile`: compiled like `npm run build`
 * (tsconfig.build.json) into `.run/variants/<name>/dist`, with its own workflow bundle (`workflow-bundle.js`, which
 * its processes load through WORKFLOW_BUNDLE_PATH, so their workflow code is the variant's). Returns that dist dir.
 */
export async function buildVariant(name: string, patchFile: string): Promise<string> {
  const dir = await variantSource(name, patchFile);
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  await run(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: dir, timeout: 180_000 });
  const dist = path.join(dir, 'dist');
  await run(process.execPath, [path.join(dist, 'cli', 'bundle-workflows.js'), path.join(dist, 'workflow-bundle.js')], {
    cwd: dir,
    timeout: 180_000,
  });
  return dist;
}
