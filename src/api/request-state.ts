import type { ServerResponse } from 'node:http';
import type { Logger } from '../logger';
import type { ApiState } from './state';

/**
 * A request's state. Its logger (a child bound to the request id) and its hang-up signal are made on first use: the
 * cheapest answers (a cached product, a sold-out refusal) log nothing at the usual level and never wait on Temporal,
 * so they pay for neither.
 */
export class RequestState implements ApiState {
  rawBody!: string;
  body: unknown;
  apiKeyId?: string;
  private ownLog?: Logger;
  private hangUp?: { controller: AbortController; onClose: () => void };

  constructor(
    readonly requestId: string,
    private readonly baseLog: Logger,
    private readonly res: ServerResponse,
  ) {}

  get log(): Logger {
    return (this.ownLog ??= this.baseLog.child({ request_id: this.requestId }));
  }

  set log(log: Logger) {
    this.ownLog = log;
  }

  /** Aborted when the client hangs up before its answer (a buyer giving up, a load balancer's timeout). */
  get gone(): AbortSignal {
    if (!this.hangUp) {
      const controller = new AbortController();
      const { res } = this;
      const onClose = () => {
        if (!res.writableFinished) controller.abort();
      };
      this.hangUp = { controller, onClose };
      // Already gone before anyone asked: the close event has passed.
      if (!res.writableFinished && (res.destroyed || res.socket === null || res.socket.destroyed)) controller.abort();
      else res.once('close', onClose);
    }
    return this.hangUp.controller.signal;
  }

  /** The request is answered: stop listening for a hang-up. */
  end(): void {
    if (this.hangUp) this.res.off('close', this.hangUp.onClose);
  }
}
