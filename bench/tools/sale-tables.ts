/** The tables of the realistic sale: its figures, its cost per paid unit, the Temporal work behind it, by process. */
import { taskScopeTable } from './task-scope-table';
import { ms, ordinal, seconds, table, type Dict, type Report } from './table-format';

/** The sale's results: the service's, then the sale floor's, those the run has. */
const saleSides = (r: Report) =>
  ['svc-sale', 'floor-sale'].map((id) => r.results.find((x) => x.id === id)).filter((x): x is Dict => x !== undefined);
const sideName = (s: Dict) => (s.system === 'floor' ? 'sale floor' : 'service');

export const saleTables: Record<string, (r: Report) => string[]> = {
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
        [
          'units unsold at the end / given back by a failed payment after the last buyer asked',
          x.unsold_at_end === undefined
            ? 'not measured in this run'
            : `${x.unsold_at_end} / ${x.restocked_after_last_buyer_asked}`,
        ],
        ['hold answers p50 / p99', `${x.hold_p50_ms} / ${x.hold_p99_ms} ms`],
        [
          'order answers p50 / p99; payment webhook answers p50 / p99',
          x.order_p50_ms === undefined
            ? 'not measured in this run'
            : `${x.order_p50_ms} / ${x.order_p99_ms} ms; ${x.payment_p50_ms} / ${x.payment_p99_ms} ms`,
        ],
        [
          'API’s Temporal calls during the sale: share of samples with a queue; queued p50 / max; in flight max',
          x.temporal_calls
            ? `${x.temporal_calls.share_queued} of ${x.temporal_calls.samples}; ${x.temporal_calls.queued_p50} / ` +
              `${x.temporal_calls.queued_max}; ${x.temporal_calls.in_flight_max}`
            : 'not measured in this run',
        ],
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
    const sides = saleSides(r);
    if (!sides.length) return ['_(no sale in this run)_'];
    const parts = ['temporal', 'worker', 'api', 'mariadb', 'redis'];
    const perUnit = (s: Dict, k: string) =>
      s.cpu_seconds?.[k] === undefined
        ? undefined
        : Math.round((s.cpu_seconds[k] * 100_000) / (s.extra.paid as number)) / 100;
    const total = (s: Dict) => parts.reduce((n, k) => n + (perUnit(s, k) ?? 0), 0);
    const rows = sides.map((s) => [
      `${sideName(s)} (${s.extra.paid} units paid)`,
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
    const sides = saleSides(r).filter((x) => x.extra?.temporal_work_per_paid_unit);
    if (!sides.length) return ['_(no count of Temporal work in this run)_'];
    const work = (s: Dict) => s.extra.temporal_work_per_paid_unit as Record<string, number>;
    const kinds = Object.keys(work(sides[0])).filter(
      (k) => k !== 'units_read' && typeof work(sides[0])[k] === 'number',
    );
    return table(
      ['per paid unit', ...sides.map((s) => `${sideName(s)} (${work(s).units_read} units read)`)],
      kinds.map((k) => [k.replace(/_/g, ' '), ...sides.map((s) => work(s)[k])]),
      ['l', ...sides.map(() => 'r' as const)],
    );
  },
  /** Which process ran which tasks: the scope of the API's hold worker, measured. */
  'hold-worker-scope': (r) => taskScopeTable(r.results),
};
