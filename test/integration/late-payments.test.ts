import { QueryTypes } from 'sequelize';
import { availableStock, expectConserved } from '../../harness/fixtures';
import type { Stack } from '../../harness/stack';
import { waitFor } from '../../harness/wait';
import { expectRefusal } from './support/answers';
import { auth as admin } from './support/admin';
import { newEventId, payWebhook, pendingOrder } from './support/purchase';
import { holdOf, useStack } from './support/stack';

/** Late payments under both policies, on the real services (the payment timeout is 2 s here). */
async function cancelledOrder(stack: Stack, stock: number, quantity: number) {
  const order = await pendingOrder(stack, stock, quantity);
  await waitFor(
    'the payment timeout to cancel the order',
    async () => (await stack.http.get(`/api/orders/${order.orderId}`)).body.status === 'cancelled',
  );
  return order;
}

const lateEvents = async (stack: Stack, orderId: number) =>
  stack.db.query<{ event_id: string; status: string }>(
    'SELECT event_id, status FROM payment_events WHERE order_id = ? AND late = 1 ORDER BY id',
    { replacements: [orderId], type: QueryTypes.SELECT },
  );

/** The order's latest workflow run, as the Web UI lists it. */
const orderRunStatus = async (stack: Stack, orderId: number) => {
  const d = await stack.client.workflow.getHandle(`order-${orderId}`).describe();
  return { running: d.status.name === 'RUNNING', orderStatus: d.searchAttributes.OrderStatus?.[0] };
};

describe('late payments, policy refund (default)', () => {
  const stack = useStack({ HOLD_TTL_SECONDS: '30', PAYMENT_TIMEOUT_SECONDS: '2' });

  test('a late paid is recorded, answered 200, owes a refund, and never moves stock', async () => {
    const { productId, orderId } = await cancelledOrder(stack, 10, 3);
    expect(await availableStock(stack.db, productId)).toBe(10);
    const eventId = newEventId();
    const res = await payWebhook(stack, orderId, 'paid', eventId);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'success',
      message: 'Late payment recorded',
      data: { order_id: orderId, status: 'cancelled', refund_due: true },
    });
    expect((await stack.http.get(`/api/orders/${orderId}`)).body).toMatchObject({
      status: 'cancelled',
      refund_due: true,
    });
    expect(await lateEvents(stack, orderId)).toEqual([{ event_id: eventId, status: 'paid' }]);

    // The provider's retry: answered, nothing changes, recorded once.
    const replay = await payWebhook(stack, orderId, 'paid', eventId);
    expect(replay.body).toMatchObject({ message: 'Webhook already processed', data: { status: 'cancelled' } });
    expect(await lateEvents(stack, orderId)).toHaveLength(1);
    expect(await availableStock(stack.db, productId)).toBe(10);
    await expectConserved(stack.db, productId, 10);

    // Visible to operators: the admin filter, /metrics and the Temporal UI (OrderStatus=refund_due, run open).
    const owed = await stack.http.get('/api/admin/orders?refund_due=true&limit=1000', admin);
    expect(owed.body.map((o: { id: number }) => o.id)).toContain(orderId);
    await waitFor('/metrics to count the refund due (recomputed every SALE_FIGURES_INTERVAL_SECONDS)', async () =>
      /^flash_sale_orders_refund_due [1-9]/m.test((await stack.http.get('/metrics')).text),
    );
    await waitFor('the refund to show in Temporal', async () => {
      const run = await orderRunStatus(stack, orderId);
      return run.running && run.orderStatus === 'refund_due';
    });

    // Closing the refund: the order view, the filter and the workflow follow.
    const closed = await stack.http.post(`/api/admin/orders/${orderId}/refunded`, {}, admin);
    expect(closed.status).toBe(200);
    expect(closed.body.data).toMatchObject({ id: orderId, refund_due: false });
    expect((await stack.http.post(`/api/admin/orders/${orderId}/refunded`, {}, admin)).status).toBe(400);
    const stillOwed = await stack.http.get('/api/admin/orders?refund_due=true&limit=1000', admin);
    expect(stillOwed.body.map((o: { id: number }) => o.id)).not.toContain(orderId);
    await waitFor('the order run to close', async () => {
      const run = await orderRunStatus(stack, orderId);
      return !run.running && run.orderStatus === 'cancelled';
    });
  });

  test('a late failed stays 400 order_not_pending, is recorded, and changes nothing', async () => {
    const { productId, orderId } = await cancelledOrder(stack, 5, 2);
    const eventId = newEventId();
    const res = await payWebhook(stack, orderId, 'failed', eventId);
    expectRefusal(res, 400, 'Order is not in pending state');
    expect(await lateEvents(stack, orderId)).toEqual([{ event_id: eventId, status: 'failed' }]);
    expect((await payWebhook(stack, orderId, 'failed', eventId)).status).toBe(400);
    expect((await stack.http.get(`/api/orders/${orderId}`)).body.refund_due).toBe(false);
    expect(await availableStock(stack.db, productId)).toBe(5);
  });

  test('a second paid on a completed order owes that payment back', async () => {
    const { productId, orderId } = await pendingOrder(stack, 5, 1);
    expect((await payWebhook(stack, orderId, 'paid')).body.data.status).toBe('completed');
    const again = await payWebhook(stack, orderId, 'paid');
    expect(again.body).toMatchObject({
      message: 'Late payment recorded',
      data: { order_id: orderId, status: 'completed', refund_due: true },
    });
    expect(await availableStock(stack.db, productId)).toBe(4);
    await expectConserved(stack.db, productId, 5);
  });
});

describe('late payments, policy honour_if_available', () => {
  const stack = useStack({
    HOLD_TTL_SECONDS: '30',
    PAYMENT_TIMEOUT_SECONDS: '2',
    LATE_PAYMENT_POLICY: 'honour_if_available',
  });

  test('units still available: taken again once, the order completes', async () => {
    const { productId, orderId, holdId } = await cancelledOrder(stack, 10, 4);
    const eventId = newEventId();
    const res = await payWebhook(stack, orderId, 'paid', eventId);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ message: 'Payment processed', data: { order_id: orderId, status: 'completed' } });
    expect((await stack.http.get(`/api/orders/${orderId}`)).body).toMatchObject({
      status: 'completed',
      refund_due: false,
      payment_idempotency_key: eventId,
    });
    expect((await stack.http.get(`/api/holds/${holdId}`)).body.released_at).toBeNull();
    expect(await availableStock(stack.db, productId)).toBe(6);
    // Replays never take the units twice.
    await Promise.all([1, 2, 3].map(() => payWebhook(stack, orderId, 'paid', eventId)));
    expect(await availableStock(stack.db, productId)).toBe(6);
    await expectConserved(stack.db, productId, 10);
  });

  test('units gone meanwhile: a refund is owed instead, stock untouched', async () => {
    const { productId, orderId } = await cancelledOrder(stack, 4, 4);
    await holdOf(stack, productId, 2);
    const res = await payWebhook(stack, orderId, 'paid');
    expect(res.body).toMatchObject({ message: 'Late payment recorded', data: { refund_due: true } });
    expect(await availableStock(stack.db, productId)).toBe(2);
    await expectConserved(stack.db, productId, 4);
  });

  test('20 different late paid events at once: the units are taken at most once', async () => {
    const { productId, orderId } = await cancelledOrder(stack, 6, 3);
    const answers = await Promise.all(Array.from({ length: 20 }, () => payWebhook(stack, orderId, 'paid')));
    expect(answers.map((a) => a.status).every((s) => s === 200)).toBe(true);
    expect(answers.filter((a) => a.body.message === 'Payment processed')).toHaveLength(1);
    expect(answers.filter((a) => a.body.message === 'Late payment recorded')).toHaveLength(19);
    expect(await availableStock(stack.db, productId)).toBe(3);
    await expectConserved(stack.db, productId, 6);
  });
});
