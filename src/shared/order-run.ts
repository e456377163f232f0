import { WorkflowIdReusePolicy } from '@temporalio/common';
import type { EventSettings } from './events';
import { ORDER_PRIORITY } from './priorities';
import { CustomerIdKey, OrderStatusKey, ProductIdKey } from './search-attributes';
import type { OrderWorkflowInput } from './types';
import { orderWorkflowId } from './workflow-ids';

/** The facts an order's workflow starts from, known to the hold's workflow and to the payment webhook alike. */
export interface OrderFacts {
  orderId: number;
  holdId: number;
  productId: number;
  quantity: number;
  /** When the order was created (ISO): its payment timeout counts from then. */
  createdAt: string;
  customerId?: string;
}

/**
 * How an order's workflow run starts, written once for its two starters: the hold's workflow (a child, once the
 * order exists) and the payment webhook (signal-with-start, when the payment gets there before the child's start,
 * which waits behind the burst's hold work at ORDER_PRIORITY). Whichever comes second finds the run started.
 */
export function orderRun(order: OrderFacts, paymentTimeoutSeconds: number, events?: EventSettings) {
  const input: OrderWorkflowInput = {
    orderId: order.orderId,
    holdId: order.holdId,
    productId: order.productId,
    quantity: order.quantity,
    createdAt: order.createdAt,
    paymentTimeoutSeconds,
    ...(events ? { events: { ...events, afterHold: true } } : {}),
  };
  return {
    workflowId: orderWorkflowId(order.orderId),
    args: [input] as [OrderWorkflowInput],
    // Behind the burst's hold work (shared/priorities.ts): the order's payment signal and cancellation inherit it.
    priority: ORDER_PRIORITY,
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    typedSearchAttributes: [
      { key: OrderStatusKey, value: 'pending' },
      { key: ProductIdKey, value: order.productId },
      ...(order.customerId === undefined ? [] : [{ key: CustomerIdKey, value: order.customerId }]),
    ],
    staticSummary: `order ${order.orderId}: hold ${order.holdId}, ${order.quantity} × product ${order.productId}`,
  };
}
