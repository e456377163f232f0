import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { placeOrderUpdate, releaseHoldUpdate } from '../../../src/shared/messages';
import { FailureType } from '../../../src/shared/types';
import { ms, TTL_SECONDS, useFakeSale } from './harness';

const fake = useFakeSale('fast-holds', 1_000);

/** The ApplicationFailure type an update was refused with. */
async function refusalOf(update: Promise<unknown>): Promise<string | undefined> {
  const err = await update.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (err as WorkflowUpdateFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return (cause as ApplicationFailure).type ?? undefined;
}

const ordersOf = (holdId: number) => [...fake.sale.state.orders.values()].filter((o) => o.hold_id === holdId);

test('a hold nobody orders expires and gives its stock back once, not before its instant', async () => {
  const { holdId, handle, input, hold } = await fake.reserveHold({ quantity: 3 });
  expect(hold.hold_expires_at).toBe(input.expiresAt);

  const result = await handle.result(); // the test server skips the two minutes
  expect(result.state).toBe('EXPIRED');
  // The timer is set from the workflow's clock: it fires at the instant, plus the task that set it.
  expect(ms(result.hold!.released_at)).toBeGreaterThanOrEqual(ms(input.expiresAt));
  expect(ms(result.hold!.released_at) - ms(input.expiresAt)).toBeLessThan(5_000);
  expect(fake.sale.returnsOf(holdId)).toEqual([`${holdId} expired`]);
});

test('an order just before the instant is taken; the hold never expires back into stock', async () => {
  const { holdId, handle } = await fake.reserveHold({ quantity: 2 });
  await fake.env.sleep((TTL_SECONDS - 1) * 1000);

  const order = await handle.executeUpdate(placeOrderUpdate);
  expect(order).toMatchObject({ hold_id: holdId, status: 'pending' });
  const result = await handle.result();
  expect(result).toMatchObject({ state: 'ORDERED', orderId: order.id });
  // The order's own workflow takes over (payment or its timeout); the hold's timer released nothing.
  const child = fake.orderWorkflow(order.id);
  expect((await child.describe()).type).toBe('orderWorkflow');
  expect(ordersOf(holdId)).toHaveLength(1);
  expect(fake.sale.returnsOf(holdId)).toEqual([]);
  await child.terminate('test done');
});

test('a hold whose instant has come by the time it is reserved is released at once, not timed', async () => {
  // The API fixes the instant before the start; a reservation that commits late (queue, retries) finds it past.
  const now = await fake.env.currentTimeMs();
  const { holdId, handle } = await fake.reserveHold({ expiresAt: new Date(now).toISOString() });
  expect((await handle.result()).state).toBe('EXPIRED');
  expect(fake.sale.returnsOf(holdId)).toEqual([`${holdId} expired`]);
});

test('an early release gives the stock back once; the timer then has nothing to do', async () => {
  const { holdId, handle } = await fake.reserveHold({ quantity: 4 });

  const released = await handle.executeUpdate(releaseHoldUpdate);
  expect(released.released_at).not.toBeNull();
  expect((await handle.result()).state).toBe('RELEASED');
  expect(fake.sale.returnsOf(holdId)).toEqual([`${holdId} released`]);
});

test('release and order racing: exactly one wins, the other is refused with its reason', async () => {
  const { holdId, handle } = await fake.reserveHold({ quantity: 5 });
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
  expect(fake.sale.returnsOf(holdId)).toEqual(order.status === 'fulfilled' ? [] : [`${holdId} released`]);
  if (result.orderId) await fake.orderWorkflow(result.orderId).terminate('test done');
});

test('a reservation refused for stock ends the workflow and the update says why', async () => {
  const { holdId, handle, reserved } = await fake.startHold({ quantity: 1_000_000 });
  expect(await refusalOf(reserved)).toBe(FailureType.InsufficientStock);
  expect(await handle.result()).toMatchObject({ state: 'REJECTED', rejection: FailureType.InsufficientStock });
  expect(ordersOf(holdId)).toEqual([]);
  expect(fake.sale.returnsOf(holdId)).toEqual([]);
});
