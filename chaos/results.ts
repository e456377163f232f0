import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';
import type { ScenarioResult } from './scenario';
import { ROOT } from './settings';

/** Where `npm run chaos` writes its results: latest.json (full run), smoke.json (`--smoke`). */
export const RESULTS_DIR = path.join(ROOT, 'chaos', 'results');

/** One planted mutant's run (chaos/mutants): its scenario on its build, and the violation that caught it, if any. */
export interface MutantResult {
  mutant: string;
  what: string;
  scenario: string;
  /** The check expected to fire. */
  check: string;
  caught: boolean;
  /** The first violation of the expected check (null: the mutant survived, or its build failed). */
  caught_by: string | null;
  /** Every violation the scenario reported on the mutant's build. */
  violations: number;
  duration_seconds: number;
  /** Why the run could not happen (the patch did not apply, the build failed), or null. */
  error: string | null;
}

/** chaos/results/mutants.json: written by `npm run chaos -- --mutants` and by the full run. */
export interface MutantResults {
  meta: Provenance;
  mutants: MutantResult[];
}

/**
 * When, on which code and machine, and how long: the head of every results file. `clean_tree`: no uncommitted change
 * to tracked or untracked files (chaos/results/ aside) when the run started.
 */
type Provenance = ReturnType<typeof provenance>;
const provenance = (version: CodeVersion, seconds: number) => ({
  date: new Date().toISOString(),
  commit: version.commit,
  clean_tree: version.clean,
  duration_seconds: Math.round(seconds),
  machine: `${cpus().length} cores`,
  node: process.version,
});

function writeJson(file: string, data: unknown): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return file;
}

export function writeMutantResults(mutants: MutantResult[], version: CodeVersion, seconds: number) {
  const results: MutantResults = { meta: provenance(version, seconds), mutants };
  return writeJson(path.join(RESULTS_DIR, 'mutants.json'), results);
}

const git = (...args: string[]) => {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
};

export type CodeVersion = { commit: string; clean: boolean };

/** The commit and whether the tree is clean, taken when the run starts (the code under test). */
export function codeVersion(): CodeVersion {
  const dirty = git('status', '--porcelain', '--', '.', ':(exclude)chaos/results').split('\n').filter(Boolean);
  return { commit: git('rev-parse', 'HEAD') || 'unknown', clean: dirty.length === 0 };
}

/**
 * A results file: the run's figures (`mode` full: every scenario; smoke: the CI subset; partial: `--only`), then one
 * row per scenario (`in_flight`: the fewest requests in flight at the service when a fault was injected, and
 * `clients`: the concurrent clients sending them).
 */
export type RunResults = ReturnType<typeof buildResults>;

export function buildResults(
  results: ScenarioResult[],
  opts: { mode: 'full' | 'smoke' | 'partial'; version: CodeVersion; seconds: number; soakSeconds: number },
) {
  const sum = (f: (r: ScenarioResult) => number) => results.reduce((n, r) => n + f(r), 0);
  return {
    meta: {
      mode: opts.mode,
      ...provenance(opts.version, opts.seconds),
      soak_seconds: opts.soakSeconds,
      scenarios: results.length,
      faults: sum((r) => r.faults),
      requests: sum((r) => r.requests),
      checks: sum((r) => r.checks),
      violations: sum((r) => r.violations.length),
    },
    scenarios: results.map((r) => ({
      scenario: r.name,
      title: r.title,
      faults: r.faults,
      requests: r.requests,
      checks: r.checks,
      violations: r.violations.length,
      duration_seconds: Math.round(r.seconds),
      in_flight: r.inFlight,
      clients: r.clients,
      statuses: r.statuses,
      violation_list: r.violations.slice(0, 50),
      notes: r.notes,
    })),
  };
}

/** Writes the run's results: chaos/results/latest.json (full), smoke.json (smoke), .run/chaos/results.json (partial). */
export function writeResults(results: RunResults, runDir: string): string {
  const file =
    results.meta.mode === 'partial'
      ? path.join(runDir, 'results.json')
      : path.join(RESULTS_DIR, results.meta.mode === 'full' ? 'latest.json' : 'smoke.json');
  return writeJson(file, results);
}

/** The share of 503s among a row's answers ("200×3 503×1" → "25.0 %"; "" without answers). */
export function share503(statuses: string): string {
  const counts = statuses
    .split(' ')
    .filter(Boolean)
    .map((c) => c.split('×'));
  const answered = counts.reduce((n, [, k]) => n + Number(k), 0);
  const shed = Number(counts.find(([s]) => s === '503')?.[1] ?? 0);
  return answered ? `${((100 * shed) / answered).toFixed(1)} %` : '';
}

/** The console table. */
export function table(results: ScenarioResult[]): string {
  const head = ['scenario', 'faults', 'requests', '503', 'in flight', 'checks', 'violations', 'seconds'];
  const rows = results.map((r) =>
    [
      r.name,
      r.faults,
      r.requests,
      share503(r.statuses),
      r.inFlight,
      r.checks,
      r.violations.length,
      r.seconds.toFixed(0),
    ].map(String),
  );
  return consoleTable(head, rows, (c, i, w) => (i === 0 ? c.padEnd(w) : c.padStart(w)));
}

/** The console table of the mutants' runs. */
export function mutantTable(mutants: MutantResult[]): string {
  const rows = mutants.map((m) => [
    m.mutant,
    m.scenario,
    m.caught ? 'caught' : m.error ? 'NOT RUN' : 'SURVIVED',
    m.check,
  ]);
  return consoleTable(['mutant', 'scenario', 'outcome', 'check'], rows, (c, _, w) => c.padEnd(w));
}

/** Columns as wide as their widest cell, each cell padded by `pad`. */
function consoleTable(head: string[], rows: string[][], pad: (cell: string, column: number, width: number) => string) {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => pad(c, i, widths[i])).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
