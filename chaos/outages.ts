import type { Downtime } from '../harness/checker/checker';

/**
 * When the system under test was down, as the harness made it so: windows during which `down()` said yes, sampled
 * every `everyMs`. The lateness check stretches a hold's bound by its overlap with these windows, so the outage
 * windows of every scenario are explicit (and listed in the scenario's notes).
 */
export class Outages implements Downtime {
  readonly windows: { from: number; to: number | null; why: string }[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly down: () => string | null,
    private readonly everyMs = 100,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => this.tick(), this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.tick();
  }

  /** Re-evaluates now (call right after changing a component, for exact edges). */
  tick(): void {
    const why = this.down();
    const open = this.windows.at(-1);
    const now = Date.now();
    if (why && (!open || open.to !== null)) this.windows.push({ from: now, to: null, why });
    else if (!why && open && open.to === null) open.to = now;
  }

  overlap(from: number, to: number): number {
    let ms = 0;
    for (const w of this.windows) {
      const end = w.to ?? Date.now();
      ms += Math.max(0, Math.min(end, to) - Math.max(w.from, from));
    }
    return ms;
  }

  /** Windows since `since`, for a scenario's notes. */
  describe(since: number): string[] {
    return this.windows
      .filter((w) => (w.to ?? Date.now()) >= since)
      .map((w) => `${w.why} for ${(((w.to ?? Date.now()) - w.from) / 1000).toFixed(1)} s`);
  }
}

/**
 * The harness's planned outages of the API processes: from when it takes one down (or arms it to die) until it
 * serves again + 2 s. Clients finding the API dead in one is expected.
 */
export class PlannedOutages {
  private readonly windows: { from: number; until: number }[] = [];

  /** The harness takes the API down, or armed it to die. */
  begin(): void {
    const last = this.windows.at(-1);
    if (last && Date.now() < last.until) last.until = Infinity;
    else this.windows.push({ from: Date.now(), until: Infinity });
  }

  /** The API serves again (SIGCONT after a freeze): clients settle within 2 s. */
  end(): void {
    const last = this.windows.at(-1);
    if (last?.until === Infinity) last.until = Date.now() + 2_000;
  }

  /**
   * Whether a request sent at `since` and failing now met a planned outage: one sent before a freeze may only fail
   * once its server, continued, has closed the connections it could not serve.
   */
  met(since = Date.now()): boolean {
    const now = Date.now();
    return this.windows.some((w) => w.from <= now && since < w.until);
  }
}
