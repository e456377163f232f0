import {
  allHandlersFinished,
  condition,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { DB_STEP_OPTIONS } from './activity-options';
import { orderStatusQuery, paymentSettledSignal } from '../shared/messages';
import { OrderStatusKey } from '../shared/search-attributes';
import type { OrderWorkflowInput, OrderWorkflowStatus } from '../shared/types';
import type { OrderStatus, OrderView } from '../shared/views';
import { OrderAftermath } from './order-life';

const { cancelUnpaidOrder } = proxyActivities<Activities>(DB_STEP_OPTIONS);

/** Marks runs that report their order's life (events, late payments); shipped histories never reach it. */
export const ORDER_LIFE_PATCH = 'order-life-events-late-payments';

/**
 * Waits for the payment webhook (which has already settled the order in the database) or the payment
 * timeout, whichever comes first; on timeout the order is cancelled and its stock given back.
 */
export async function orderWorkflow(input: OrderWorkflowInput): Promise<OrderWorkflowStatus> {
  let status: OrderStatus = input.settled ?? 'pending';
  let eventId: string | null = null;
  let settledOrder: OrderView | undefined;
  const describe = () =>
    setCurrentDetails(
      `order ${input.orderId}: ${input.quantity} × product ${input.productId} (hold ${input.holdId}) — ${status}` +
        (eventId ? `, payment event ${eventId}` : '') +
        aftermath.details(),
    );
  const aftermath = new OrderAftermath(input, () => describe());

  setHandler(paymentSettledSignal, (p) => {
    // Signals can arrive more than once; only the first settlement counts.
    if (status !== 'pending') return;
    status = p.orderStatus;
    eventId = p.eventId;
    settledOrder = p.order;
  });
  setHandler(orderStatusQuery, () => ({ orderId: input.orderId, status, eventId }));
  describe();
  if (input.settled !== undefined) {
    // A run that only reports a late payment (its order's first run has closed).
    patched(ORDER_LIFE_PATCH);
    status = await aftermath.run(status, undefined);
    await condition(allHandlersFinished);
    return { orderId: input.orderId, status, eventId };
  }

  const deadline = Date.parse(input.createdAt) + input.paymentTimeoutSeconds * 1000;
  const remaining = deadline - Date.now();
  const settled =
    remaining > 0 &&
    (await condition(() => status !== 'pending', remaining, {
      summary: `payment for order ${input.orderId} due by ${new Date(deadline).toISOString()}`,
    }));
  if (!settled && status === 'pending') {
    status = await cancelUnpaidOrder(input.orderId, input.holdId, input.productId);
  }
  upsertSearchAttributes([{ key: OrderStatusKey, value: status }]);
  describe();
  await condition(allHandlersFinished);
  if (aftermath.needed && patched(ORDER_LIFE_PATCH)) {
    status = await aftermath.run(status, settledOrder);
    await condition(allHandlersFinished);
  }
  return { orderId: input.orderId, status, eventId };
}
