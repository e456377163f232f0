/** Fixed-duration HTTP load (the shared load generator, lib/load.ts), one recorded result per run. */
import { load, type LoadSpec } from './load';
import { meter, record, type ScenarioResult } from './run-state';
import { settings } from './settings';
import { progressDone, say } from './util';

export { warm } from './load';

export interface CannonSpec extends Omit<LoadSpec, 'seconds' | 'track'> {
  id: string;
  title: string;
  system: ScenarioResult['system'];
  /** Default: --duration. */
  seconds?: number;
  pids: Record<string, number | null>;
}

/** The url, method and body of a one-unit hold request, for `cannon`. */
export const holdRequest = (base: string, productId: number) => ({
  url: `${base}/api/holds`,
  method: 'POST' as const,
  body: { product_id: productId, quantity: 1 },
});

/** One load run with a progress bar; non-2xx answers are part of the latency figures. */
export async function cannon({ id, title, system, pids, ...spec }: CannonSpec): Promise<ScenarioResult> {
  const seconds = spec.seconds ?? settings.duration;
  say(`${title}: ${spec.connections} connections, ${seconds} s`);
  const cpu = meter(pids);
  const r = await load({ ...spec, seconds });
  const result = record({
    id,
    title,
    system,
    connections: spec.connections,
    ...r,
    ok_per_second: Math.round(r.ok / r.seconds),
    cpu_seconds: cpu.read(),
  });
  progressDone();
  say(`  ${result.ok_per_second}/s ok, p50 ${result.p50_ms} ms, p99 ${result.p99_ms} ms, errors ${result.errors}`);
  return result;
}
