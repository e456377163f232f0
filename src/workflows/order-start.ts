import {
  ParentClosePolicy,
  WorkflowIdReusePolicy,
  getExternalWorkflowHandle,
  log,
  startChild,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { holdEventsDeliveredSignal } from '../shared/messages';
import { ORDER_PRIORITY } from '../shared/priorities';
import { CustomerIdKey, OrderStatusKey, ProductIdKey } from '../shared/search-attributes';
import type { HoldWorkflowInput } from '../shared/types';
import { orderWorkflowId } from '../shared/workflow-ids';
import { orderWorkflow } from './order';

// What an ordered hold's workflow does for its order before it ends (holdWorkflowV2, hold.ts).

export async function tellOrderHoldEventsAreOut(orderId: number) {
  try {
    await getExternalWorkflowHandle(orderWorkflowId(orderId)).signal(holdEventsDeliveredSignal);
  } catch (err) {
    log.error('order workflow not told that the hold events are out', { orderId, error: (err as Error).message });
  }
}

/** Starts the order's own workflow, which outlives the hold's. */
export async function startOrderWorkflow(input: HoldWorkflowInput, orderId: number, createdAt: string) {
  try {
    await startChild(orderWorkflow, {
      workflowId: orderWorkflowId(orderId),
      args: [
        {
          orderId,
          holdId: input.holdId,
          productId: input.productId,
          quantity: input.quantity,
          createdAt,
          paymentTimeoutSeconds: input.paymentTimeoutSeconds,
          ...(input.events ? { events: { ...input.events, afterHold: true } } : {}),
        },
      ],
      // The order outlives its hold's workflow, which ends once the order exists.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      // Behind the burst's hold work (shared/priorities.ts): the order's payment signal and cancellation inherit it.
      priority: ORDER_PRIORITY,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: [
        { key: OrderStatusKey, value: 'pending' },
        { key: ProductIdKey, value: input.productId },
        ...(input.customerId === undefined ? [] : [{ key: CustomerIdKey, value: input.customerId }]),
      ],
      staticSummary: `order ${orderId}: hold ${input.holdId}, ${input.quantity} × product ${input.productId}`,
    });
  } catch (err) {
    // Already started means a webhook got there first (signal-with-start): the same order. Anything else
    // leaves the order to the backup sweep, which cancels unpaid orders past their payment timeout.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) {
      log.error('order workflow not started', { orderId, error: (err as Error).message });
    }
  }
}
