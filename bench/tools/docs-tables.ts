/**
 * `npm run bench:docs`: rewrites every generated table in docs/performance.md and docs/scaling.md from the committed
 * result files. A table is the text between
 *
 *   <!-- table:KIND bench/results/FILE.json -->   and   <!-- /table -->
 *
 * and each is headed by the run it came from (commit, clean tree, machine load). `--check` exits 1 when a document
 * is not what its result files give (the static test runs it).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { withResultTargets, type Target } from '../lib/result-targets';
import { saleTables } from './sale-tables';
import { serverTables } from './server-tables';
import { round, sum } from '../lib/util';
import { cell, cpu, errorsOf, ms, table, type Dict, type Report } from './table-format';

const ROOT = path.resolve(__dirname, '../..');
const DOCS = ['docs/performance.md', 'docs/performance-history.md', 'docs/scaling.md'];

/**
 * Busy: work before the run still shows in the 5-minute load (above three quarters of the cores), or the last minute
 * ran a quarter above the cores' worth. The 1-minute figure alone also counts the bench's own build and set-up, run
 * just before, so it is only trusted when it is that high.
 */
function busyAtStart(load: unknown, cores: number): boolean {
  if (!Array.isArray(load) || load.length < 2) return false;
  return load[1] > 0.75 * cores || load[0] > 1.25 * cores;
}

function provenance(file: string, report: Report): string {
  const m = report.meta;
  const git = m.git
    ? `commit \`${m.git.commit}\`${m.git.clean === false || m.git.dirty ? ' (tree not clean)' : ''}`
    : '';
  const load = m.load_average_at_start ?? m.machine?.load_average_at_start ?? m.load_average_before;
  const busy = busyAtStart(load, m.machine?.nproc ?? 2) ? 'busy machine' : 'quiet machine';
  return `_From \`${file}\`: ${m.started_at ?? ''}, ${git}, load ${Array.isArray(load) ? load.join(' ') : '?'} at start (${busy})._`;
}

const APP_CPU = 'CPU ms per hold: API / worker / Temporal';
const appCpu = (x: Dict) => cpu(x, ['api', 'worker', 'temporal']);
const round2 = (n: number) => (Number.isFinite(n) ? round(n, 2) : '');
/** A run's rate and latency cells. */
const rate = (x: Dict) => [x.ok_per_second, x.p50_ms, x.p99_ms];

const kinds: Record<string, (r: Report) => string[]> = {
  /** Every result of a run. */
  scenarios: (r) =>
    table(
      ['scenario', 'conns', 'ok/s', 'p50 ms', 'p99 ms', 'errors', 'CPU ms per ok: API / worker / Temporal', 'lost'],
      r.results.map((x) => [
        x.title,
        x.connections,
        ...rate(x),
        errorsOf(x),
        cpu(x, [x.system === 'plain' ? 'plain' : 'api', 'worker', 'temporal']),
        x.lost_holds,
      ]),
    ),
  /**
   * Service beside the Temporal floor and the plain endpoint, per connection count: holds/s of each round, and the
   * CPU a hold cost (API + worker + Temporal server, summed over the rounds), which a busy machine disturbs less.
   */
  'holds-beside-floor': (r) => {
    const suffix = (start: unknown) => (start === 'update_with_start' ? '-uws' : '');
    const cpuPerHold = (system: string, { connections, start }: Dict) => {
      const runs = r.results.filter(
        (x) =>
          x.system === system &&
          x.connections === connections &&
          x.id.endsWith(`-holds-${connections}${suffix(start)}`),
      );
      const ok = sum(runs.map((x) => x.ok));
      const cpu = sum(runs.map((x) => sum(['api', 'worker', 'temporal'].map((k) => x.cpu_seconds?.[k] ?? 0))));
      return ok > 0 ? (cpu * 1000) / ok : NaN;
    };
    return table(
      [
        'start (service / floor)',
        'connections',
        'service holds/s',
        'floor holds/s',
        'plain holds/s',
        'service ÷ floor (holds/s)',
        'service ÷ plain (holds/s)',
        'CPU ms per hold: service / floor',
        'floor ÷ service (CPU per hold)',
      ],
      (r.holds_beside_floor ?? []).map((x) => {
        const [svc, floor] = [cpuPerHold('service', x), cpuPerHold('floor', x)];
        return [
          STARTED[String(x.start)] ?? 'eager / Update-with-Start (unlike)',
          x.connections,
          x.service_per_s.join(', '),
          x.floor_per_s.join(', '),
          x.plain_per_s.join(', '),
          x.service_over_floor,
          x.service_over_plain,
          `${round2(svc)} / ${round2(floor)}`,
          round2(floor / svc),
        ];
      }),
    );
  },
  /** CPU per hold per process, service and floor, each run. */
  'cpu-per-hold': (r) =>
    table(
      ['run', 'conns', 'holds/s', 'API', 'worker', 'Temporal server', 'MariaDB', 'Redis'],
      r.results
        .filter((x) => /^(svc|floor)-holds-\d+$/.test(x.id))
        .map((x) => [
          `${x.title}, round ${x.extra?.round ?? 1}`,
          x.connections,
          x.ok_per_second,
          ...['api', 'worker', 'temporal', 'mariadb', 'redis'].map((k) => ms(x.cpu_ms_per_ok?.[k])),
        ]),
    ),
  targets: (r) =>
    table(
      ['target', 'goal', 'measured', ''],
      withResultTargets(
        (r.targets ?? []) as Target[],
        r.results as Parameters<typeof withResultTargets>[1],
        (r.holds_beside_floor ?? []) as Parameters<typeof withResultTargets>[2],
      ).map((t) => [t.target, t.goal, t.measured, t.met === true ? 'met' : t.met === false ? 'MISSED' : 'n/a']),
      ['l', 'l', 'l', 'l'],
    ),
  /** The levers, one change at a time (bench --only levers). */
  levers: (r) =>
    table(
      ['step', 'round', 'holds/s', 'p50 ms', 'p99 ms', APP_CPU, 'lost'],
      r.results
        .filter((x) => x.extra?.lever)
        .map((x) => [x.title.replace(/^Lever: /, ''), x.extra.round, ...rate(x), appCpu(x), x.lost_holds]),
    ),
  /** Bounds on Temporal calls in flight against connections (bench --only knee). */
  knee: (r) =>
    table(
      ['in flight ≤', 'conns', 'holds/s', 'p50 ms', 'p99 ms', '503s and errors', APP_CPU],
      r.results
        .filter((x) => x.extra?.max_in_flight !== undefined)
        .map((x) => [x.extra.max_in_flight, x.connections, ...rate(x), errorsOf(x), appCpu(x)]),
    ),
  /** Eager start against Update-with-Start, on the floor and on the service (bench --only eager). */
  eager: (r) =>
    table(
      [
        'variant',
        'round',
        'holds/s',
        'p50 ms',
        'p99 ms',
        'CPU ms per hold: app processes / Temporal',
        'started eagerly',
      ],
      r.results
        .filter((x) => /-(eager|two-processes|update-with-start)$/.test(x.id))
        .map((x) => {
          const c = x.cpu_ms_per_ok ?? {};
          const app = (c['api+worker'] ?? 0) + (c.api ?? 0) + (c.worker ?? 0);
          return [x.title, x.extra?.round, ...rate(x), `${round(app, 2)} / ${cell(c.temporal)}`, eagerShare(x.extra)];
        }),
    ),
  ...saleTables,
  ...serverTables,
  /** The raw reservation transaction on one row and on stock shards. */
  'hot-row': (r) => {
    const rows = r.results.filter((x) => x.system === 'mariadb');
    const one = Math.max(...rows.filter((x) => x.id !== 'hot-row-sharded').map((x) => x.ok_per_second));
    return table(
      ['variant', 'transactions/s', 'MariaDB CPU per transaction', '× one row'],
      rows.map((x) => [x.title, x.ok_per_second, ms(x.cpu_ms_per_ok?.mariadb), round(x.ok_per_second / one, 2)]),
    );
  },
  /** N APIs + N workers (bench/replicas.ts). */
  replicas: (r) =>
    table(
      [
        'APIs + workers',
        'holds/s',
        'p50 ms',
        'p99 ms',
        'CPU ms per hold: Temporal / workers / APIs / MariaDB',
        'machine CPU busy',
        'lost',
      ],
      r.results.map((x) => [
        `${x.apis} + ${x.workers}`,
        x.holds_per_second,
        x.p50_ms,
        x.p99_ms,
        ['temporal', 'worker', 'api', 'mariadb'].map((k) => cell(x.cpu_ms_per_hold?.[k])).join(' / '),
        `${Math.round(x.machine_cpu_busy * 100)} %`,
        x.lost_holds,
      ]),
    ),
};

const MARKER = /<!-- table:([\w-]+) (\S+) -->\n[\s\S]*?<!-- \/table -->/g;

function render(doc: string): string {
  return doc.replace(MARKER, (_all, kind: string, file: string) => {
    const make = kinds[kind];
    if (!make) throw new Error(`unknown table kind ${kind}`);
    const report = JSON.parse(readFileSync(path.join(ROOT, file), 'utf8')) as Report;
    return [`<!-- table:${kind} ${file} -->`, provenance(file, report), '', ...make(report), '<!-- /table -->'].join(
      '\n',
    );
  });
}

async function main() {
  const check = process.argv.includes('--check');
  const prettier = await import('prettier');
  let stale = 0;
  for (const doc of DOCS) {
    const file = path.join(ROOT, doc);
    const before = readFileSync(file, 'utf8');
    const options = (await prettier.resolveConfig(file)) ?? {};
    const after = await prettier.format(render(before), { ...options, filepath: file });
    if (after === before) continue;
    if (check) {
      process.stderr.write(`${doc}: its tables are not what the result files give (npm run bench:docs)\n`);
      stale++;
    } else {
      writeFileSync(file, after);
      process.stdout.write(`rewrote the tables of ${doc}\n`);
    }
  }
  process.exitCode = stale ? 1 : 0;
}

void main();

/** How both sides of a holds-beside-floor row started; rows of older runs carry no `start` (unlike pairs). */
const STARTED: Record<string, string> = {
  eager: 'eager / eager',
  update_with_start: 'Update-with-Start / Update-with-Start',
};

/** "633 of 633" for a run with eager starts; empty for Update-with-Start. */
function eagerShare(extra: Record<string, unknown> | undefined): string {
  if (typeof extra?.eager_starts !== 'number') return '';
  return `${extra.eager_starts} of ${extra.eager_starts + Number(extra.plain_starts ?? 0)}`;
}
