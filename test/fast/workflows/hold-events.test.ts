import { msToNumber } from '@temporalio/common/lib/time';
import type { OutboundEvent } from '../../../src/shared/events';
import { placeOrderUpdate } from '../../../src/shared/messages';
import { DB_STEP_OPTIONS } from '../../../src/workflows/activity-options';
import { EVENTS, useFakeSale } from './harness';

/** The hold workflow's event and retry rules (its extensions: hold-extension.test.ts; the order's: order.test.ts). */
const fake = useFakeSale('fast-hold-events', 1_000);

/** The events the receiver accepted about this hold and its order. */
const eventsOf = (holdId: number) =>
  fake.sale.state.delivered.filter((e: OutboundEvent) =>
    e.type.startsWith('hold.') ? e.data.id === holdId : (e.data as { hold_id?: number }).hold_id === holdId,
  );

/** What a workflow's history scheduled as activities (local activities are markers, not in this list). */
const activityTypes = async (workflowId: string) =>
  (await fake.history(workflowId))
    .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
    .filter(Boolean);

test('without event settings a hold schedules no event work at all', async () => {
  const { handle, hold } = await fake.reserveHold();
  expect((await handle.result()).state).toBe('EXPIRED');
  expect(eventsOf(hold.id)).toEqual([]);
  expect(await activityTypes(handle.workflowId)).toEqual([]);
});

test('a hold that expires reports hold.created then hold.expired, retried past a failing receiver', async () => {
  fake.sale.receiverDown(2);
  const { handle, hold } = await fake.reserveHold({ events: EVENTS });
  await handle.result();
  expect(eventsOf(hold.id).map((e) => e.type)).toEqual(['hold.created', 'hold.expired']);
  expect(eventsOf(hold.id).map((e) => e.id)).toEqual([`hold.created:${hold.id}`, `hold.expired:${hold.id}`]);
});

test("an expiry release that fails transiently is retried by the workflow's own policy until the stock is back", async () => {
  const holdId = 900; // its own id, known before the start, for the release to fail
  fake.sale.failReleases(holdId, 2);
  const { handle, hold } = await fake.reserveHold({ holdId });
  expect((await handle.result()).state).toBe('EXPIRED');
  expect(fake.sale.callsOf(hold.id).slice(1)).toEqual([
    `release ${holdId} expired -> error`,
    `release ${holdId} expired -> error`,
    `release ${holdId} expired -> true`,
  ]);
  expect(fake.sale.returnsOf(holdId)).toEqual([`${holdId} expired`]);
  // Retried in the worker (a local activity), no sooner than DB_STEP_OPTIONS' first interval.
  const [first, second, third] = fake.sale.state.releaseAttempts.get(holdId)!;
  const initialMs = msToNumber(DB_STEP_OPTIONS.retry!.initialInterval!);
  expect(second - first).toBeGreaterThanOrEqual(initialMs);
  expect(third - second).toBeGreaterThanOrEqual(initialMs);
});

// Last in its file: after an ordered hold with events, the time-skipping server (the one scripts/lib.sh pins) stopped
// skipping time for the next test's hold timer; cause not found, so nothing that needs skipping comes after it.
test('an ordered hold reports its events before its order reports any', async () => {
  fake.sale.receiverDown(1);
  const { handle, hold } = await fake.reserveHold({ events: EVENTS });
  const order = await handle.executeUpdate(placeOrderUpdate, { updateId: 'o1' });
  await handle.result();
  await fake.orderWorkflow(order.id).result(); // the payment timeout, skipped
  expect(eventsOf(hold.id).map((e) => e.type)).toEqual(['hold.created', 'order.created', 'order.cancelled']);
});
