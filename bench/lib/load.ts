/** The bench's one HTTP load generator: autocannon for a fixed time, its answers counted by status. */
import autocannon from 'autocannon';

export interface LoadSpec {
  /** One URL, or several: autocannon spreads its connections over them round-robin. */
  url: string | string[];
  method?: 'GET' | 'POST';
  body?: unknown;
  connections: number;
  seconds: number;
  /** The status that counts as a success. */
  okStatus: number;
  /** Draws autocannon's progress bar on stderr (off for warm-ups). */
  track?: boolean;
  /** Receives the id of every hold answered 201 (the lost-holds check compares them with the database). */
  onHold?: (holdId: number) => void;
}

export async function load(spec: LoadSpec) {
  const onHold = spec.onHold;
  const inst = autocannon({
    // autocannon's types say string; it takes a list too.
    url: spec.url as string,
    method: spec.method ?? 'GET',
    body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
    headers: { 'content-type': 'application/json' },
    connections: spec.connections,
    duration: spec.seconds,
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
  if (spec.track !== false)
    autocannon.track(inst as unknown as autocannon.Instance, {
      outputStream: process.stderr,
      renderProgressBar: process.stderr.isTTY,
      renderResultsTable: false,
      renderLatencyTable: false,
    });
  const r = await inst;
  const stats = (r.statusCodeStats ?? {}) as Record<string, { count?: number }>;
  const unexpected: Record<string, number> = {};
  for (const [code, s] of Object.entries(stats)) if (Number(code) !== spec.okStatus) unexpected[code] = s.count ?? 0;
  return {
    seconds: r.duration,
    requests: r.requests.total,
    ok: stats[String(spec.okStatus)]?.count ?? 0,
    p50_ms: r.latency.p50,
    p99_ms: r.latency.p99,
    errors: r.errors + r.timeouts,
    // Answers other than `okStatus`, by status.
    unexpected_status: unexpected,
  };
}

/** Load to warm a path before it is measured (default: a second at 10 connections), nothing recorded. */
export async function warm(
  url: string | string[],
  method: 'GET' | 'POST',
  body?: unknown,
  connections = 10,
  seconds = 1,
) {
  await load({ url, method, body, connections, seconds, okStatus: 0, track: false });
}
