import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { placeOrderUpdate, releaseHoldUpdate } from '../../../src/shared/messages';
import { FailureType, type HoldWorkflowInput } from '../../../src/shared/types';
import { orderWorkflowId } from '../../../src/shared/workflow-ids';
import { startHold as startTestHold, useFakeSale } from './harness';

const TASK_QUEUE = 'fast-holds';
const TTL_SECONDS = 120;

let nextHoldId = 1;

const fake = useFakeSale(TASK_QUEUE, 1_000);

/** A hold of `quantity` units, started as the service starts it (harness.ts); answers its id too. */
async function startHold(quantity = 1, overrides: Partial<HoldWorkflowInput> = {}) {
  const holdId = nextHoldId++;
  const input = { holdId, productId: 1, quantity, ttlSeconds: TTL_SECONDS, paymentTimeoutSeconds: 900, ...overrides };
  return { holdId, ...(await startTestHold(fake.env, TASK_QUEUE, input)) };
}

/** The ApplicationFailure type an update was refused with. */
async function refusalOf(update: Promise<unknown>): Promise<string | undefined> {
  const err = await update.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (err as WorkflowUpdateFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return (cause as ApplicationFailure).type ?? undefined;
}

/** Why this hold's stock came back, each time it did. */
const returnsOf = (holdId: number) => fake.sale.state.stockReturns.filter((r) => r.startsWith(`${holdId} `));
const ordersOf = (holdId: number) => [...fake.sale.state.orders.values()].filter((o) => o.hold_id === holdId);

const ms = (iso: string | null | undefined) => Date.parse(iso!);

test('a hold nobody orders expires and gives its stock back once, not before its instant', async () => {
  const { holdId, handle, input, reserved } = await startHold(3);
  const hold = await reserved;
  expect(hold.hold_expires_at).toBe(input.expiresAt);

  const result = await handle.result(); // the test server skips the two minutes
  expect(result.state).toBe('EXPIRED');
  // The timer is set from the workflow's clock: it fires at the instant, plus the task that set it.
  expect(ms(result.hold!.released_at)).toBeGreaterThanOrEqual(ms(input.expiresAt));
  expect(ms(result.hold!.released_at) - ms(input.expiresAt)).toBeLessThan(5_000);
  expect(returnsOf(holdId)).toEqual([`${holdId} expired`]);
});

test('an order just before the instant is taken; the hold never expires back into stock', async () => {
  const { holdId, handle, reserved } = await startHold(2);
  await reserved;
  await fake.env.sleep((TTL_SECONDS - 1) * 1000);

  const order = await handle.executeUpdate(placeOrderUpdate);
  expect(order).toMatchObject({ hold_id: holdId, status: 'pending' });
  const result = await handle.result();
  expect(result).toMatchObject({ state: 'ORDERED', orderId: order.id });
  // The order's own workflow takes over (payment or its timeout); the hold's timer released nothing.
  const child = fake.env.client.workflow.getHandle(orderWorkflowId(order.id));
  expect((await child.describe()).type).toBe('orderWorkflow');
  expect(ordersOf(holdId)).toHaveLength(1);
  expect(returnsOf(holdId)).toEqual([]);
  await child.terminate('test done');
});

test('a hold whose instant has come by the time it is reserved is released at once, not timed', async () => {
  // The API fixes the instant before the start; a reservation that commits late (queue, retries) finds it past.
  const now = await fake.env.currentTimeMs();
  const { holdId, handle, reserved } = await startHold(1, { expiresAt: new Date(now).toISOString() });
  await reserved;
  expect((await handle.result()).state).toBe('EXPIRED');
  expect(returnsOf(holdId)).toEqual([`${holdId} expired`]);
});

test('an early release gives the stock back once; the timer then has nothing to do', async () => {
  const { holdId, handle, reserved } = await startHold(4);
  await reserved;

  const released = await handle.executeUpdate(releaseHoldUpdate);
  expect(released.released_at).not.toBeNull();
  expect((await handle.result()).state).toBe('RELEASED');
  expect(returnsOf(holdId)).toEqual([`${holdId} released`]);
});

test('release and order racing: exactly one wins, the other is refused with its reason', async () => {
  const { holdId, handle, reserved } = await startHold(5);
  await reserved;
  const before = fake.sale.unitsAccountedFor();

  const [order, release] = await Promise.allSettled([
    handle.executeUpdate(placeOrderUpdate),
    handle.executeUpdate(releaseHoldUpdate),
  ]);
  const won = [order, release].filter((r) => r.status === 'fulfilled');
  expect(won).toHaveLength(1);
  const lost = order.status === 'rejected' ? order : release;
  const reason = await refusalOf(Promise.reject((lost as PromiseRejectedResult).reason));
  expect(reason).toBe(order.status === 'fulfilled' ? FailureType.HoldUsed : FailureType.HoldReleased);

  const result = await handle.result();
  expect(result.state).toBe(order.status === 'fulfilled' ? 'ORDERED' : 'RELEASED');
  expect(fake.sale.unitsAccountedFor()).toBe(before);
  expect(returnsOf(holdId)).toEqual(order.status === 'fulfilled' ? [] : [`${holdId} released`]);
  if (result.orderId) await fake.env.client.workflow.getHandle(orderWorkflowId(result.orderId)).terminate('test done');
});

test('a reservation refused for stock ends the workflow and the update says why', async () => {
  const { holdId, handle, reserved } = await startHold(1_000_000);
  expect(await refusalOf(reserved)).toBe(FailureType.InsufficientStock);
  expect(await handle.result()).toMatchObject({ state: 'REJECTED', rejection: FailureType.InsufficientStock });
  expect(ordersOf(holdId)).toEqual([]);
  expect(returnsOf(holdId)).toEqual([]);
});
