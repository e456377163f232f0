import { availableStock, createProduct, expectConserved } from '../../harness/fixtures';
import { waitFor } from '../../harness/wait';
import { createOrderForHold } from '../../src/db/orders';
import { expectRefusal } from './support/answers';
import { newEventId, payWebhook, pendingOrder, workflowCompleted } from './support/purchase';
import { holdOf, useStack } from './support/stack';

const stack = useStack({ HOLD_TTL_SECONDS: '30', PAYMENT_TIMEOUT_SECONDS: '60' });

describe('payment webhook', () => {
  test('paid completes the order, keeps the stock sold, and ends the order workflow', async () => {
    const { productId, orderId } = await pendingOrder(stack);
    const res = await payWebhook(stack, orderId, 'paid');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'success',
      message: 'Payment processed',
      data: { order_id: orderId, status: 'completed' },
    });
    expect((await stack.http.get(`/api/orders/${orderId}`)).body.status).toBe('completed');
    const result = await stack.client.workflow.getHandle(`order-${orderId}`).result();
    expect(result).toMatchObject({ status: 'completed' });
    expect(await availableStock(stack.db, productId)).toBe(6);
    await expectConserved(stack.db, productId, 10);
  });

  test('failed cancels the order and returns the stock exactly once', async () => {
    const { productId, holdId, orderId } = await pendingOrder(stack);
    const eventId = newEventId();
    const res = await payWebhook(stack, orderId, 'failed', eventId);
    expect(res.body).toMatchObject({ message: 'Payment processed', data: { order_id: orderId, status: 'cancelled' } });
    expect(await availableStock(stack.db, productId)).toBe(10);
    expect((await stack.http.get(`/api/holds/${holdId}`)).body.released_at).not.toBeNull();
    const replay = await payWebhook(stack, orderId, 'failed', eventId);
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({
      message: 'Webhook already processed',
      data: { order_id: orderId, status: 'cancelled' },
    });
    await workflowCompleted(stack, `order-${orderId}`);
    expect(await availableStock(stack.db, productId)).toBe(10);
    await expectConserved(stack.db, productId, 10);
  });

  test('20 parallel identical webhooks: one "Payment processed", the rest replays', async () => {
    const { productId, orderId } = await pendingOrder(stack);
    const eventId = newEventId();
    const replies = await Promise.all(Array.from({ length: 20 }, () => payWebhook(stack, orderId, 'failed', eventId)));
    expect(replies.every((r) => r.status === 200)).toBe(true);
    expect(replies.filter((r) => r.body.message === 'Payment processed')).toHaveLength(1);
    expect(replies.filter((r) => r.body.message === 'Webhook already processed')).toHaveLength(19);
    expect(await availableStock(stack.db, productId)).toBe(10);
    await expectConserved(stack.db, productId, 10);
  });

  test('paid and failed racing: one settles the order; a losing failed is refused, a losing paid is late', async () => {
    const { productId, orderId } = await pendingOrder(stack);
    const [paid, failed] = await Promise.all([
      payWebhook(stack, orderId, 'paid'),
      payWebhook(stack, orderId, 'failed'),
    ]);
    const final = (await stack.http.get(`/api/orders/${orderId}`)).body.status;
    if (final === 'completed') {
      expect(paid.body.message).toBe('Payment processed');
      expectRefusal(failed, 400, 'Order is not in pending state');
    } else {
      expect(failed.body).toMatchObject({ message: 'Payment processed', data: { status: 'cancelled' } });
      // The paid came after the order was cancelled: recorded, its money owed back (LATE_PAYMENT_POLICY=refund).
      expect(paid.body).toMatchObject({ message: 'Late payment recorded', data: { refund_due: true } });
    }
    expect(await availableStock(stack.db, productId)).toBe(final === 'completed' ? 6 : 10);
    await expectConserved(stack.db, productId, 10);
  });

  test('an event id reused on another order is a 409 and changes nothing', async () => {
    const first = await pendingOrder(stack);
    const second = await pendingOrder(stack);
    const eventId = newEventId();
    expect((await payWebhook(stack, first.orderId, 'paid', eventId)).status).toBe(200);
    const reused = await payWebhook(stack, second.orderId, 'failed', eventId);
    expectRefusal(reused, 409, 'Event id has already been used for another order');
    expect(reused.text).not.toMatch(/SQL|Duplicate|INSERT/i);
    expect((await stack.http.get(`/api/orders/${second.orderId}`)).body.status).toBe('pending');
    expect(await availableStock(stack.db, second.productId)).toBe(6);
  });

  test('a new failed event on a final order is refused; a new paid one is a late payment', async () => {
    const { orderId } = await pendingOrder(stack);
    await payWebhook(stack, orderId, 'paid');
    const failed = await payWebhook(stack, orderId, 'failed');
    expectRefusal(failed, 400, 'Order is not in pending state');
    const again = await payWebhook(stack, orderId, 'paid');
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({
      message: 'Late payment recorded',
      data: { status: 'completed', refund_due: true },
    });
  });

  test('a payment that gets there before the order’s workflow starts it, and the run ends with the payment', async () => {
    // The order row exists, as when the hold's workflow has created it but its child start still waits behind a
    // burst's hold work (ORDER_PRIORITY): no order-<id> run yet.
    const productId = await createProduct(stack, 10);
    const created = await createOrderForHold(stack.db, (await holdOf(stack, productId, 2)).hold_id, new Date());
    if (created.kind !== 'ordered') throw new Error(`order not created: ${created.kind}`);
    const { orderId } = created;
    await expect(stack.client.workflow.getHandle(`order-${orderId}`).describe()).rejects.toThrow();

    const res = await payWebhook(stack, orderId, 'paid');
    expect(res.body).toMatchObject({ message: 'Payment processed', data: { order_id: orderId, status: 'completed' } });
    // Well before its 60 s payment timeout: the webhook's signal started the run, which took the payment at once.
    const handle = stack.client.workflow.getHandle(`order-${orderId}`);
    const result = await waitFor('the order workflow to end', async () => {
      const d = await handle.describe();
      return d.status.name === 'COMPLETED' ? handle.result() : null;
    });
    expect(result).toMatchObject({ orderId, status: 'completed' });
    const started = await handle.describe();
    expect(started.searchAttributes.ProductId).toEqual([productId]);
  });
});
