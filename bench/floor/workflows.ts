/**
 * The Temporal floor: the cheapest workflow that still does a hold's Temporal work. Update-with-Start answers the
 * caller once one local activity (the service's own one-round-trip reservation) has run; then one timer. No search
 * attributes, no details, no child, no order or release handlers. Bench only: the service never registers it.
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  proxyLocalActivities,
  setHandler,
  sleep,
} from '@temporalio/workflow';
import type { Activities } from '../../src/activities';
import { RESERVATION_OPTIONS } from '../../src/workflows/activity-options';
import { reserveUpdate } from '../../src/shared/messages';
import type { HoldWorkflowInput } from '../../src/shared/types';
import type { HoldView } from '../../src/shared/views';

// The service's own options for the reservation.
const { reserveStock } = proxyLocalActivities<Activities>(RESERVATION_OPTIONS);

export async function floorHoldWorkflow(input: HoldWorkflowInput): Promise<void> {
  let hold: HoldView | undefined;
  let refusal: ApplicationFailure | undefined;
  setHandler(reserveUpdate, async () => {
    await condition(() => hold !== undefined || refusal !== undefined);
    if (refusal) throw refusal;
    return hold!;
  });
  try {
    hold = await reserveStock(input);
  } catch (err) {
    refusal = err instanceof ApplicationFailure ? err : ApplicationFailure.nonRetryable('reservation failed');
    await condition(allHandlersFinished);
    return;
  }
  await sleep(Date.parse(hold.hold_expires_at) - Date.now());
}
