/**
 * What both hold workflow types (holdWorkflowV2 and the frozen v1) share: the order's start and how an activity's
 * business refusal is told from a crash. Deterministic workflow code only.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  ParentClosePolicy,
  WorkflowIdReusePolicy,
  log,
  startChild,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { CustomerIdKey, OrderStatusKey, ProductIdKey } from '../shared/search-attributes';
import type { HoldWorkflowInput } from '../shared/types';
import { orderWorkflowId } from '../shared/workflow-ids';
import { orderWorkflow } from './order';

/** The activity's own refusal, whether it arrives bare (local activity) or wrapped in an ActivityFailure. */
export function businessFailure(err: unknown): ApplicationFailure | null {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) return err.cause;
  return null;
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
