import http from 'node:http';

/** Percentile of an unsorted list of numbers (nearest rank); 0 for an empty list. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** The mean of a list of numbers; NaN for an empty list. */
export const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

const tty = process.stderr.isTTY;
let lastLine = 0;

/** One progress line, redrawn in place on a terminal, printed every few seconds otherwise. */
export function progress(text: string, force = false): void {
  if (tty) {
    process.stderr.write(`\r\x1b[2K${text}`);
  } else if (force || Date.now() - lastLine > 5_000) {
    process.stderr.write(`${text}\n`);
    lastLine = Date.now();
  }
}

export function progressDone(): void {
  if (tty) process.stderr.write('\r\x1b[2K');
}

export function say(text: string): void {
  progressDone();
  process.stderr.write(`\x1b[1m==> ${text}\x1b[0m\n`);
}

export interface Reply {
  status: number;
  body: any;
  ms: number;
}

/** A keep-alive HTTP client for scripted flows (autocannon drives the single-request scenarios). */
export function httpClient(baseUrl: string, maxSockets: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const url = new URL(baseUrl);
  return {
    agent,
    request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
      const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
      const started = performance.now();
      return new Promise((resolve) => {
        const req = http.request(
          {
            host: url.hostname,
            port: url.port,
            method,
            path,
            agent,
            timeout: 30_000,
            headers: {
              'content-type': 'application/json',
              ...(payload ? { 'content-length': Buffer.byteLength(payload) } : {}),
              ...headers,
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              let parsed: unknown = null;
              try {
                parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
              } catch {
                parsed = null;
              }
              resolve({ status: res.statusCode ?? 0, body: parsed, ms: performance.now() - started });
            });
            res.on('error', () => resolve({ status: 0, body: null, ms: performance.now() - started }));
          },
        );
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', () => resolve({ status: 0, body: null, ms: performance.now() - started }));
        if (payload) req.write(payload);
        req.end();
      });
    },
    close: () => agent.destroy(),
  };
}

export type HttpClient = ReturnType<typeof httpClient>;

/** Runs `task(i)` for i in [0, count) with at most `concurrency` in flight; stops early at the deadline. */
export async function pool(
  count: number,
  concurrency: number,
  deadline: number,
  task: (i: number) => Promise<void>,
): Promise<number> {
  let next = 0;
  let done = 0;
  const lane = async () => {
    while (next < count && Date.now() < deadline) {
      const i = next++;
      await task(i);
      done++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return done;
}
