import { allHandlersFinished, condition, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  extendHoldUpdate,
  holdStatusQuery,
  placeOrderUpdate,
  releaseHoldUpdate,
  reserveUpdate,
} from '../shared/messages';
import type { ExtendRequest, HoldStatus, HoldWorkflowInput } from '../shared/types';
import type { HoldView } from '../shared/views';
import { DB_STEP_OPTIONS, RESERVATION_OPTIONS } from './activity-options';
import { Hold } from './hold-updates';
import { startOrderWorkflow, tellOrderHoldEventsAreOut } from './order-start';

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
