import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { availableStock, expectConserved } from '../../harness/fixtures';
import { expectRefusal } from './support/answers';
import { pendingOrder, workflowCompleted } from './support/purchase';
import { countRows } from './support/rows';
import { useStack } from './support/stack';

const SECRET = 'whsec_stripe_integration_test';
// Holds and orders need the shop's key; Stripe's events come without one.
const API_KEY = 'sk_stripe_test_0123456789';
const shop = { Authorization: `Bearer ${API_KEY}` };
// Nothing expires or times out while this file runs; every order it makes is settled by a Stripe event.
const stack = useStack({
  STRIPE_WEBHOOK_SECRET: SECRET,
  API_KEYS: API_KEY,
  HOLD_TTL_SECONDS: '60',
  PAYMENT_TIMEOUT_SECONDS: '60',
});
const pendingShopOrder = () => pendingOrder(stack, 10, 4, shop);

/** A Stripe event as Stripe sends it (the fields this service reads, in Stripe's shape). */
function stripeEvent(type: string, object: Record<string, unknown>, id = `evt_${randomUUID().replace(/-/g, '')}`) {
  return JSON.stringify({
    id,
    object: 'event',
    api_version: '2026-11-18.endive',
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    pending_webhooks: 1,
    type,
    data: { object },
  });
}
const paymentIntent = (orderId: number | string | undefined, status = 'succeeded') => ({
  id: `pi_${randomUUID().replace(/-/g, '')}`,
  object: 'payment_intent',
  amount: 4200,
  currency: 'usd',
  status,
  metadata: orderId === undefined ? {} : { order_id: String(orderId) },
});
const checkoutSession = (orderId: number, paymentStatus: string) => ({
  id: `cs_test_${randomUUID().replace(/-/g, '')}`,
  object: 'checkout.session',
  mode: 'payment',
  status: 'complete',
  payment_status: paymentStatus,
  metadata: { order_id: String(orderId) },
});

/** A `payment_intent.<outcome>` event of the order. */
const intentEvent = (outcome: string, orderId: number | string | undefined, status?: string) =>
  stripeEvent(`payment_intent.${outcome}`, paymentIntent(orderId, status));

/** Posts the raw payload signed as Stripe signs it (the package's own test helper), or with the header given. */
const deliver = (payload: string, opts: { secret?: string; timestamp?: number; header?: string } = {}) =>
  stack.http.call('POST', '/api/payments/stripe', payload, {
    'Content-Type': 'application/json; charset=utf-8',
    'Stripe-Signature':
      opts.header ??
      Stripe.webhooks.generateTestHeaderString({ payload, secret: opts.secret ?? SECRET, timestamp: opts.timestamp }),
  });

const paymentEventsOf = (orderId: number) =>
  countRows(stack.db, 'SELECT COUNT(*) AS n FROM payment_events WHERE order_id = ?', orderId);
const orderOf = async (orderId: number) => (await stack.http.get(`/api/orders/${orderId}`, shop)).body;

describe('POST /api/payments/stripe', () => {
  test('a signed payment_intent.succeeded completes the order; its redelivery is a replay', async () => {
    const { productId, orderId } = await pendingShopOrder();
    const payload = intentEvent('succeeded', orderId);
    const res = await deliver(payload);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'success',
      message: 'Payment processed',
      data: { order_id: orderId, status: 'completed' },
    });
    const order = await orderOf(orderId);
    expect(order.status).toBe('completed');
    expect(order.payment_idempotency_key).toBe(JSON.parse(payload).id);
    await workflowCompleted(stack, `order-${orderId}`);

    // Stripe redelivers the same event (same id), re-signed at a new time: answered as a replay, nothing changes.
    const again = await deliver(payload);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({
      message: 'Webhook already processed',
      data: { order_id: orderId, status: 'completed' },
    });
    expect(await paymentEventsOf(orderId)).toBe(1);
    expect(await availableStock(stack.db, productId)).toBe(6);
    await expectConserved(stack.db, productId, 10);
  });

  test('a forged signature (another secret) is refused 400 and changes nothing', async () => {
    const { productId, orderId } = await pendingShopOrder();
    const res = await deliver(intentEvent('succeeded', orderId), { secret: 'whsec_not_the_endpoints' });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ status: 'error', message: 'Invalid signature', code: 'invalid_signature' });
    expect((await orderOf(orderId)).status).toBe('pending');
    expect(await paymentEventsOf(orderId)).toBe(0);
    expect(await availableStock(stack.db, productId)).toBe(6);
  });

  test('a stale signature (older than 300 s) is refused 400 and changes nothing', async () => {
    const { orderId } = await pendingShopOrder();
    const res = await deliver(intentEvent('payment_failed', orderId, 'canceled'), {
      timestamp: Math.floor(Date.now() / 1000) - 301,
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ message: 'Invalid signature', code: 'invalid_signature' });
    expect((await orderOf(orderId)).status).toBe('pending');
    expect(await paymentEventsOf(orderId)).toBe(0);
  });

  test.each([
    ['no Stripe-Signature header', ''],
    ['a header that is no signature', 't=abc,v1=zz'],
  ])('%s is refused 400 Invalid signature', async (_, header) => {
    const { orderId } = await pendingShopOrder();
    const res = await deliver(intentEvent('succeeded', orderId), { header });
    expectRefusal(res, 400, 'Invalid signature');
    expect((await orderOf(orderId)).status).toBe('pending');
  });

  test('a signed body changed on the way is refused', async () => {
    const { orderId } = await pendingShopOrder();
    const payload = intentEvent('payment_failed', orderId);
    const header = Stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET });
    const res = await deliver(payload.replace('payment_failed', 'succeeded'), { header });
    expect(res.status).toBe(400);
    expect((await orderOf(orderId)).status).toBe('pending');
  });

  test('payment_intent.payment_failed cancels the order and gives the stock back', async () => {
    const { productId, holdId, orderId } = await pendingShopOrder();
    const res = await deliver(intentEvent('payment_failed', orderId, 'requires_payment_method'));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ message: 'Payment processed', data: { order_id: orderId, status: 'cancelled' } });
    expect(await availableStock(stack.db, productId)).toBe(10);
    expect((await stack.http.get(`/api/holds/${holdId}`, shop)).body.released_at).not.toBeNull();
    await expectConserved(stack.db, productId, 10);
  });

  test('a paid event after the order was cancelled is a late payment: 200, refund_due', async () => {
    const { productId, orderId } = await pendingShopOrder();
    await deliver(intentEvent('payment_failed', orderId, 'requires_payment_method'));
    const late = await deliver(intentEvent('succeeded', orderId));
    expect(late.status).toBe(200);
    expect(late.body).toMatchObject({
      message: 'Late payment recorded',
      data: { order_id: orderId, status: 'cancelled', refund_due: true },
    });
    expect(await orderOf(orderId)).toMatchObject({ status: 'cancelled', refund_due: true });
    // The stock went back with the cancel and stays back: the money is owed, not the units.
    expect(await availableStock(stack.db, productId)).toBe(10);
    await expectConserved(stack.db, productId, 10);
  });

  test('checkout.session.completed acts as paid only once its payment is collected', async () => {
    const { orderId } = await pendingShopOrder();
    const unpaid = await deliver(stripeEvent('checkout.session.completed', checkoutSession(orderId, 'unpaid')));
    expect(unpaid.status).toBe(200);
    expect(unpaid.body.message).toBe('Event ignored');
    expect((await orderOf(orderId)).status).toBe('pending');

    const paid = await deliver(stripeEvent('checkout.session.completed', checkoutSession(orderId, 'paid')));
    expect(paid.body).toMatchObject({ message: 'Payment processed', data: { order_id: orderId, status: 'completed' } });
  });

  test('other event types, and objects without metadata.order_id, are ignored and change nothing', async () => {
    const { productId, orderId } = await pendingShopOrder();
    const charge = stripeEvent('charge.succeeded', {
      id: 'ch_1',
      object: 'charge',
      metadata: { order_id: `${orderId}` },
    });
    const ignored = await deliver(charge);
    expect(ignored.status).toBe(200);
    expect(ignored.body).toMatchObject({
      status: 'success',
      message: 'Event ignored',
      data: { event_id: JSON.parse(charge).id, type: 'charge.succeeded' },
    });
    const noOrder = await deliver(intentEvent('succeeded', undefined));
    expect(noOrder.status).toBe(200);
    expect(noOrder.body.message).toBe('Event ignored');
    expect((await orderOf(orderId)).status).toBe('pending');
    expect(await paymentEventsOf(orderId)).toBe(0);
    expect(await availableStock(stack.db, productId)).toBe(6);
  });

  test.each([['2147483000'], ['not-an-order'], ['01']])('metadata.order_id %s names no order: 404', async (id) => {
    const res = await deliver(intentEvent('succeeded', id));
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ status: 'error', message: 'Order not found', code: 'not_found' });
  });

  test('an event with a lot of metadata (over the 16 KiB of other bodies) is read whole', async () => {
    const { orderId } = await pendingShopOrder();
    const metadata: Record<string, string> = { order_id: String(orderId) };
    for (let i = 0; i < 49; i++) metadata[`note_${i}`] = 'x'.repeat(500);
    const payload = stripeEvent('payment_intent.succeeded', { ...paymentIntent(orderId), metadata });
    expect(Buffer.byteLength(payload)).toBeGreaterThan(16 * 1024);
    const res = await deliver(payload);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ order_id: orderId, status: 'completed' });
  });

  test('Stripe needs no API key (every event above came without one); GET is a wrong method', async () => {
    expect((await stack.http.get('/api/orders', {})).status).toBe(401);
    expect((await stack.http.get('/api/payments/stripe')).status).toBe(405);
  });
});

describe('without STRIPE_WEBHOOK_SECRET', () => {
  const plain = useStack({ STRIPE_WEBHOOK_SECRET: '' }, { worker: false });

  test('POST /api/payments/stripe answers 404 like any unknown route', async () => {
    const payload = intentEvent('succeeded', 1);
    const res = await plain.http.call('POST', '/api/payments/stripe', payload, {
      'Stripe-Signature': Stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET }),
    });
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ status: 'error', message: 'Route not found', code: 'not_found' });
  });
});
