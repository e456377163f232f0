import { ApplicationFailure, activityInfo, getClient } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { createOrderForHold, readOrder } from '../db/orders';
import { cancelPendingOrder } from '../db/transitions';
import { noFaults } from '../faults';
import { orderRun, type OrderRunStart } from '../shared/order-run';
import { FailureType } from '../shared/types';
import type { OrderStatus, OrderView } from '../shared/views';
import type { ActivityDeps } from './deps';

export function createOrderActivities({ db, cache, log, faults = noFaults, currency }: ActivityDeps) {
  const loadOrder = async (orderId: number): Promise<OrderView> => (await readOrder(db, orderId))!;

  return {
    /**
     * Turns a held hold into a pending order, then starts the order's workflow run (`run`; absent in holds from before
     * ORDER_RUN_FROM_ORDER_STEP, whose workflow starts it as a child). Retry-safe: if this hold already has its order,
     * that order is the answer and its run is found started (only the hold's own workflow calls this, one order
     * attempt at a time).
     */
    async createOrder(holdId: number, run?: OrderRunStart): Promise<OrderView> {
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
      const order = await loadOrder(orderId);
      if (run) await startOrderRun(order, run);
      return order;
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

/**
 * Starts the order's workflow run on this activity's task queue (the holds' queue), as the payment webhook would
 * (shared/order-run.ts). From the order step rather than as the hold's child: the hold's workflow then ends in the
 * workflow task that answers the order, with no child start to wait for (two history events and a workflow task
 * fewer per paid unit). An error is the step's: it is retried, finds its order, and starts the run again.
 */
export async function startOrderRun(order: OrderView, run: OrderRunStart): Promise<void> {
  const facts = {
    orderId: order.id,
    holdId: order.hold_id,
    productId: run.productId,
    quantity: run.quantity,
    createdAt: order.created_at,
    ...(order.customer_id === null ? {} : { customerId: order.customer_id }),
  };
  try {
    await getClient().workflow.start('orderWorkflow', {
      ...orderRun(facts, run.paymentTimeoutSeconds, run.events),
      taskQueue: activityInfo().taskQueue,
    });
  } catch (err) {
    // Started already: by an earlier attempt of this step, or by a payment webhook that got there first.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}
