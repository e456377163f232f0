/**
 * Prints a bench result file as the Markdown tables docs/performance.md shows:
 *
 *   node --import tsx bench/tools/markdown.ts bench/results/latest.json
 */
import { readFileSync } from 'node:fs';

interface Result {
  id: string;
  title: string;
  connections: number;
  ok_per_second: number;
  p50_ms: number | null;
  p99_ms: number | null;
  errors: number;
  unexpected_status: Record<string, number>;
  fraction_of_hot_row?: number;
  oversold?: number;
  lost_holds?: number;
  cpu_seconds?: Record<string, number>;
  ok: number;
}

const file = process.argv[2] ?? 'bench/results/latest.json';
const report = JSON.parse(readFileSync(file, 'utf8')) as {
  meta: { started_at: string; duration_s: number; load_average_at_start: number[]; machine: Record<string, unknown> };
  results: Result[];
  targets: { target: string; goal: string; measured: string; met: boolean | null }[];
};
const cell = (v: unknown) => (v === null || v === undefined ? '' : String(v));
const out: string[] = [];
out.push('| scenario | conns | ok/s | p50 ms | p99 ms | errors | × hot row | oversold | lost |');
out.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of report.results) {
  const errors = r.errors + Object.values(r.unexpected_status).reduce((a, b) => a + b, 0);
  out.push(
    `| ${r.title} | ${r.connections} | ${r.ok_per_second} | ${cell(r.p50_ms)} | ${cell(r.p99_ms)} | ${errors} | ${
      r.fraction_of_hot_row === undefined ? '' : r.fraction_of_hot_row.toFixed(3)
    } | ${cell(r.oversold)} | ${cell(r.lost_holds)} |`,
  );
}
out.push('', '| target | goal | measured | met |', '| --- | --- | --- | --- |');
for (const t of report.targets) {
  out.push(
    `| ${t.target} | ${t.goal} | ${t.measured} | ${t.met === true ? 'yes' : t.met === false ? '**no**' : 'n/a'} |`,
  );
}
out.push('', '| scenario | CPU ms per successful outcome, by process |', '| --- | --- |');
for (const r of report.results) {
  if (!r.cpu_seconds || r.ok === 0) continue;
  const parts = Object.entries(r.cpu_seconds)
    .filter(([, s]) => s > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([name, s]) => `${name} ${((s * 1000) / r.ok).toFixed(2)}`);
  out.push(`| ${r.title} | ${parts.join(', ')} |`);
}
process.stdout.write(`${out.join('\n')}\n`);
