import { heartbeat } from '@temporalio/activity';
import { deleteClosedOrders, deleteDeliveries, deleteIdempotencyKeys, deleteReleasedHolds } from '../db/purge';
import { purgeCutoffs, type PurgeInput, type PurgeResult } from '../shared/retention';
import type { ActivityDeps } from './deps';

/** Repeats one batch's delete until a batch comes back short, heartbeating between batches. */
async function untilShort(limit: number, batch: () => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await batch();
    total += n;
    heartbeat();
    if (n < limit) return total;
  }
}

/** Retention: what the service no longer needs goes, a small batch per statement (src/db/purge.ts). */
export function createPurgeActivities({ db, log }: ActivityDeps) {
  return {
    /**
     * One run of the purge Schedule. Every delete is conditional and by primary key, so a retried or overlapping run
     * deletes nothing twice and nothing it should keep. Orders go before released holds: an order's hold goes with it.
     */
    async purgeExpired(input: PurgeInput): Promise<PurgeResult> {
      const cutoffs = purgeCutoffs(new Date(), input);
      const limit = input.batchSize;
      const idempotencyKeys = await untilShort(limit, () => deleteIdempotencyKeys(db, cutoffs.keysBefore, limit));
      const deliveries = await untilShort(limit, () => deleteDeliveries(db, cutoffs, limit));
      let orderHolds = 0;
      const orders = await untilShort(limit, async () => {
        const batch = await deleteClosedOrders(db, cutoffs.closedBefore, limit);
        orderHolds += batch.holds;
        return batch.orders;
      });
      const holds = orderHolds + (await untilShort(limit, () => deleteReleasedHolds(db, cutoffs.closedBefore, limit)));
      const result = { idempotencyKeys, deliveries, orders, holds };
      if (idempotencyKeys + deliveries + orders + holds > 0) {
        log.info({ ...result, closed_before: cutoffs.closedBefore.toISOString() }, 'purge deleted expired records');
      }
      return result;
    },
  };
}
