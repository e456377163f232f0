import { Context, heartbeat } from '@temporalio/activity';
import { deleteOldTombstones } from '../db/abandoned-holds';
import { holdsLapsingBefore, overdueOrders } from '../db/sweep';
import { cancelPendingOrder, releaseExpiredHolds } from '../db/transitions';
import { noFaults } from '../faults';
import type { SweepInput, SweepResult } from '../shared/types';
import type { ActivityDeps } from './deps';

/**
 * How often a watching sweep looks again; how far ahead it looks for holds about to lapse before it stops; and how
 * long it may keep going past its watch while there is (or is about to be) work.
 */
const POLL_MS = 1_000;
const LOOKAHEAD_SECONDS = 30;
export const SWEEP_OVERTIME_SECONDS = 5 * 60;
const OVERTIME_MS = SWEEP_OVERTIME_SECONDS * 1000;

/**
 * Abandoned holds' tombstones (src/db/abandoned-holds.ts) are kept this long: a reservation still running a day after
 * its caller's deadline cannot happen (its attempts are bounded in seconds), and the API's `answerBy` refuses it anyway.
 * Deleted a small batch per statement, so no delete holds many locks at once.
 */
const TOMBSTONE_LIFETIME_MS = 24 * 3_600_000;
const TOMBSTONE_BATCH = 200;

/** One pass: every batch of expired holds and overdue orders there is now; returns what it settled. */
async function sweepOnce(
  { db, cache, log, faults = noFaults }: ActivityDeps,
  { graceSeconds, paymentTimeoutSeconds, batchSize }: SweepInput,
): Promise<SweepResult> {
  const result: SweepResult = { holdsReleased: 0, ordersCancelled: 0 };
  const touched = new Set<number>();
  for (;;) {
    const now = new Date();
    // One transaction per batch: a storm of expiries gives its stock back in seconds even while the holds' own
    // timers are still queued in Temporal (they then find their hold released and change nothing).
    const holds = await releaseExpiredHolds(db, new Date(now.getTime() - graceSeconds * 1000), now, batchSize, faults);
    for (const h of holds) {
      touched.add(h.product_id);
      log.info({ hold_id: h.id, product_id: h.product_id, quantity: h.quantity }, 'sweep released expired hold');
    }
    result.holdsReleased += holds.length;
    const cutoff = new Date(now.getTime() - (paymentTimeoutSeconds + graceSeconds) * 1000);
    const orders = await overdueOrders(db, cutoff, batchSize);
    for (const o of orders) {
      const cancelled = await db.transaction((t) =>
        cancelPendingOrder(db, t, Number(o.id), Number(o.hold_id), now, 'sweep_payment_timeout', faults),
      );
      if (cancelled) {
        result.ordersCancelled++;
        touched.add(Number(o.product_id));
        log.info({ order_id: Number(o.id), hold_id: Number(o.hold_id) }, 'sweep cancelled unpaid order');
      }
    }
    heartbeat(result);
    if (holds.length < batchSize && orders.length < batchSize) break;
  }
  await cache.invalidate([...touched]);
  return result;
}

async function deleteTombstones({ db }: ActivityDeps): Promise<number> {
  const cutoff = new Date(Date.now() - TOMBSTONE_LIFETIME_MS);
  let deleted = 0;
  for (;;) {
    const n = await deleteOldTombstones(db, cutoff, TOMBSTONE_BATCH);
    deleted += n;
    heartbeat();
    if (n < TOMBSTONE_BATCH) return deleted;
  }
}

/** The backup path: whatever the hold and order timers missed (a worker down, a lost signal) is settled here. */
export function createSweepActivities(deps: ActivityDeps) {
  const { db, log } = deps;
  // A storm's holds all lapse at one moment, when Temporal's timers (the next Schedule tick's included) run late: a
  // watcher that sees them coming stays on rather than leave the moment to a tick that may be late.
  async function lapsingSoon(graceSeconds: number): Promise<boolean> {
    return holdsLapsingBefore(db, new Date(Date.now() + (graceSeconds + LOOKAHEAD_SECONDS) * 1000));
  }

  return {
    /**
     * Sweeps once, then (with `watchSeconds`) keeps looking every second until the watch is over and nothing has
     * lapsed or is about to (at most 5 minutes more). The Schedule only starts a watcher every interval: during an
     * expiry storm Temporal's own timers, the Schedule's included, run late, while a watcher already running sees the
     * lapsed holds in MariaDB within a second.
     * Worker shutdown cancels the wait between passes; a pass in progress finishes first.
     */
    async sweepExpired(input: SweepInput): Promise<SweepResult> {
      const total: SweepResult = { holdsReleased: 0, ordersCancelled: 0 };
      const watchUntil = Date.now() + (input.watchSeconds ?? 0) * 1000;
      const tombstones = await deleteTombstones(deps);
      if (tombstones) log.info({ tombstones }, 'sweep deleted old abandoned-hold tombstones');
      for (;;) {
        const pass = await sweepOnce(deps, input);
        total.holdsReleased += pass.holdsReleased;
        total.ordersCancelled += pass.ordersCancelled;
        const found = pass.holdsReleased + pass.ordersCancelled > 0;
        if (found) log.info({ ...pass }, 'sweep pass settled lapsed holds or orders');
        if (!input.watchSeconds || Date.now() >= watchUntil + OVERTIME_MS) break;
        if (Date.now() >= watchUntil && !found && !(await lapsingSoon(input.graceSeconds))) break;
        if (!found) await Context.current().sleep(POLL_MS);
      }
      if (total.holdsReleased || total.ordersCancelled) log.info({ ...total }, 'sweep finished');
      return total;
    },
  };
}
