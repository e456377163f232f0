import { connect } from 'node:net';
import { TemporalUnavailable } from './call-errors';

/** How long a call waits before it checks that Temporal's frontend still accepts connections, and how often after. */
const FIRST_CHECK_MS = 1_000;
const CHECK_EVERY_MS = 500;

/**
 * Whether Temporal's frontend accepts TCP connections. The worker's NativeConnection (which eager start shares with
 * this process's client) retries an unreachable server for about ten seconds, whatever the call's deadline; a call
 * that waits while the server refuses connections is answered 503 at once instead (a frozen server still accepts them:
 * its calls wait out their deadline). One connect per half second per process at most.
 */
export class Reachability {
  private last: { at: number; open: Promise<boolean> } | null = null;
  /** The calls waiting now, each with when it began and how to fail it; one shared ticker watches them all. */
  private readonly waiting = new Set<{ since: number; fail: (err: Error) => void }>();
  private ticker: NodeJS.Timeout | null = null;

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  static of(address: string): Reachability {
    const at = address.lastIndexOf(':');
    return new Reachability(address.slice(0, at).replace(/^\[|\]$/g, ''), Number(address.slice(at + 1)));
  }

  /** Runs `call`; once it has waited a second, a frontend that refuses connections fails it as TemporalUnavailable. */
  async guard<T>(call: Promise<T>): Promise<T> {
    let entry!: { since: number; fail: (err: Error) => void };
    const refused = new Promise<never>((_, reject) => (entry = { since: Date.now(), fail: reject }));
    refused.catch(() => undefined);
    this.waiting.add(entry);
    // A hot path sends thousands of calls a second: one ticker for all of them, not a timer per call.
    this.ticker ??= setInterval(() => void this.check(), CHECK_EVERY_MS);
    try {
      return await Promise.race([call, refused]);
    } finally {
      this.waiting.delete(entry);
      if (this.waiting.size === 0 && this.ticker) {
        clearInterval(this.ticker);
        this.ticker = null;
      }
    }
  }

  /** Fails every call that has waited past FIRST_CHECK_MS if the frontend refuses connections now. */
  private async check(): Promise<void> {
    const now = Date.now();
    const old = [...this.waiting].filter((w) => now - w.since >= FIRST_CHECK_MS);
    if (old.length === 0 || (await this.accepts())) return;
    for (const w of old) w.fail(new TemporalUnavailable('Temporal refuses connections'));
  }

  private accepts(): Promise<boolean> {
    if (this.last && Date.now() - this.last.at < CHECK_EVERY_MS) return this.last.open;
    const open = new Promise<boolean>((resolve) => {
      const socket = connect({ host: this.host, port: this.port, timeout: CHECK_EVERY_MS });
      const done = (ok: boolean) => {
        socket.destroy();
        resolve(ok);
      };
      socket.once('connect', () => done(true));
      socket.once('error', () => done(false));
      // No answer at all (a black-holed network): not a refusal; the call's own deadline decides.
      socket.once('timeout', () => done(true));
    });
    this.last = { at: Date.now(), open };
    return open;
  }
}
