/** Raised when a call waited its whole queue budget for a slot: nothing was sent to Temporal. */
export class AdmissionTimeout extends Error {}
/** Raised when a call's caller went away while it waited for a slot: nothing was sent to Temporal. */
export class AdmissionAbandoned extends Error {}

/**
 * A bound on the Temporal calls one API process has in flight. Past Temporal's throughput, more concurrent calls
 * only queue inside Temporal, where a call that outlives its deadline may still commit (a hold answered 503 that
 * exists). Queued here instead, a call either gets a slot and its whole deadline, or gives up before anything was
 * started, so its 503 is clean and a retry costs nothing.
 */
export class Admission {
  private inFlight = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    readonly limit: number,
    readonly queueTimeoutMs: number,
  ) {}

  get active(): number {
    return this.inFlight;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Runs `fn` once a slot is free (`waited`: whether it had to queue for it); `gone` drops the call from the queue
   * while it still waits.
   */
  async run<T>(fn: (waited: boolean) => Promise<T>, gone?: AbortSignal): Promise<T> {
    const waited = await this.acquire(gone);
    try {
      return await fn(waited);
    } finally {
      this.release();
    }
  }

  /** Takes a slot; true when the call had to wait for it. */
  private acquire(gone?: AbortSignal): Promise<boolean> {
    if (gone?.aborted) return Promise.reject(new AdmissionAbandoned('the caller went away'));
    if (this.inFlight < this.limit) {
      this.inFlight++;
      return Promise.resolve(false);
    }
    return new Promise<boolean>((resolve, reject) => {
      const leave = (err: Error) => {
        clearTimeout(timer);
        gone?.removeEventListener('abort', abandon);
        const i = this.waiting.indexOf(grant);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(err);
      };
      const grant = () => {
        clearTimeout(timer);
        gone?.removeEventListener('abort', abandon);
        this.inFlight++;
        resolve(true);
      };
      const abandon = () => leave(new AdmissionAbandoned('the caller went away'));
      const timer = setTimeout(
        () => leave(new AdmissionTimeout(`no Temporal call slot within ${this.queueTimeoutMs} ms`)),
        this.queueTimeoutMs,
      );
      gone?.addEventListener('abort', abandon, { once: true });
      this.waiting.push(grant);
    });
  }

  private release(): void {
    this.inFlight--;
    this.waiting.shift()?.();
  }
}
