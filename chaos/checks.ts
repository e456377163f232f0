import type { InvariantChecker } from '../harness/checker/checker';
import type { LiveChecks } from '../harness/checker/live';
import { sleep } from '../harness/wait';
import type { Outages } from './outages';
import { SETTINGS } from './settings';
import { log } from './util';

/** A hold still open this long past its expiry, once faults have healed and the service had time, is lost. */
export const SETTLED_GRACE_SECONDS = 30;

/**
 * The invariant checks of one scenario: the checker (the database against every acknowledged answer) and the live
 * checks (workflows, product reads), one sample now or every 1.5 s in the background, and the settled check at its
 * end. The violations, checks and skipped rounds it reports are this scenario's own.
 */
export class ScenarioChecks {
  private readonly liveViolations = new Set<string>();
  /** The checker's violations before the scenario, and those already logged. */
  private readonly before: Set<string>;
  private readonly logged: Set<string>;
  /** Check rounds run, and live rounds skipped, before the scenario. */
  private readonly checksBefore: number;
  private readonly skippedBefore: number;
  private sampling: Promise<void> | null = null;
  private samplingOn = false;
  /** Checker rounds that could not run during an outage the harness made. */
  private checkerSkipped = 0;

  constructor(
    private readonly checker: InvariantChecker,
    private readonly live: LiveChecks | null,
    private readonly outages: Outages,
    private readonly expect: (ok: boolean, msg: string) => void,
  ) {
    this.before = new Set(checker.violations.keys());
    this.logged = new Set(checker.violations.keys());
    this.checksBefore = checker.checks + (live?.checks ?? 0);
    this.skippedBefore = live?.skipped ?? 0;
  }

  /** One invariant check now (during faults: everything but the "nothing left open" part). */
  async sample(): Promise<void> {
    const report = await this.checker.check();
    for (const v of report.violations) if (!this.logged.has(v)) log(`  VIOLATION: ${v}`);
    for (const v of report.violations) this.logged.add(v);
    for (const v of (await this.live?.sample()) ?? []) {
      if (!this.liveViolations.has(v)) log(`  VIOLATION: ${v}`);
      this.liveViolations.add(v);
    }
  }

  /** Checks continuously (every `everyMs`) until `stopSampling`. */
  startSampling(everyMs = 1_500): void {
    if (this.samplingOn) return;
    this.samplingOn = true;
    this.sampling = (async () => {
      while (this.samplingOn) {
        const t = Date.now();
        try {
          await this.sample().catch(async () => {
            // A connection the harness's own MariaDB outage left dead fails once: a fresh one is tried.
            await this.checker.close();
            await this.sample();
          });
        } catch (err) {
          // The checker reads MariaDB directly: it can only fail while the harness has MariaDB down on purpose
          // (or came back from it moments ago, still restarting).
          if (this.outages.overlap(t - 15_000, Date.now()) > 0) this.checkerSkipped++;
          else this.expect(false, `invariant check could not run with nothing down: ${(err as Error).message}`);
        }
        await sleep(Math.max(0, everyMs - (Date.now() - t)));
      }
    })();
  }

  async stopSampling(): Promise<void> {
    this.samplingOn = false;
    await this.sampling;
    this.sampling = null;
  }

  /**
   * Waits until everything in flight has run out (open holds expired, pending orders past their payment deadline)
   * and `maxMs` more at most, then checks settled; notes what was still open or overdue.
   */
  async settle(maxMs: number, phantomBoundSeconds: number): Promise<string[]> {
    const deadline = Date.now() + (SETTINGS.holdTtlSeconds + SETTINGS.paymentTimeoutSeconds) * 1000 + maxMs;
    let report = await this.checker.check();
    while ((report.openHolds > 0 || report.pendingOrders > 0) && Date.now() < deadline) {
      await sleep(1_000);
      report = await this.checker.check();
    }
    const settled = await this.checker.check({ graceSeconds: SETTLED_GRACE_SECONDS, phantomBoundSeconds });
    for (const v of settled.violations) if (!this.logged.has(v)) log(`  VIOLATION: ${v}`);
    const notes: string[] = [];
    if (report.openHolds || report.pendingOrders) {
      notes.push(`${report.openHolds} holds / ${report.pendingOrders} orders still open after settling`);
    }
    if (report.overdueHolds || report.overdueOrders) {
      notes.push(
        `${report.overdueHolds} holds / ${report.overdueOrders} orders still open past their deadline after ${maxMs / 1000} s`,
      );
    }
    return notes;
  }

  /** Violations found during this scenario, by the checker and the live checks. */
  violations(): string[] {
    return [...[...this.checker.violations.keys()].filter((v) => !this.before.has(v)), ...this.liveViolations];
  }

  checks(): number {
    return this.checker.checks + (this.live?.checks ?? 0) - this.checksBefore;
  }

  /** Check rounds that could not run because the harness had a store down. */
  skipped(): number {
    return this.checkerSkipped + (this.live?.skipped ?? 0) - this.skippedBefore;
  }
}
