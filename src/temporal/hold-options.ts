import type { WorkflowStartOptions } from '@temporalio/client';
import { CustomerIdKey, HoldExpiresAtKey, HoldStatusKey, ProductIdKey } from '../shared/search-attributes';
import { HOLD_PRIORITY } from '../shared/priorities';
import type { HoldWorkflowInput } from '../shared/types';
import { holdWorkflowId } from '../shared/workflow-ids';
import type { holdWorkflowV2 } from '../workflows/hold';

/** The workflow type every new hold starts as (workflows/hold.ts). */
export const HOLD_WORKFLOW_TYPE = 'holdWorkflowV2';

/**
 * How a hold's workflow is started, whichever way (holds.ts). Every search attribute is given here, so the
 * workflow's happy path writes no visibility record of its own.
 */
export function holdStartOptions(input: HoldWorkflowInput, taskQueue: string) {
  return {
    workflowId: holdWorkflowId(input.holdId),
    taskQueue,
    args: [input] as [HoldWorkflowInput],
    // A retried request (same Idempotency-Key, so same hold id) attaches to the first run...
    workflowIdConflictPolicy: 'USE_EXISTING' as const,
    // ...and never starts a second one after the first has finished.
    workflowIdReusePolicy: 'REJECT_DUPLICATE' as const,
    typedSearchAttributes: [
      { key: HoldStatusKey, value: 'HELD' },
      { key: ProductIdKey, value: input.productId },
      { key: HoldExpiresAtKey, value: new Date(input.expiresAt!) },
      ...(input.customerId === undefined ? [] : [{ key: CustomerIdKey, value: input.customerId }]),
    ],
    staticSummary: `hold ${input.holdId}: ${input.quantity} × product ${input.productId}`,
    // Ahead of orders, payments and events while a burst of buyers is being answered (shared/priorities.ts).
    priority: HOLD_PRIORITY,
  } satisfies WorkflowStartOptions<typeof holdWorkflowV2>;
}
