import { ParentClosePolicy, getExternalWorkflowHandle, log, startChild } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { holdEventsDeliveredSignal } from '../shared/messages';
import { orderRun } from '../shared/order-run';
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
  const { holdId, productId, quantity, customerId, paymentTimeoutSeconds, events } = input;
  const order = {
    orderId,
    holdId,
    productId,
    quantity,
    createdAt,
    ...(customerId === undefined ? {} : { customerId }),
  };
  try {
    await startChild(orderWorkflow, {
      ...orderRun(order, paymentTimeoutSeconds, events),
      // The order outlives its hold's workflow, which ends once the order exists.
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
  } catch (err) {
    // Already started means a webhook got there first (signal-with-start): the same order. Anything else
    // leaves the order to the backup sweep, which cancels unpaid orders past their payment timeout.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) {
      log.error('order workflow not started', { orderId, error: (err as Error).message });
    }
  }
}
