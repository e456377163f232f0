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

const ROOT = path.resolve(__dirname, '../..');
const DOCS = ['docs/performance.md', 'docs/scaling.md'];

type Dict = Record<string, any>;
interface Report {
  meta: Dict;
  results: Dict[];
  targets?: Dict[];
  holds_beside_floor?: Dict[];
  summary?: Dict;
}

const cell = (v: unknown) => (v === null || v === undefined || Number.isNaN(v) ? '' : String(v));
const seconds = (v: unknown, otherwise: string) => (typeof v === 'number' ? `${v} s` : otherwise);
const ms = (v: unknown) => (typeof v === 'number' ? `${v} ms` : '');
const table = (head: string[], rows: unknown[][], align: ('l' | 'r')[] = []) => [
  `| ${head.join(' | ')} |`,
  `| ${head.map((_, i) => ((align[i] ?? (i === 0 ? 'l' : 'r')) === 'r' ? '---:' : '---')).join(' | ')} |`,
  ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
];
const errorsOf = (r: Dict) =>
  r.errors + Object.values((r.unexpected_status ?? {}) as Record<string, number>).reduce((a, b) => a + b, 0);
const cpu = (r: Dict, keys: string[]) => keys.map((k) => cell(r.cpu_ms_per_ok?.[k])).join(' / ');

function provenance(file: string, report: Report): string {
  const m = report.meta;
  const git = m.git
    ? `commit \`${m.git.commit}\`${m.git.clean === false || m.git.dirty ? ' (tree not clean)' : ''}`
    : '';
  const load = m.load_average_at_start ?? m.machine?.load_average_at_start ?? m.load_average_before;
  const busy = Array.isArray(load) && load[0] > 2.5 ? 'busy machine' : 'quiet machine';
  return `_From \`${file}\`: ${m.started_at ?? ''}, ${git}, load ${Array.isArray(load) ? load.join(' ') : '?'} at start (${busy})._`;
}

const kinds: Record<string, (r: Report) => string[]> = {
  /** Every result of a run. */
  scenarios: (r) =>
    table(
      ['scenario', 'conns', 'ok/s', 'p50 ms', 'p99 ms', 'errors', 'CPU ms per ok: API / worker / Temporal', 'lost'],
      r.results.map((x) => [
        x.title,
        x.connections,
        x.ok_per_second,
        x.p50_ms,
        x.p99_ms,
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
    const cpuPerHold = (system: string, connections: number, start: unknown) => {
      const runs = r.results.filter(
        (x) =>
          x.system === system &&
          x.connections === connections &&
          x.id.endsWith(`-holds-${connections}${suffix(start)}`),
      );
      const ok = runs.reduce((a, x) => a + x.ok, 0);
      const cpu = runs.reduce(
        (a, x) => a + ['api', 'worker', 'temporal'].reduce((b, k) => b + (x.cpu_seconds?.[k] ?? 0), 0),
        0,
      );
      return ok > 0 ? (cpu * 1000) / ok : NaN;
    };
    const round2 = (n: number) => (Number.isFinite(n) ? Math.round(n * 100) / 100 : '');
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
        const [svc, floor] = [
          cpuPerHold('service', x.connections, x.start),
          cpuPerHold('floor', x.connections, x.start),
        ];
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
          ms(x.cpu_ms_per_ok?.api),
          ms(x.cpu_ms_per_ok?.worker),
          ms(x.cpu_ms_per_ok?.temporal),
          ms(x.cpu_ms_per_ok?.mariadb),
          ms(x.cpu_ms_per_ok?.redis),
        ]),
    ),
  targets: (r) =>
    table(
      ['target', 'goal', 'measured', ''],
      (r.targets ?? []).map((t) => [
        t.target,
        t.goal,
        t.measured,
        t.met === true ? 'met' : t.met === false ? 'MISSED' : 'n/a',
      ]),
      ['l', 'l', 'l', 'l'],
    ),
  /** The levers, one change at a time (bench --only levers). */
  levers: (r) =>
    table(
      ['step', 'round', 'holds/s', 'p50 ms', 'p99 ms', 'CPU ms per hold: API / worker / Temporal', 'lost'],
      r.results
        .filter((x) => x.extra?.lever)
        .map((x) => [
          x.title.replace(/^Lever: /, ''),
          x.extra.round,
          x.ok_per_second,
          x.p50_ms,
          x.p99_ms,
          cpu(x, ['api', 'worker', 'temporal']),
          x.lost_holds,
        ]),
    ),
  /** Bounds on Temporal calls in flight against connections (bench --only knee). */
  knee: (r) =>
    table(
      [
        'in flight ≤',
        'conns',
        'holds/s',
        'p50 ms',
        'p99 ms',
        '503s and errors',
        'CPU ms per hold: API / worker / Temporal',
      ],
      r.results
        .filter((x) => x.extra?.max_in_flight !== undefined)
        .map((x) => [
          x.extra.max_in_flight,
          x.connections,
          x.ok_per_second,
          x.p50_ms,
          x.p99_ms,
          errorsOf(x),
          cpu(x, ['api', 'worker', 'temporal']),
        ]),
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
          return [
            x.title,
            x.extra?.round,
            x.ok_per_second,
            x.p50_ms,
            x.p99_ms,
            `${Math.round(app * 100) / 100} / ${cell(c.temporal)}`,
            eagerShare(x.extra),
          ];
        }),
    ),
  /** The realistic sale. */
  sale: (r) => {
    const s = r.results.find((x) => x.id === 'svc-sale');
    if (!s) return ['_(no sale in this run)_'];
    const x = s.extra;
    return table(
      ['measure', 'value'],
      [
        ['buyers answered', x.buyers_answered],
        [
          'answers by status',
          Object.entries(x.answers_by_status ?? {})
            .map(([k, v]) => `${k}: ${v}`)
            .join(', '),
        ],
        ['connection errors and timeouts', x.connection_errors],
        ['every unit held after', seconds(x.every_unit_held_s, 'not reached')],
        [
          'every unit paid after',
          // A unit whose payment failed after the last buyer asked comes back to nobody: then not every unit is paid.
          seconds(
            x.every_unit_paid_s,
            `not reached (${x.paid} paid; units a late failed payment gave back stay unsold)`,
          ),
        ],
        [
          'holds / orders / paid / payment failed (unit resold)',
          `${x.holds} / ${x.orders} / ${x.paid} / ${x.payment_failed_and_restocked}`,
        ],
        ['abandoned holds (back at expiry, after the sale)', x.abandoned_holds],
        ['hold answers p50 / p99', `${x.hold_p50_ms} / ${x.hold_p99_ms} ms`],
        ['late buyers (asked after the first sold-out answer)', x.late_buyers],
        ['late buyers’ answers p50 / p99', `${x.late_answer_p50_ms} / ${x.late_answer_p99_ms} ms`],
        ['oversold / lost holds', `${s.oversold} / ${s.lost_holds}`],
        [
          'first come, first served: of the first buyers (as many as units), got a unit',
          x.first_buyers === undefined
            ? 'not measured in this run'
            : `${x.first_buyers_won} of ${x.first_buyers} (${x.first_buyers_share})`,
        ],
        ...((x.answer_ms_by_arrival ?? []) as Dict[]).map((t) => [
          `answers of the ${ordinal(Number(t.tenth))} tenth of buyers by arrival: won, p50 / p99`,
          `${t.won}, ${t.p50_ms} / ${t.p99_ms} ms`,
        ]),
      ],
      ['l', 'r'],
    );
  },
  /**
   * What one paid unit costs, per process, over the whole sale (holds, orders, webhooks, failed payments resold), on
   * the service and on the sale floor (the cheapest Temporal work for a unit's life, started alike), and their ratio.
   */
  'sale-cost': (r) => {
    const sides = ['svc-sale', 'floor-sale']
      .map((id) => r.results.find((x) => x.id === id))
      .filter((x): x is NonNullable<typeof x> => x !== undefined);
    if (!sides.length) return ['_(no sale in this run)_'];
    const parts = ['temporal', 'worker', 'api', 'mariadb', 'redis'];
    const perUnit = (s: (typeof sides)[number], k: string) =>
      s.cpu_seconds?.[k] === undefined
        ? undefined
        : Math.round((s.cpu_seconds[k] * 100_000) / (s.extra.paid as number)) / 100;
    const total = (s: (typeof sides)[number]) => parts.reduce((n, k) => n + (perUnit(s, k) ?? 0), 0);
    const rows = sides.map((s) => [
      `${s.system === 'floor' ? 'sale floor' : 'service'} (${s.extra.paid} units paid)`,
      ...parts.map((k) => ms(perUnit(s, k))),
      ms(Math.round(total(s) * 100) / 100),
    ]);
    const [svc, floor] = [sides.find((s) => s.system === 'service'), sides.find((s) => s.system === 'floor')];
    if (svc && floor) {
      const ratio = (a?: number, b?: number) => (a === undefined || !b ? '' : `${Math.round((a / b) * 100) / 100} ×`);
      rows.push([
        'service ÷ floor',
        ...parts.map((k) => ratio(perUnit(svc, k), perUnit(floor, k))),
        ratio(total(svc), total(floor)),
      ]);
    }
    return table(['per paid unit', 'Temporal server', 'worker', 'API', 'MariaDB', 'Redis', 'all'], rows);
  },
  /**
   * What the Temporal server is asked to do for one paid unit (bench/lib/temporal-work.ts: the histories of a sample
   * of the sale's paid units), on the service and on the sale floor.
   */
  'sale-temporal-work': (r) => {
    const sides = ['svc-sale', 'floor-sale']
      .map((id) => r.results.find((x) => x.id === id))
      .filter((x) => x?.extra?.temporal_work_per_paid_unit);
    if (!sides.length) return ['_(no count of Temporal work in this run)_'];
    const work = (s: (typeof sides)[number]) => s!.extra.temporal_work_per_paid_unit as Record<string, number>;
    const kinds = Object.keys(work(sides[0])).filter((k) => k !== 'units_read');
    const label = (s: (typeof sides)[number]) =>
      `${s!.system === 'floor' ? 'sale floor' : 'service'} (${work(s).units_read} units read)`;
    return table(
      ['per paid unit', ...sides.map(label)],
      kinds.map((k) => [k.replace(/_/g, ' '), ...sides.map((s) => work(s)[k])]),
      ['l', ...sides.map(() => 'r' as const)],
    );
  },
  /** The raw reservation transaction on one row and on stock shards. */
  'hot-row': (r) => {
    const rows = r.results.filter((x) => x.system === 'mariadb');
    const one = Math.max(...rows.filter((x) => x.id !== 'hot-row-sharded').map((x) => x.ok_per_second));
    return table(
      ['variant', 'transactions/s', 'MariaDB CPU per transaction', '× one row'],
      rows.map((x) => [
        x.title,
        x.ok_per_second,
        ms(x.cpu_ms_per_ok?.mariadb),
        Math.round((x.ok_per_second / one) * 100) / 100,
      ]),
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

const ordinal = (n: number) => `${n}${n === 1 ? 'st' : n === 2 ? 'nd' : n === 3 ? 'rd' : 'th'}`;

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
