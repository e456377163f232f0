/** Raised when a call waited its whole queue budget for a slot: nothing was sent to Temporal. */
export class AdmissionTimeout extends Error {}

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

  async run<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.inFlight < this.limit) {
      this.inFlight++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const grant = () => {
        clearTimeout(timer);
        this.inFlight++;
        resolve();
      };
      const timer = setTimeout(() => {
        const i = this.waiting.indexOf(grant);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new AdmissionTimeout(`no Temporal call slot within ${this.queueTimeoutMs} ms`));
      }, this.queueTimeoutMs);
      this.waiting.push(grant);
    });
  }

  private release(): void {
    this.inFlight--;
    this.waiting.shift()?.();
  }
}
