import type { ApplicationFailure } from '@temporalio/common';
import type { HoldView } from '../shared/views';

/**
 * What an eagerly started hold's reservation came to, handed from this process's hold worker to the HTTP call that
 * waits for it (src/worker/hold-worker.ts wraps the reservation activity to settle it). Only what the workflow itself
 * will make of the activity's result is handed back: the hold, or a business refusal (a non-retryable
 * ApplicationFailure). A transient error settles nothing: the local activity retries, and a later attempt settles
 * the call, or the call's deadline answers it.
 */
export type ReservationOutcome = { kind: 'held'; hold: HoldView } | { kind: 'refused'; failure: ApplicationFailure };

export class ReservationWaiters {
  // A set per hold: a retry with the same Idempotency-Key may wait on the same hold in this process.
  private readonly waiting = new Map<number, Set<(outcome: ReservationOutcome) => void>>();

  /** Registers an HTTP call waiting for this hold's reservation; `done` when it no longer listens. */
  expect(holdId: number): { outcome: Promise<ReservationOutcome>; done: () => void } {
    let resolve!: (outcome: ReservationOutcome) => void;
    const outcome = new Promise<ReservationOutcome>((r) => (resolve = r));
    const calls = this.waiting.get(holdId) ?? new Set();
    calls.add(resolve);
    this.waiting.set(holdId, calls);
    const done = () => {
      calls.delete(resolve);
      if (!calls.size && this.waiting.get(holdId) === calls) this.waiting.delete(holdId);
    };
    return { outcome, done };
  }

  settle(holdId: number, outcome: ReservationOutcome): void {
    const calls = this.waiting.get(holdId);
    this.waiting.delete(holdId);
    for (const resolve of calls ?? []) resolve(outcome);
  }

  get size(): number {
    return this.waiting.size;
  }
}
