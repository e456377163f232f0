import { ApplicationFailure } from '@temporalio/activity';
import { createOrderForHold, readOrder } from '../db/orders';
import { cancelPendingOrder } from '../db/transitions';
import { noFaults } from '../faults';
import { FailureType } from '../shared/types';
import type { OrderStatus, OrderView } from '../shared/views';
import type { ActivityDeps } from './deps';

export function createOrderActivities({ db, cache, log, faults = noFaults, currency }: ActivityDeps) {
  const loadOrder = async (orderId: number): Promise<OrderView> => (await readOrder(db, orderId))!;

  return {
    /**
     * Turns a held hold into a pending order. Retry-safe: if this hold already has its order, that order
     * is the answer (only the hold's own workflow calls this, one order attempt at a time).
     */
    async createOrder(holdId: number): Promise<OrderView> {
      const now = new Date();
      const creation = await createOrderForHold(db, holdId, now, faults, currency);
      if (creation.kind === 'hold-missing') {
        throw ApplicationFailure.nonRetryable(`hold ${holdId} does not exist`, FailureType.HoldMissing);
      }
      if (creation.kind === 'refused') {
        throw ApplicationFailure.nonRetryable(`hold ${holdId} cannot be ordered`, creation.refusal);
      }
      const { orderId } = creation;
      await faults.at('order.afterCommit');
      log.info({ hold_id: holdId, order_id: orderId }, 'order created');
      return loadOrder(orderId);
    },

    /** The order as the database has it now (its outbound event's data, when the workflow has no fresher view). */
    readOrder: loadOrder,

    /** Payment never came: cancel the order and give its stock back, unless the webhook settled it first. */
    async cancelUnpaidOrder(orderId: number, holdId: number, productId: number): Promise<OrderStatus> {
      const now = new Date();
      const cancelled = await db.transaction((t) =>
        cancelPendingOrder(db, t, orderId, holdId, now, 'payment_timeout', faults),
      );
      const { status } = await loadOrder(orderId);
      // Also when an earlier attempt committed the cancel and died before its cache update (idempotent).
      if (status === 'cancelled') await cache.invalidate([productId]);
      if (cancelled) log.info({ order_id: orderId, hold_id: holdId }, 'unpaid order cancelled, stock returned');
      return status;
    },
  };
}
