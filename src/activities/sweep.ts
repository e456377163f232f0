import { sqlTime } from '../db/time';
import { heartbeat } from '@temporalio/activity';
import { QueryTypes } from 'sequelize';
import { cancelPendingOrder, releaseHoldStock } from '../db/transitions';
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
        const holds = await db.query<{ id: number; product_id: number }>(
          `SELECT id, product_id FROM holds
           WHERE released_at IS NULL AND used_at IS NULL AND hold_expires_at < :cutoff
           ORDER BY hold_expires_at LIMIT :batchSize`,
          {
            replacements: { cutoff: sqlTime(new Date(now.getTime() - graceSeconds * 1000)), batchSize },
            type: QueryTypes.SELECT,
          },
        );
        for (const h of holds) {
          // Same conditional release as the hold's own timer: whichever comes first wins, the other changes nothing.
          if (await db.transaction((t) => releaseHoldStock(db, t, Number(h.id), now, 'sweep', false))) {
            result.holdsReleased++;
            touched.add(Number(h.product_id));
            log.info({ hold_id: Number(h.id), product_id: Number(h.product_id) }, 'sweep released expired hold');
          }
        }
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
