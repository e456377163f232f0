import type { Client } from '@temporalio/client';
import { latePaymentSignal, refundClosedSignal } from '../shared/messages';
import { ORDER_PRIORITY } from '../shared/priorities';
import { OrderStatusKey, ProductIdKey } from '../shared/search-attributes';
import type { LatePayment, OrderWorkflowInput } from '../shared/types';
import { orderWorkflowId } from '../shared/workflow-ids';
import type { orderWorkflow } from '../workflows/order';
import type { EventSettings } from '../shared/events';

/** The order facts a late payment's workflow run needs if the order's first run has closed. */
export type LateOrder = Pick<OrderWorkflowInput, 'orderId' | 'holdId' | 'productId' | 'quantity' | 'createdAt'>;

/** Temporal calls for an order's life after its payment: late payments and refunds. Each is bounded by a deadline. */
/** What the order-life calls need of the gateway's settings (temporal/holds.ts HoldSettings has them all). */
export interface OrderLifeSettings {
  taskQueue: string;
  callTimeoutMs: number;
  paymentTimeoutSeconds: number;
  events?: EventSettings;
}

export function createOrderLifeGateway(clientOf: () => Client, settings: OrderLifeSettings) {
  const within = <T>(fn: (client: Client) => Promise<T>) => {
    const client = clientOf();
    return client.withDeadline(Date.now() + settings.callTimeoutMs, () => fn(client));
  };
  return {
    /**
     * Tells the order's workflow about a late payment the database has recorded: the running run, or (once it has
     * closed) a new run of `order-<id>` that only reports it. Either way OrderStatus shows refund_due in the Web UI
     * while the refund is owed, and the order's events go out in order.
     */
    notifyLatePayment(order: LateOrder, late: LatePayment): Promise<unknown> {
      const status = late.outcome === 'refund-due' ? 'refund_due' : late.order.status;
      return within((client) =>
        client.workflow.signalWithStart<typeof orderWorkflow, [LatePayment]>('orderWorkflow', {
          workflowId: orderWorkflowId(order.orderId),
          taskQueue: settings.taskQueue,
          signal: latePaymentSignal,
          signalArgs: [late],
          args: [
            {
              ...order,
              paymentTimeoutSeconds: settings.paymentTimeoutSeconds,
              settled: late.order.status,
              ...(settings.events ? { events: { ...settings.events, afterHold: false } } : {}),
            },
          ],
          typedSearchAttributes: [
            { key: OrderStatusKey, value: status },
            { key: ProductIdKey, value: order.productId },
          ],
          staticSummary: `order ${order.orderId}: late payment ${late.eventId}`,
          priority: ORDER_PRIORITY,
        }),
      );
    },

    /** The refund is paid back: the order's run stops showing refund_due and ends. The database already says so. */
    closeRefund(orderId: number): Promise<void> {
      return within((client) => client.workflow.getHandle(orderWorkflowId(orderId)).signal(refundClosedSignal));
    },
  };
}

export type OrderLifeGateway = ReturnType<typeof createOrderLifeGateway>;
