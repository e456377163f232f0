import http from 'node:http';
import { sleep } from '../../harness/wait';

/** Percentile of an unsorted list of numbers (nearest rank); 0 for an empty list. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

export const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** The mean of a list of numbers; NaN for an empty list. */
export const mean = (xs: number[]) => (xs.length ? sum(xs) / xs.length : NaN);

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

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
};

/** A keep-alive HTTP client for scripted flows (autocannon drives the single-request scenarios). */
export function httpClient(baseUrl: string, maxSockets: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const url = new URL(baseUrl);
  return {
    agent,
    request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
      const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
      const started = performance.now();
      return new Promise<{ status: number; body: any; ms: number }>((resolve) => {
        const reply = (status: number, body: unknown) => resolve({ status, body, ms: performance.now() - started });
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
            res.on('end', () => reply(res.statusCode ?? 0, parseJson(Buffer.concat(chunks).toString('utf8'))));
            res.on('error', () => reply(0, null));
          },
        );
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', () => reply(0, null));
        if (payload) req.write(payload);
        req.end();
      });
    },
    close: () => agent.destroy(),
  };
}

export type HttpClient = ReturnType<typeof httpClient>;

/** Holds until one is answered 201: the first waits for a worker's first poll. */
export async function waitForFirstHold(http: HttpClient, product: number, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await http.request('POST', '/api/holds', { product_id: product, quantity: 1 });
    if (r.status === 201) return;
    if (Date.now() > deadline) {
      throw new Error(`no hold was created: ${r.status} ${JSON.stringify(r.body)}`);
    }
    await sleep(500);
  }
}

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

/** A table for the terminal: each column as wide as its widest cell, right-aligned (the first left with `firstLeft`). */
export function textTable(head: string[], body: string[][], firstLeft = false): string {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (firstLeft && i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' │ ');
  return [line(head), widths.map((w) => '─'.repeat(w)).join('─┼─'), ...body.map(line)].join('\n');
}

/**
 * Runs a bench command: `cleanup(code)` once, when `main` ends or fails or the run is interrupted, then exits with
 * that code (Ctrl-C: 130).
 */
export function runMain(main: () => Promise<void>, cleanup: (code: number) => Promise<void>): void {
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    progressDone();
    await cleanup(code);
    process.exit(code);
  };
  process.once('SIGINT', () => void shutdown(130));
  process.once('SIGTERM', () => void shutdown(143));
  main().then(
    () => shutdown(process.exitCode === undefined ? 0 : Number(process.exitCode)),
    async (err: Error) => {
      progressDone();
      process.stderr.write(`bench failed: ${err.stack ?? err.message}\n`);
      await shutdown(1);
    },
  );
}
