/**
 * The Temporal floor: the cheapest workflow that still does a unit's Temporal work. Update-with-Start (or an eager
 * start) answers the caller once one local activity (the service's own one-round-trip reservation) has run; then
 * one timer. An order, when one comes, is an update that runs the service's own order activity, and the payment is
 * one signal after the caller has settled it in the database (the service's own settlement): one workflow for the
 * whole life, no child, no search attributes, no details, no events. Bench only: the service never registers it.
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  defineSignal,
  defineUpdate,
  proxyLocalActivities,
  setHandler,
} from '@temporalio/workflow';
import type { Activities } from '../../src/activities';
import { DB_STEP_OPTIONS, RESERVATION_OPTIONS } from '../../src/workflows/activity-options';
import { reserveUpdate } from '../../src/shared/messages';
import type { HoldWorkflowInput } from '../../src/shared/types';
import type { HoldView, OrderView } from '../../src/shared/views';

// The service's own options for the reservation and for a database step.
const { reserveStock } = proxyLocalActivities<Activities>(RESERVATION_OPTIONS);
const { createOrder } = proxyLocalActivities<Activities>(DB_STEP_OPTIONS);

/** A unit's one workflow on the floor, named by its hold id (the sale scenario reads its history by this id). */
export const floorWorkflowId = (holdId: number | string) => `floor-${holdId}`;

export const floorOrderUpdate = defineUpdate<OrderView>('floorOrder');
/** The payment, already settled in the database by the floor's webhook: the unit's life ends here. */
export const floorPaidSignal = defineSignal('floorPaid');

export async function floorHoldWorkflow(input: HoldWorkflowInput): Promise<void> {
  let hold: HoldView | undefined;
  let refusal: ApplicationFailure | undefined;
  let order: OrderView | undefined;
  let settled = false;
  setHandler(reserveUpdate, async () => {
    await condition(() => hold !== undefined || refusal !== undefined);
    if (refusal) throw refusal;
    return hold!;
  });
  setHandler(floorOrderUpdate, async () => (order ??= await createOrder(input.holdId)));
  setHandler(floorPaidSignal, () => void (settled = true));
  try {
    hold = await reserveStock(input);
  } catch (err) {
    refusal = err instanceof ApplicationFailure ? err : ApplicationFailure.nonRetryable('reservation failed');
    await condition(allHandlersFinished);
    return;
  }
  const ordered = await condition(() => order !== undefined, Date.parse(hold.hold_expires_at) - Date.now());
  if (ordered) await condition(() => settled, input.paymentTimeoutSeconds * 1000);
  await condition(allHandlersFinished);
}
