/**
 * Targets read from what a result file keeps, without the run's settings: the sale's hold answers (its results) and
 * the service beside the plain endpoint (its holds beside their floors). The bench evaluates them with its other
 * targets (lib/report.ts); `npm run bench:docs` adds them to the targets table of a result file written before
 * they were evaluated, from that file's own figures.
 */
import { mean, round } from './util';

export interface Target {
  target: string;
  goal: string;
  measured: string;
  met: boolean | null;
}

interface Result {
  id: string;
  p99_ms: number | null;
}

/** A row of a run's holds beside their floors (`holdsSummary` of bench/scenarios/holds.ts, `holds_beside_floor`). */
export interface BesideFloor {
  start: string;
  connections: number;
  service_per_s: number[];
  floor_per_s: number[];
  plain_per_s: number[];
  service_over_floor?: number | null;
  service_over_plain?: number | null;
}

export function resultTargets(results: Result[], besideFloor: BesideFloor[]): Target[] {
  const out: Target[] = [];
  const sale = results.find((r) => r.id === 'svc-sale');
  const floorSale = results.find((r) => r.id === 'floor-sale');
  if (sale && sale.p99_ms !== null) {
    out.push({
      target: 'realistic sale: hold answers p99',
      goal: '<= 1000 ms',
      measured: `${sale.p99_ms} ms${floorSale?.p99_ms != null ? ` (the sale floor's: ${floorSale.p99_ms} ms)` : ''}`,
      met: sale.p99_ms <= 1000,
    });
  }
  for (const row of besideFloor) {
    const { start, connections, service_per_s: svc, floor_per_s: floor, plain_per_s: plain } = row;
    if (start !== 'eager' || !svc.length || !plain.length) continue;
    const ratio = mean(svc) / mean(plain);
    const floorRatio = floor.length ? `; the eager floor ÷ plain ${round(mean(floor) / mean(plain), 2)}` : '';
    out.push({
      target: `service holds ÷ plain holds (eager, the default), at ${connections} connections`,
      goal: '>= 0.25',
      measured: `${round(ratio, 2)} (service ${svc.join(', ')}/s; plain ${plain.join(', ')}/s${floorRatio})`,
      met: ratio >= 0.25,
    });
  }
  return out;
}

/** A result file's own targets, then those of `resultTargets` it does not have yet. */
export function withResultTargets(targets: Target[], results: Result[], besideFloor: BesideFloor[]): Target[] {
  const known = new Set(targets.map((t) => t.target));
  return [...targets, ...resultTargets(results, besideFloor).filter((t) => !known.has(t.target))];
}
