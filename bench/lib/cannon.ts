/** Fixed-duration HTTP load with autocannon, one result per run. */
import autocannon from 'autocannon';
import { meter, record, type ScenarioResult } from './run-state';
import { settings } from './settings';
import { progressDone, say } from './util';

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

/** One autocannon run with a progress bar; non-2xx answers are part of the latency figures. */
export async function cannon(spec: CannonSpec): Promise<ScenarioResult> {
  const seconds = spec.seconds ?? settings.duration;
  say(`${spec.title}: ${spec.connections} connections, ${seconds} s`);
  const cpu = meter(spec.pids);
  const onHold = spec.onHold;
  const inst = autocannon({
    url: spec.url,
    method: spec.method ?? 'GET',
    body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
    headers: { 'content-type': 'application/json' },
    connections: spec.connections,
    duration: seconds,
    timeout: 30,
    ...(onHold
      ? {
          requests: [
            {
              onResponse: (status: number, body: string) => {
                if (status === 201) onHold(JSON.parse(body).data.hold_id);
              },
            },
          ],
        }
      : {}),
  });
  // Without a callback autocannon returns its tracker, which is also a promise of the result.
  autocannon.track(inst as unknown as autocannon.Instance, {
    outputStream: process.stderr,
    renderProgressBar: process.stderr.isTTY,
    renderResultsTable: false,
    renderLatencyTable: false,
  });
  const r = await inst;
  const stats = (r.statusCodeStats ?? {}) as Record<string, { count?: number }>;
  const ok = stats[String(spec.okStatus)]?.count ?? 0;
  const unexpected: Record<string, number> = {};
  for (const [code, s] of Object.entries(stats)) if (Number(code) !== spec.okStatus) unexpected[code] = s.count ?? 0;
  const result = record({
    id: spec.id,
    title: spec.title,
    system: spec.system,
    connections: spec.connections,
    seconds: r.duration,
    requests: r.requests.total,
    ok,
    ok_per_second: Math.round(ok / r.duration),
    p50_ms: r.latency.p50,
    p99_ms: r.latency.p99,
    errors: r.errors + r.timeouts,
    unexpected_status: unexpected,
    cpu_seconds: cpu.read(),
  });
  progressDone();
  say(`  ${result.ok_per_second}/s ok, p50 ${result.p50_ms} ms, p99 ${result.p99_ms} ms, errors ${result.errors}`);
  return result;
}

/** A second of load to warm a path before it is measured. */
export async function warm(url: string, method: 'GET' | 'POST', body?: unknown) {
  await autocannon({
    url,
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
    connections: 10,
    duration: 1,
  });
}
