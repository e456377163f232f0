import { sqlTime } from '../db/time';
import { heartbeat } from '@temporalio/activity';
import { QueryTypes } from 'sequelize';
import { cancelPendingOrder, releaseExpiredHolds } from '../db/transitions';
import type { SweepInput, SweepResult } from '../shared/types';
import type { ActivityDeps } from './deps';

/** The backup path: whatever the hold and order timers missed (a worker down, a lost signal) is settled here. */
export function createSweepActivities({ db, cache, log }: ActivityDeps) {
  return {
    async sweepExpired({ graceSeconds, paymentTimeoutSeconds, batchSize }: SweepInput): Promise<SweepResult> {
      const result: SweepResult = { holdsReleased: 0, ordersCancelled: 0 };
      const touched = new Set<number>();
      for (;;) {
        const now = new Date();
        // One transaction per batch: a storm of expiries gives its stock back in seconds even while the holds' own
        // timers are still queued in Temporal (they then find their hold released and change nothing).
        const holds = await releaseExpiredHolds(db, new Date(now.getTime() - graceSeconds * 1000), now, batchSize);
        for (const h of holds) {
          touched.add(h.product_id);
          log.info({ hold_id: h.id, product_id: h.product_id, quantity: h.quantity }, 'sweep released expired hold');
        }
        result.holdsReleased += holds.length;
        const orders = await db.query<{ id: number; hold_id: number; product_id: number }>(
          `SELECT o.id, o.hold_id, h.product_id FROM orders o JOIN holds h ON h.id = o.hold_id
           WHERE o.status = 'pending' AND o.created_at < :cutoff ORDER BY o.created_at LIMIT :batchSize`,
          {
            replacements: {
              cutoff: sqlTime(new Date(now.getTime() - (paymentTimeoutSeconds + graceSeconds) * 1000)),
              batchSize,
            },
            type: QueryTypes.SELECT,
          },
        );
        for (const o of orders) {
          const cancelled = await db.transaction((t) =>
            cancelPendingOrder(db, t, Number(o.id), Number(o.hold_id), now, 'sweep_payment_timeout'),
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
      if (result.holdsReleased || result.ordersCancelled) log.info({ ...result }, 'sweep finished');
      return result;
    },
  };
}
