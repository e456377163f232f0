import net from 'node:net';

/**
 * The one set of waiting helpers of test/, chaos/ and bench/: sleep, polling with a deadline, and loopback ports.
 * Tests wait on a condition (`waitFor`, `poll`), never on a fixed sleep.
 */

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `fn` until it returns a truthy value or `ms` passes (then returns the last value). */
export async function poll<T>(fn: () => Promise<T> | T, ms: number, every = 250): Promise<T> {
  const deadline = Date.now() + ms;
  let v = await fn();
  while (!v && Date.now() < deadline) {
    await sleep(every);
    v = await fn();
  }
  return v;
}

/** Polls `probe` (errors count as "not yet") until it returns a truthy value; throws with `what` at the deadline. */
export async function waitFor<T>(what: string, probe: () => Promise<T> | T, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (let delay = 20; ; delay = Math.min(delay * 2, 250)) {
    try {
      const value = await probe();
      if (value) return value;
      last = value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${String(last)})`);
    await sleep(delay);
  }
}

/** A free loopback port: `preferred` when it is free, else any. Nothing listens there until the caller starts it. */
export function freePort(preferred?: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', (err: NodeJS.ErrnoException) => {
      if (preferred !== undefined && err.code === 'EADDRINUSE') freePort().then(resolve, reject);
      else reject(err);
    });
    srv.listen(preferred ?? 0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Whether something accepts connections on a loopback port. */
export const portOpen = (port: number, host = '127.0.0.1') =>
  new Promise<boolean>((resolve) => {
    const s = net.connect(port, host);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
