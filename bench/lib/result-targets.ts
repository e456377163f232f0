/**
 * Targets read from a run's results alone, without the run's settings: the sale's hold answers and the service beside
 * the plain endpoint. The bench evaluates them with its other targets (lib/report.ts); `npm run bench:docs` adds
 * them to the targets table of a result file written before they were evaluated, from that file's own results.
 */

export interface Target {
  target: string;
  goal: string;
  measured: string;
  met: boolean | null;
}

interface Result {
  id: string;
  connections: number;
  ok_per_second: number;
  p99_ms: number | null;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const r2 = (n: number) => Math.round(n * 100) / 100;

export function resultTargets(results: Result[]): Target[] {
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
  const rates = (id: string) => results.filter((r) => r.id === id).map((r) => r.ok_per_second);
  const counts = [...new Set(results.filter((r) => r.id.startsWith('plain-holds-')).map((r) => r.connections))];
  for (const c of counts) {
    const [svc, floor, plain] = [rates(`svc-holds-${c}`), rates(`floor-holds-${c}`), rates(`plain-holds-${c}`)];
    if (!svc.length || !plain.length) continue;
    const ratio = mean(svc) / mean(plain);
    const floorRatio = floor.length ? `; the eager floor ÷ plain ${r2(mean(floor) / mean(plain))}` : '';
    out.push({
      target: `service holds ÷ plain holds (eager, the default), at ${c} connections`,
      goal: '>= 0.25',
      measured: `${r2(ratio)} (service ${svc.join(', ')}/s; plain ${plain.join(', ')}/s${floorRatio})`,
      met: ratio >= 0.25,
    });
  }
  return out;
}

/** A result file's own targets, then those of `resultTargets` it does not have yet. */
export function withResultTargets(targets: Target[], results: Result[]): Target[] {
  const known = new Set(targets.map((t) => t.target));
  return [...targets, ...resultTargets(results).filter((t) => !known.has(t.target))];
}
