import { signPayload } from '../../src/signature';
import { collectEvents, EVENTS_SECRET, typesByHold } from '../../harness/events';
import { createProduct } from '../../harness/fixtures';
import { freePort, waitFor } from '../../harness/wait';
import { countRows } from './support/rows';
import { payWebhook } from './support/purchase';
import { holdOf, orderOf, useStack } from './support/stack';

/**
 * Outbound events on the real services: a local receiver that starts only after the first events were due (down,
 * then up), checks every signature, and must end with each expected event once after dedup by id, in order per hold.
 */
let events: Awaited<ReturnType<typeof collectEvents>>;
let port: number;
const stack = useStack(async () => {
  port = await freePort();
  return {
    HOLD_TTL_SECONDS: '2',
    PAYMENT_TIMEOUT_SECONDS: '2',
    EVENTS_URL: `http://127.0.0.1:${port}/`,
    EVENTS_SECRET,
  };
});
afterAll(async () => events?.receiver.close());

const hold = async (productId: number) => (await holdOf(stack, productId)).hold_id;
const order = async (holdId: number) => (await orderOf(stack, holdId)).id;

test('every change of a hold and its order reaches the receiver once, in order, signed, after it was down', async () => {
  const productId = await createProduct(stack, 20);
  const expired = await hold(productId);
  const released = await hold(productId);
  expect((await stack.http.post(`/api/holds/${released}/release`, {})).status).toBe(200);
  const paidHold = await hold(productId);
  const paidOrder = await order(paidHold);
  expect((await payWebhook(stack, paidOrder, 'paid')).body.data.status).toBe('completed');
  const failedHold = await hold(productId);
  const failedOrder = await order(failedHold);
  expect((await payWebhook(stack, failedOrder, 'failed')).body.data.status).toBe('cancelled');
  const lateHold = await hold(productId);
  const lateOrder = await order(lateHold);
  await waitFor('the payment timeout', async () => {
    return (await stack.http.get(`/api/orders/${lateOrder}`)).body.status === 'cancelled';
  });
  expect((await payWebhook(stack, lateOrder, 'paid')).body.message).toBe('Late payment recorded');

  // The receiver was down all along: deliveries are being retried, and /metrics says so.
  await waitFor('failed attempts to be recorded', async () =>
    /flash_sale_outbound_events\{status="retrying"\} [1-9]/.test((await stack.http.get('/metrics')).text),
  );
  events = await collectEvents(port);
  const expected = new Map<number, string[]>([
    [expired, ['hold.created', 'hold.expired']],
    [released, ['hold.created', 'hold.released']],
    [paidHold, ['hold.created', 'order.created', 'order.completed']],
    [failedHold, ['hold.created', 'order.created', 'order.cancelled']],
    [lateHold, ['hold.created', 'order.created', 'order.cancelled', 'order.refund_due']],
  ]);
  const total = [...expected.values()].flat().length;
  await waitFor('every event to arrive', () => events.unique().length >= total, 60_000);
  const byHold = typesByHold(events.unique());
  for (const [holdId, types] of expected) expect(`${holdId}: ${byHold.get(holdId)}`).toBe(`${holdId}: ${types}`);
  expect(events.rejected).toEqual([]);
  for (const e of events.unique()) {
    expect(Object.keys(e).sort()).toEqual(['created_at', 'data', 'id', 'type']);
    expect(Number.isNaN(Date.parse(e.created_at))).toBe(false);
  }
  await waitFor('deliveries recorded as delivered', async () => {
    const ids = events.unique().map((e) => e.id);
    const sql = `SELECT COUNT(*) AS n FROM event_deliveries WHERE status = 'delivered' AND event_id IN (?)`;
    return (await countRows(stack.db, sql, ids)) === total;
  });
  // The figures are recomputed once per SALE_FIGURES_INTERVAL_SECONDS.
  await waitFor('/metrics to count the deliveries', async () =>
    /flash_sale_outbound_events\{status="delivered"\} [1-9]/.test((await stack.http.get('/metrics')).text),
  );
});

test('the receiver refuses a bad signature, so such a POST is never counted as delivered', async () => {
  events ??= await collectEvents(port);
  const body = JSON.stringify({ id: 'x', type: 'hold.created', created_at: new Date().toISOString(), data: {} });
  const signedWith = (secret: string) =>
    fetch(events.url, { method: 'POST', headers: { 'X-Signature': signPayload(secret, body) }, body });
  expect((await signedWith('wrong-secret')).status).toBe(401);
  expect((await signedWith(EVENTS_SECRET)).status).toBe(200);
});
