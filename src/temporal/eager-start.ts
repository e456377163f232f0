import { ApplicationFailure } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import type { Activities } from '../activities';
import type { HoldView } from '../shared/views';

/**
 * Eager workflow start (HOLD_EAGER_START, docs/performance.md): an API process that also runs a hold worker starts a
 * hold with a plain start asking for eager execution. The server hands the first workflow task straight back to
 * this process's worker (no matching, no poll, no second process), whose local activity makes the reservation; its
 * outcome comes back to the waiting HTTP call in-process, through `ReservationWaiters`.
 *
 * What comes back in-process is only what the workflow itself will make of the activity's result: a hold, or a
 * business refusal (a non-retryable ApplicationFailure). A transient error settles nothing: the local activity
 * retries here, and a later attempt settles the call (or its deadline answers 503, as a slow Update-with-Start
 * would). Asking the workflow instead, while its first task was still in flight, raced that task (chaos suite).
 * The answer may precede the workflow task's completion: a process that dies then has its task retried elsewhere,
 * and the reservation, idempotent by hold id, finds the hold it already took (activities/stock.ts); the workflow
 * accepts the client's next request even when it arrives together with its start (workflows/hold.ts).
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

/** The activities of a hold worker whose reservations also report to this process's waiting calls. */
export function handingBackReservations(activities: Activities, waiters: ReservationWaiters): Activities {
  return {
    ...activities,
    async reserveStock(input) {
      try {
        const hold = await activities.reserveStock(input);
        waiters.settle(input.holdId, { kind: 'held', hold });
        return hold;
      } catch (err) {
        if (err instanceof ApplicationFailure && err.nonRetryable) {
          waiters.settle(input.holdId, { kind: 'refused', failure: err });
        }
        throw err;
      }
    },
  };
}

/** What the hold gateway needs to start holds eagerly: a client on the worker's connection, and the waiters. */
export interface EagerStarter {
  client: Client;
  waiters: ReservationWaiters;
}
