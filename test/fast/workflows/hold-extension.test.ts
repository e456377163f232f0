import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { extendHoldUpdate, placeOrderUpdate } from '../../../src/shared/messages';
import { FailureType } from '../../../src/shared/types';
import { EVENTS, ms, useFakeSale } from './harness';

/** The hold workflow's extension rules; its events and retries: hold-events.test.ts. */
const fake = useFakeSale('fast-hold-extension', 1_000);

/** The names of the updates a workflow's history accepted. */
const acceptedUpdates = async (workflowId: string) =>
  (await fake.history(workflowId))
    .map((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name)
    .filter(Boolean);

test('an extension moves the timer: the hold expires only at its new expiry', async () => {
  const { handle, hold } = await fake.reserveHold();
  const extended = await handle.executeUpdate(extendHoldUpdate, { args: [{ seconds: 60, maxTotalSeconds: 600 }] });
  expect(ms(extended.hold_expires_at)).toBe(ms(hold.hold_expires_at) + 60_000);
  // The clock driven past the moved instant: the timer that fires must be the moved one.
  await fake.env.sleep(ms(extended.hold_expires_at) - (await fake.env.currentTimeMs()) + 1_000);
  const result = await handle.result();
  expect(ms(result.hold!.released_at)).toBeGreaterThanOrEqual(ms(extended.hold_expires_at));
  const description = await handle.describe();
  expect(description.closeTime!.getTime()).toBeGreaterThanOrEqual(ms(extended.hold_expires_at));
  expect(fake.sale.callsOf(hold.id)).toEqual([
    `reserve ${hold.id}`,
    `extend ${hold.id} 60 -> ok`,
    `release ${hold.id} expired -> true`,
  ]);
});

test('an extension refused by the database leaves the timer where it was', async () => {
  const { handle, hold } = await fake.reserveHold();
  const refused = await handle
    .executeUpdate(extendHoldUpdate, { args: [{ seconds: 20, maxTotalSeconds: 10 }] })
    .catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
  expect(((refused as WorkflowUpdateFailedError).cause as ApplicationFailure).type).toBe(FailureType.ExtensionLimit);
  const result = await handle.result();
  expect(result.state).toBe('EXPIRED');
  // Released at the instant it had before the refused extension (plus the task that released it).
  expect(ms(result.hold!.released_at)).toBeGreaterThanOrEqual(ms(hold.hold_expires_at));
  expect(ms(result.hold!.released_at) - ms(hold.hold_expires_at)).toBeLessThan(5_000);
  expect(fake.sale.callsOf(hold.id)).toContain(`release ${hold.id} expired -> true`);
});

// Last in its file, for the reason given in hold-events.test.ts (an ordered hold with events).
test('an extension of an ordered hold is refused by the validator (nothing in history)', async () => {
  // A receiver failing for a while keeps the workflow open (delivering) after the order.
  fake.sale.receiverDown(3);
  const { handle, hold } = await fake.reserveHold({ events: EVENTS });
  const order = await handle.executeUpdate(placeOrderUpdate, { updateId: 'o1' });
  const err = await handle
    .executeUpdate(extendHoldUpdate, { args: [{ seconds: 1, maxTotalSeconds: 10 }] })
    .catch((e: WorkflowUpdateFailedError) => e);
  expect((err as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'HoldUsed' });
  expect(fake.sale.callsOf(hold.id).filter((c) => c.startsWith('extend'))).toEqual([]);
  fake.sale.receiverDown(0);
  await fake.env.sleep(60_000); // the receiver is back; past the deliveries' retry back-off the hold's run ends
  await handle.result();
  expect(await acceptedUpdates(handle.workflowId)).not.toContain('extendHold');
  await fake.orderWorkflow(order.id).result();
});
