/** Facts about the machine and the code a bench run measured, and its result file: shared by run.ts and replicas.ts. */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { round } from './util';

const ROOT = path.resolve(__dirname, '../..');

/** The commit the run measured, and whether the tree had changes beyond it (then the figures are not its own). */
export function gitInfo() {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    // The bench's own outputs (a run before this one in the same session writes them) are not the code measured.
    const outputs = [':(exclude)bench/results', ':(exclude)docs/performance.png'];
    const changes = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', '--', '.', ...outputs], {
      cwd: ROOT,
      encoding: 'utf8',
    }).trim();
    return { commit, clean: changes === '', dirty: changes !== '' };
  } catch {
    return null;
  }
}

/** What else is using the CPU when the run starts (other work on the machine skews the figures). */
export function busiest(): string[] {
  try {
    const out = execFileSync('ps', ['-eo', 'pcpu,comm', '--sort=-pcpu', '--no-headers'], { encoding: 'utf8' });
    return out
      .split('\n')
      .slice(0, 5)
      .map((l) => l.trim())
      .filter(Boolean);
  } catch {
    return [];
  }
}

export function machineInfo() {
  return {
    nproc: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memory_gib: round(os.totalmem() / 2 ** 30, 1),
    node: process.version,
    // The service's processes inherit it (a runtime flag changes what every promise costs).
    ...(process.env.NODE_OPTIONS ? { node_options: process.env.NODE_OPTIONS } : {}),
  };
}

/** Writes a result file as prettier would (the repository's format check passes on it). */
export async function writeResults(file: string, report: unknown): Promise<void> {
  const prettier = await import('prettier');
  writeFileSync(file, await prettier.format(JSON.stringify(report), { parser: 'json', printWidth: 120 }));
}
