import { sqlTime } from '../db/time';
import { ApplicationFailure } from '@temporalio/activity';
import { QueryTypes } from 'sequelize';
import { ORDER_AMOUNT_SQL, orderAmountReplacements } from '../db/order-amounts';
import { orderView } from '../db/views';
import { faultPoint } from '../faults';
import { cancelPendingOrder, selectOne } from '../db/transitions';
import { orderRefusal } from '../shared/refusals';
import { FailureType } from '../shared/types';
import type { OrderStatus, OrderView } from '../shared/views';
import type { ActivityDeps } from './deps';
import { DEFAULT_CURRENCY } from '../shared/money';

interface LockedHold {
  product_id: number;
  customer_id: string | null;
  hold_expires_at: Date;
  released_at: Date | null;
  used_at: Date | null;
}

export function createOrderActivities({ db, cache, log, currency = DEFAULT_CURRENCY }: ActivityDeps) {
  const loadOrder = async (orderId: number): Promise<OrderView> =>
    orderView((await selectOne<Record<string, unknown>>(db, 'SELECT * FROM orders WHERE id = :orderId', { orderId }))!);

  return {
    /**
     * Turns a held hold into a pending order. Retry-safe: if this hold already has its order, that order
     * is the answer (only the hold's own workflow calls this, one order attempt at a time).
     */
    async createOrder(holdId: number): Promise<OrderView> {
      const now = new Date();
      const orderId = await db.transaction(async (t) => {
        // Only the hold row is locked: a locking read of the missing order row would take a gap lock in the orders
        // index, and two orders inserting into the same gap would deadlock. Every order of this hold is created under
        // this row's lock, so a plain read after taking it sees any that exists.
        const hold = await selectOne<LockedHold>(
          db,
          'SELECT product_id, customer_id, hold_expires_at, released_at, used_at FROM holds WHERE id = :holdId FOR UPDATE',
          { holdId },
          t,
        );
        if (!hold) throw ApplicationFailure.nonRetryable(`hold ${holdId} does not exist`, FailureType.HoldMissing);
        const existing = await selectOne<{ id: number }>(
          db,
          'SELECT id FROM orders WHERE hold_id = :holdId',
          { holdId },
          t,
        );
        if (existing) return Number(existing.id);
        const refusal = orderRefusal(
          {
            expiresAtMs: new Date(hold.hold_expires_at).getTime(),
            released: hold.released_at !== null,
            used: hold.used_at !== null,
          },
          now.getTime(),
        );
        if (refusal) throw ApplicationFailure.nonRetryable(`hold ${holdId} cannot be ordered`, refusal);
        await db.query('UPDATE holds SET used_at = :now, updated_at = :now WHERE id = :holdId', {
          replacements: { now: sqlTime(now), holdId },
          transaction: t,
          type: QueryTypes.UPDATE,
        });
        // The amount is priced here, under the hold's lock, from the product's price now (ORDER_AMOUNT_SQL).
        const [insertId] = await db.query(
          `INSERT INTO orders (hold_id, customer_id, status, amount, currency, created_at, updated_at)
           SELECT :holdId, :customerId, 'pending', ${ORDER_AMOUNT_SQL}, :currency, :now, :now
           FROM holds h JOIN products p ON p.id = h.product_id WHERE h.id = :holdId`,
          {
            replacements: {
              holdId,
              customerId: hold.customer_id,
              now: sqlTime(now),
              ...orderAmountReplacements(currency),
            },
            transaction: t,
            type: QueryTypes.INSERT,
          },
        );
        await faultPoint('order.beforeCommit');
        return Number(insertId);
      });
      await faultPoint('order.afterCommit');
      log.info({ hold_id: holdId, order_id: orderId }, 'order created');
      return loadOrder(orderId);
    },

    /** The order as the database has it now (its outbound event's data, when the workflow has no fresher view). */
    readOrder: loadOrder,

    /** Payment never came: cancel the order and give its stock back, unless the webhook settled it first. */
    async cancelUnpaidOrder(orderId: number, holdId: number, productId: number): Promise<OrderStatus> {
      const now = new Date();
      const cancelled = await db.transaction((t) => cancelPendingOrder(db, t, orderId, holdId, now, 'payment_timeout'));
      const { status } = await loadOrder(orderId);
      // Also when an earlier attempt committed the cancel and died before its cache update (idempotent).
      if (status === 'cancelled') await cache.invalidate([productId]);
      if (cancelled) log.info({ order_id: orderId, hold_id: holdId }, 'unpaid order cancelled, stock returned');
      return status;
    },
  };
}
