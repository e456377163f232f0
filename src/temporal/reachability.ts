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
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const refused = new Promise<never>((_, reject) => {
      const check = async () => {
        if (settled) return;
        if (!(await this.accepts())) reject(new TemporalUnavailable('Temporal refuses connections'));
        else if (!settled) timer = setTimeout(check, CHECK_EVERY_MS);
      };
      timer = setTimeout(check, FIRST_CHECK_MS);
    });
    refused.catch(() => undefined);
    try {
      return await Promise.race([call, refused]);
    } finally {
      settled = true;
      clearTimeout(timer);
    }
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
