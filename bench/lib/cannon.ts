/** Fixed-duration HTTP load (the shared load generator, lib/load.ts), one recorded result per run. */
import { load } from './load';
import { meter, record, type ScenarioResult } from './run-state';
import { settings } from './settings';
import { progressDone, say } from './util';

export { warm } from './load';

export interface CannonSpec {
  id: string;
  title: string;
  system: ScenarioResult['system'];
  url: string;
  method?: 'GET' | 'POST';
  body?: unknown;
  connections: number;
  /** Default: --duration. */
  seconds?: number;
  okStatus: number;
  pids: Record<string, number | null>;
  /** Receives the id of every hold answered 201 (the lost-holds check compares them with the database). */
  onHold?: (holdId: number) => void;
}

/** The url, method and body of a one-unit hold request, for `cannon`. */
export const holdRequest = (base: string, productId: number) => ({
  url: `${base}/api/holds`,
  method: 'POST' as const,
  body: { product_id: productId, quantity: 1 },
});

/** One load run with a progress bar; non-2xx answers are part of the latency figures. */
export async function cannon(spec: CannonSpec): Promise<ScenarioResult> {
  const seconds = spec.seconds ?? settings.duration;
  say(`${spec.title}: ${spec.connections} connections, ${seconds} s`);
  const cpu = meter(spec.pids);
  const { url, method, body, connections, okStatus, onHold } = spec;
  const r = await load({ url, method, body, connections, seconds, okStatus, onHold });
  const result = record({
    id: spec.id,
    title: spec.title,
    system: spec.system,
    connections: spec.connections,
    ...r,
    ok_per_second: Math.round(r.ok / r.seconds),
    cpu_seconds: cpu.read(),
  });
  progressDone();
  say(`  ${result.ok_per_second}/s ok, p50 ${result.p50_ms} ms, p99 ${result.p99_ms} ms, errors ${result.errors}`);
  return result;
}
