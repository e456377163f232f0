import { createHmac } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import { signPayload } from '../../src/signature';
import { availableStock, expectConserved } from '../../harness/fixtures';
import { expectRefusal, ISO } from './support/answers';
import { newEventId, pendingOrder } from './support/purchase';
import { countRows } from './support/rows';
import { useStack } from './support/stack';

const SECRET = 'whsec-integration-test';
// Nothing expires or times out while this file runs; every order it makes is settled by a webhook.
const stack = useStack({ WEBHOOK_SECRET: SECRET, HOLD_TTL_SECONDS: '60', PAYMENT_TIMEOUT_SECONDS: '60' });

const nowS = () => Math.floor(Date.now() / 1000);

async function orderState(orderId: number, productId: number) {
  const [order] = await stack.db.query<{ status: string; payment_idempotency_key: string | null }>(
    'SELECT status, payment_idempotency_key FROM orders WHERE id = ?',
    { replacements: [orderId], type: QueryTypes.SELECT },
  );
  const events = await countRows(stack.db, 'SELECT COUNT(*) AS n FROM payment_events WHERE order_id = ?', orderId);
  return { ...order, events, available: await availableStock(stack.db, productId) };
}

const send = (rawBody: string, signature?: string) =>
  stack.http.post('/api/payments/webhook', rawBody, signature === undefined ? {} : { 'X-Signature': signature });

describe('a signed webhook', () => {
  let order: Awaited<ReturnType<typeof pendingOrder>>;
  let rawBody: string;
  let before: Awaited<ReturnType<typeof orderState>>;

  beforeAll(async () => {
    order = await pendingOrder(stack, 10, 3);
    rawBody = JSON.stringify({ event_id: newEventId(), order_id: order.orderId, status: 'paid' });
    before = await orderState(order.orderId, order.productId);
    expect(before).toEqual({ status: 'pending', payment_idempotency_key: null, events: 0, available: 7 });
  });

  const hmac = (secret: string, t: number | string, body: string) =>
    createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');

  const refused: [string, () => string | undefined][] = [
    ['no X-Signature header', () => undefined],
    ['an empty header', () => ''],
    ['garbage', () => 'garbage'],
    ['only t', () => `t=${nowS()}`],
    ['only v1', () => `v1=${hmac(SECRET, nowS(), rawBody)}`],
    ['a non-numeric t', () => `t=now,v1=${hmac(SECRET, 'now', rawBody)}`],
    ['a truncated v1', () => signPayload(SECRET, rawBody).slice(0, -2)],
    ['a v1 that is not hex', () => `t=${nowS()},v1=${'z'.repeat(64)}`],
    ['the wrong secret', () => signPayload('not-the-secret', rawBody)],
    ['the secret as the signature', () => `t=${nowS()},v1=${SECRET}`],
    ['a stale t (301 s ago)', () => signPayload(SECRET, rawBody, nowS() - 301)],
    ['a t far in the past', () => signPayload(SECRET, rawBody, nowS() - 86_400)],
    ['a t 301 s ahead', () => signPayload(SECRET, rawBody, nowS() + 301)],
    ['t changed after signing', () => signPayload(SECRET, rawBody).replace(/^t=(\d+)/, (_, t) => `t=${Number(t) - 1}`)],
    ['a signature over a different body', () => signPayload(SECRET, rawBody.replace('"paid"', '"failed"'))],
    [
      'a signature over the re-serialised body',
      () => signPayload(SECRET, JSON.stringify(JSON.parse(rawBody), null, 1)),
    ],
    [
      'a signature over the body without t',
      () => `t=${nowS()},v1=${createHmac('sha256', SECRET).update(rawBody).digest('hex')}`,
    ],
  ];

  test.each(refused)('401 "Invalid signature" with %s; nothing changes', async (_, signature) => {
    const res = await send(rawBody, signature());
    expect({ status: res.status, body: res.body }).toEqual({
      status: 401,
      body: {
        status: 'error',
        message: 'Invalid signature',
        code: 'invalid_signature',
        timestamp: expect.stringMatching(ISO),
      },
    });
    expect(res.headers.get('x-request-id')).toBeTruthy();
    expect(await orderState(order.orderId, order.productId)).toEqual(before);
  });

  test('the signature is checked before validation: an unsigned invalid body is a 401, not a 422', async () => {
    const res = await send('{}');
    expectRefusal(res, 401, 'Invalid signature');
    const unknown = await send(JSON.stringify({ event_id: 'e', order_id: 2147483647, status: 'paid' }));
    expect(unknown.status).toBe(401);
  });

  test('a correctly signed body with a stretched body is refused (one byte differs)', async () => {
    const res = await send(`${rawBody} `, signPayload(SECRET, rawBody));
    expect(res.status).toBe(401);
    expect(await orderState(order.orderId, order.productId)).toEqual(before);
  });

  test('a correct signature is accepted: the order completes, once', async () => {
    const res = await send(rawBody, signPayload(SECRET, rawBody));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'success',
      message: 'Payment processed',
      timestamp: expect.stringMatching(ISO),
      data: { order_id: order.orderId, status: 'completed' },
    });
    const after = await orderState(order.orderId, order.productId);
    expect(after).toMatchObject({ status: 'completed', events: 1, available: 7 });
    await expectConserved(stack.db, order.productId, 10);

    // A replay, signed again (within the tolerance, t 290 s in the past), changes nothing.
    const replay = await send(rawBody, signPayload(SECRET, rawBody, nowS() - 290));
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({
      message: 'Webhook already processed',
      data: { order_id: order.orderId, status: 'completed' },
    });
    expect(await orderState(order.orderId, order.productId)).toEqual(after);
    // An unsigned replay is still refused.
    expect((await send(rawBody)).status).toBe(401);
  });

  test('a signed "failed" webhook cancels and gives the stock back; validation still applies after the signature', async () => {
    const other = await pendingOrder(stack, 8, 5);
    const invalid = JSON.stringify({ event_id: 42, order_id: other.orderId, status: 'failed' });
    const rejected = await send(invalid, signPayload(SECRET, invalid));
    expect(rejected.status).toBe(422);
    expect(rejected.body.errors).toEqual({ event_id: ['The event id field must be a string.'] });

    const failed = JSON.stringify({ event_id: newEventId(), order_id: other.orderId, status: 'failed' });
    const res = await send(failed, signPayload(SECRET, failed, nowS() + 290));
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ order_id: other.orderId, status: 'cancelled' });
    expect(await orderState(other.orderId, other.productId)).toMatchObject({
      status: 'cancelled',
      events: 1,
      available: 8,
    });
    await expectConserved(stack.db, other.productId, 8);
  });
});
