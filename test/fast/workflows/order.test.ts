import { latePaymentSignal, paymentSettledSignal, refundClosedSignal } from '../../../src/shared/messages';
import type { LatePayment, OrderWorkflowInput } from '../../../src/shared/types';
import type { OrderView } from '../../../src/shared/views';
import { orderWorkflowId } from '../../../src/shared/workflow-ids';
import type { orderWorkflow } from '../../../src/workflows/order';
import { useFakeSale } from './harness';

const TASK_QUEUE = 'fast-orders';
const PAYMENT_TIMEOUT_SECONDS = 900;

let nextHoldId = 1;

const fake = useFakeSale(TASK_QUEUE, 1_000);

const inputOf = (order: OrderView): OrderWorkflowInput => ({
  orderId: order.id,
  holdId: order.hold_id,
  productId: 1,
  quantity: 2,
  createdAt: order.created_at,
  paymentTimeoutSeconds: PAYMENT_TIMEOUT_SECONDS,
});

/** An order placed `ageMs` ago, and its workflow started as the hold's workflow starts it. */
async function startOrder(ageMs = 0) {
  const createdAtMs = (await fake.env.currentTimeMs()) - ageMs;
  const order = fake.sale.seedOrder(nextHoldId++, 2, createdAtMs);
  const handle = await fake.env.client.workflow.start<typeof orderWorkflow>('orderWorkflow', {
    workflowId: orderWorkflowId(order.id),
    taskQueue: TASK_QUEUE,
    args: [inputOf(order)],
  });
  return { order, handle };
}

const cancelsOf = (order: OrderView) => fake.sale.state.calls.filter((c) => c.startsWith(`cancel ${order.id} `));

test('no payment within the timeout: the order is cancelled at its deadline and the stock comes back', async () => {
  const { order, handle } = await startOrder();
  const before = fake.sale.unitsAccountedFor();

  const result = await handle.result(); // fifteen minutes, skipped
  expect(result).toMatchObject({ orderId: order.id, status: 'cancelled', eventId: null });
  const deadline = Date.parse(order.created_at) + PAYMENT_TIMEOUT_SECONDS * 1000;
  const cancelledAt = Date.parse(fake.sale.state.orders.get(order.id)!.updated_at);
  expect(cancelledAt).toBeGreaterThanOrEqual(deadline);
  expect(cancelledAt - deadline).toBeLessThan(5_000);
  expect(fake.sale.state.holds.get(order.hold_id)!.released_at).not.toBeNull();
  expect(cancelsOf(order)).toEqual([`cancel ${order.id} -> true`]);
  expect(fake.sale.unitsAccountedFor()).toBe(before - 0); // the units moved from the order back to available
});

test('paid before the timeout: the order completes and nothing is cancelled', async () => {
  const { order, handle } = await startOrder();
  await fake.env.sleep((PAYMENT_TIMEOUT_SECONDS - 1) * 1000);
  // The webhook has settled the order in the database; the signal only lets the workflow finish now.
  await handle.signal(paymentSettledSignal, { eventId: 'evt-1', paymentStatus: 'paid', orderStatus: 'completed' });
  expect(await handle.result()).toMatchObject({ status: 'completed', eventId: 'evt-1' });
  expect(cancelsOf(order)).toEqual([]);
});

test('signals arrive at least once: only the first settlement counts', async () => {
  const { handle } = await startOrder();
  await handle.signal(paymentSettledSignal, { eventId: 'evt-2', paymentStatus: 'failed', orderStatus: 'cancelled' });
  await handle.signal(paymentSettledSignal, { eventId: 'evt-3', paymentStatus: 'paid', orderStatus: 'completed' });
  expect(await handle.result()).toMatchObject({ status: 'cancelled', eventId: 'evt-2' });
});

test('an order whose deadline has passed when its workflow starts is cancelled at once', async () => {
  const { order, handle } = await startOrder((PAYMENT_TIMEOUT_SECONDS + 60) * 1000);
  expect(await handle.result()).toMatchObject({ status: 'cancelled' });
  expect(cancelsOf(order)).toEqual([`cancel ${order.id} -> true`]);
});

test('a paid event after the order was cancelled: refund due, its run open until the refund is closed, stock untouched', async () => {
  const { order, handle } = await startOrder();
  expect(await handle.result()).toMatchObject({ status: 'cancelled' }); // the payment timeout, skipped
  const cancels = cancelsOf(order);
  const before = fake.sale.unitsAccountedFor();
  // The webhook has recorded the late payment in the database (LATE_PAYMENT_POLICY=refund) and tells the workflow,
  // starting a new run of the closed one, as src/temporal/order-life.ts does.
  const late: LatePayment = {
    eventId: 'evt-late',
    outcome: 'refund-due',
    order: { ...order, status: 'cancelled', refund_due: true },
  };
  const lateRun = await fake.env.client.workflow.signalWithStart<typeof orderWorkflow, [LatePayment]>('orderWorkflow', {
    workflowId: orderWorkflowId(order.id),
    taskQueue: TASK_QUEUE,
    signal: latePaymentSignal,
    signalArgs: [late],
    args: [{ ...inputOf(order), settled: 'cancelled' }],
  });
  await lateRun.signal(latePaymentSignal, late); // the provider retried the webhook
  await fake.env.sleep(60_000);
  expect((await lateRun.describe()).status.name).toBe('RUNNING'); // the refund is owed: visible, open
  await lateRun.signal(refundClosedSignal);
  expect(await lateRun.result()).toMatchObject({ orderId: order.id, status: 'cancelled' });
  expect(cancelsOf(order)).toEqual(cancels); // nothing cancelled again
  expect(fake.sale.unitsAccountedFor()).toBe(before);
});
