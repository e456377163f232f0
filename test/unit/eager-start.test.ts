import { ApplicationFailure } from '@temporalio/common';
import type { Activities } from '../../src/activities';
import { FailureType, type HoldWorkflowInput } from '../../src/shared/types';
import type { HoldView } from '../../src/shared/views';
import { ReservationWaiters } from '../../src/temporal/reservation-waiters';
import { handingBackReservations } from '../../src/worker/hold-worker';

const input = (holdId: number) => ({ holdId, productId: 7, quantity: 1 }) as HoldWorkflowInput;
const hold = (id: number) => ({ id, product_id: 7, quantity: 1 }) as HoldView;

/** Waiters, and activities handing back to them whose reservation does what the test says (nothing else is called). */
function handingBack(reserve: (i: HoldWorkflowInput) => Promise<HoldView>) {
  const waiters = new ReservationWaiters();
  const activities = handingBackReservations({ reserveStock: reserve } as unknown as Activities, waiters);
  return { waiters, activities };
}
/** What a promise has settled to so far: 'pending' when nothing yet. */
const settledYet = <T>(p: Promise<T>) => Promise.race([p, Promise.resolve('pending' as const)]);

describe('eager start: the reservation handed back in-process', () => {
  test('a reservation that takes stock hands the hold to the call waiting for it, and to no other', async () => {
    const { waiters, activities } = handingBack(async (i) => hold(i.holdId));
    const mine = waiters.expect(1);
    const other = waiters.expect(2);
    await expect(activities.reserveStock(input(1))).resolves.toEqual(hold(1));
    await expect(mine.outcome).resolves.toEqual({ kind: 'held', hold: hold(1) });
    expect(await settledYet(other.outcome)).toBe('pending');
    other.done();
    expect(waiters.size).toBe(0);
  });

  test('a business refusal is handed back as the refusal; the activity still fails for the workflow', async () => {
    const refusal = ApplicationFailure.nonRetryable('insufficient', FailureType.InsufficientStock, { available: 0 });
    const { waiters, activities } = handingBack(async () => {
      throw refusal;
    });
    const waiting = waiters.expect(3);
    await expect(activities.reserveStock(input(3))).rejects.toBe(refusal);
    await expect(waiting.outcome).resolves.toEqual({ kind: 'refused', failure: refusal });
  });

  test('a transient failure (which the local activity retries) settles nothing; the attempt that succeeds does', async () => {
    let attempts = 0;
    const { waiters, activities } = handingBack(async (i) => {
      if (++attempts === 1) throw new Error('connection lost');
      return hold(i.holdId);
    });
    const waiting = waiters.expect(4);
    await expect(activities.reserveStock(input(4))).rejects.toThrow('connection lost');
    expect(await settledYet(waiting.outcome)).toBe('pending');
    await expect(activities.reserveStock(input(4))).resolves.toEqual(hold(4));
    await expect(waiting.outcome).resolves.toEqual({ kind: 'held', hold: hold(4) });
  });

  test('two calls waiting on one hold (a retry with the same key) both hear; a reservation nobody waits for is fine', async () => {
    const { waiters, activities } = handingBack(async (i) => hold(i.holdId));
    const first = waiters.expect(5);
    const retry = waiters.expect(5);
    await activities.reserveStock(input(5));
    await expect(Promise.all([first.outcome, retry.outcome])).resolves.toEqual([
      { kind: 'held', hold: hold(5) },
      { kind: 'held', hold: hold(5) },
    ]);
    await expect(activities.reserveStock(input(6))).resolves.toEqual(hold(6));
    expect(waiters.size).toBe(0);
  });
});
