/**
 * The Temporal server's own counts of its work (bench/lib/server-requests.ts: its Prometheus counters, read around
 * each sale and each round of holds), the service beside its floor.
 */
import { round } from '../lib/util';
import { table, type Report } from './table-format';

type Counts = Record<string, number>;

/** Operations that moved by at least 0.05 per unit on either side, the service's largest first (at most 32). */
function besideFloor(what: string, svc: Counts, floor: Counts): string[] {
  const keys = [...new Set([...Object.keys(svc), ...Object.keys(floor)])]
    .filter((k) => (svc[k] ?? 0) >= 0.05 || (floor[k] ?? 0) >= 0.05)
    .slice(0, 32);
  const ratio = (k: string) => (svc[k] && floor[k] ? `${round(svc[k] / floor[k], 2)}` : '');
  return table(
    [`server requests per ${what}`, 'service', 'floor', 'service ÷ floor'],
    keys.map((k) => [k, svc[k] ?? 0, floor[k] ?? 0, ratio(k)]),
    ['l', 'r', 'r', 'r'],
  );
}

/** The mean of each operation's count over runs. */
function meanCounts(runs: Counts[]): Counts {
  const sums: Counts = {};
  for (const c of runs) for (const [k, n] of Object.entries(c)) sums[k] = (sums[k] ?? 0) + n;
  return Object.fromEntries(Object.entries(sums).map(([k, n]) => [k, round(n / runs.length, 2)]));
}

const NONE = ["_(no server counters in this run: they need the bench's own Temporal server, `--own-temporal`)_"];

export const serverTables: Record<string, (r: Report) => string[]> = {
  /** Per paid unit over the realistic sale: the service beside the sale floor. */
  'sale-server-requests': (r) => {
    const counts = (id: string) =>
      r.results.find((x) => x.id === id)?.extra?.temporal_server_requests_per_paid_unit as Counts | undefined;
    const svc = counts('svc-sale');
    return svc ? besideFloor('paid unit', svc, counts('floor-sale') ?? {}) : NONE;
  },
  /** Per hold while stock lasts, eager start at the first connection count: the mean over the rounds of each side. */
  'holds-server-requests': (r) => {
    const first = Math.min(...r.results.filter((x) => /-holds-\d+$/.test(x.id)).map((x) => x.connections));
    const side = (system: string) =>
      r.results
        .filter((x) => x.system === system && x.id === `${system === 'service' ? 'svc' : 'floor'}-holds-${first}`)
        .map((x) => x.extra?.temporal_server_requests_per_hold as Counts | undefined)
        .filter((c): c is Counts => !!c);
    const [svc, floor] = [side('service'), side('floor')];
    return svc.length ? besideFloor(`hold (eager, ${first} connections)`, meanCounts(svc), meanCounts(floor)) : NONE;
  },
};
