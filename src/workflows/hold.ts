import {
  ParentClosePolicy,
  WorkflowIdReusePolicy,
  allHandlersFinished,
  condition,
  getExternalWorkflowHandle,
  log,
  proxyLocalActivities,
  setHandler,
  startChild,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ORDER_PRIORITY } from '../shared/priorities';
import type { Activities } from '../activities';
import {
  extendHoldUpdate,
  holdEventsDeliveredSignal,
  holdStatusQuery,
  placeOrderUpdate,
  releaseHoldUpdate,
  reserveUpdate,
} from '../shared/messages';
import { CustomerIdKey, OrderStatusKey, ProductIdKey } from '../shared/search-attributes';
import type { ExtendRequest, HoldStatus, HoldWorkflowInput } from '../shared/types';
import type { HoldView } from '../shared/views';
import { orderWorkflowId } from '../shared/workflow-ids';
import { DB_STEP_OPTIONS, RESERVATION_OPTIONS } from './activity-options';
import { Hold } from './hold-updates';
import { orderWorkflow } from './order';

// The reservation runs as a local activity: it answers the waiting HTTP caller within one workflow task.
const { reserveStock } = proxyLocalActivities<Activities>(RESERVATION_OPTIONS);
// Expiry gives the stock back in the timer's own workflow task (an expiry storm is bound by workflow tasks); it
// changes nothing a client waits on, and the backup sweep covers a worker that dies meanwhile.
const { releaseHold: releaseExpiredHold } = proxyLocalActivities<Activities>(DB_STEP_OPTIONS);

/**
 * A hold's life: reserve (answering the API's Update-with-Start; when the API started it eagerly on its own worker,
 * the reservation's outcome goes back to the API in-process instead); wait for its expiry, an order or a release;
 * start the order's workflow; deliver its events. Its state and the updates that change it are `Hold`'s.
 *
 * The successor of `holdWorkflow` (v1, retired: docs/development.md, "Workflow versions"). The API starts it with
 * every search attribute already set (HoldStatus=HELD, ProductId, HoldExpiresAt), so the happy path writes no
 * visibility record of its own: only a final state (ordered, released, expired, refused) is upserted, once.
 *
 * Keep each `await` (here and in Hold's handlers) where it is: one more between two commands can reorder them against
 * a handler's in the same workflow task, and running holds replay the order they recorded (replay.test.ts).
 */
export async function holdWorkflowV2(input: HoldWorkflowInput): Promise<HoldStatus> {
  const hold = new Hold(input);
  setHandler(holdStatusQuery, () => hold.status());
  setHandler(reserveUpdate, () => hold.reservation());
  setHandler(placeOrderUpdate, () => hold.placeOrder(), { validator: () => hold.validateOrder() });
  setHandler(releaseHoldUpdate, () => hold.release(), { validator: () => hold.validateRelease() });
  setHandler(extendHoldUpdate, (request) => hold.extend(request), {
    validator: (_request: ExtendRequest) => hold.validateExtension(),
  });

  // Reserve: the API's caller waits on the outcome.
  let reserved: HoldView;
  try {
    reserved = await reserveStock(input);
  } catch (err) {
    hold.refused(err);
    await condition(allHandlersFinished);
    return hold.status();
  }
  hold.reserved(reserved);

  // Held until it expires, or an order or a release ends it first (an extension only moves the expiry).
  while (!hold.isFinal()) {
    const remaining = hold.msUntilExpiry();
    const moved =
      remaining > 0 &&
      (await condition(() => !hold.isHeld(), remaining, {
        summary: `hold ${input.holdId} expires at ${hold.view!.hold_expires_at}`,
      }));
    if (!moved) {
      hold.expiring();
      hold.expired((await releaseExpiredHold(input.holdId, 'expired')).hold);
      break;
    }
    await condition(() => !hold.changing());
  }

  // Ordered: the order's workflow takes over; then the hold's events go out before it ends.
  if (hold.state === 'ORDERED' && hold.orderId !== null) {
    await startOrderWorkflow(input, hold.orderId, hold.view!.used_at!);
  }
  await condition(allHandlersFinished);
  if (hold.outbox.enabled) {
    await hold.outbox.drained();
    // The order's events follow the hold's: its workflow delivers them once told these are out.
    if (hold.orderId !== null) await tellOrderHoldEventsAreOut(hold.orderId);
  }
  return hold.status();
}

async function tellOrderHoldEventsAreOut(orderId: number) {
  try {
    await getExternalWorkflowHandle(orderWorkflowId(orderId)).signal(holdEventsDeliveredSignal);
  } catch (err) {
    log.error('order workflow not told that the hold events are out', { orderId, error: (err as Error).message });
  }
}

/** Starts the order's own workflow, which outlives the hold's. */
async function startOrderWorkflow(input: HoldWorkflowInput, orderId: number, createdAt: string) {
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
