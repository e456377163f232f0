import { availableStock, createProduct, expectConserved } from '../../harness/fixtures';
import { waitFor } from '../../harness/wait';
import { HOLD_PRIORITY, ORDER_PRIORITY } from '../../src/shared/priorities';
import { expectRefusal } from './support/answers';
import { workflowCompleted, workflowStarted } from './support/purchase';
import { countRows } from './support/rows';
import { holdOf, useStack } from './support/stack';

const stack = useStack({ HOLD_TTL_SECONDS: '2', PAYMENT_TIMEOUT_SECONDS: '3' });

const hold = async (productId: number, quantity: number) => (await holdOf(stack, productId, quantity)).hold_id;
const ORDER_FIELDS = ['amount', 'created_at', 'currency', 'hold_id', 'id', 'status', 'updated_at'];
const ALREADY_ORDERED = 'Cannot create order: Hold is already associated with an order';

describe('orders', () => {
  test('an order takes the hold; expiry never gives an ordered hold back', async () => {
    const productId = await createProduct(stack, 10);
    const holdId = await hold(productId, 4);
    const res = await stack.http.post('/api/orders', { hold_id: holdId });
    expect(res.status).toBe(201);
    expect(res.body.status).toBe('success');
    expect(res.body.data).toMatchObject({ hold_id: holdId, status: 'pending' });
    expect(Object.keys(res.body.data).sort()).toEqual(ORDER_FIELDS);
    const h = (await stack.http.get(`/api/holds/${holdId}`)).body;
    expect(h.used_at).not.toBeNull();
    // Past the hold's expiry the hold workflow has finished without giving the stock back.
    await workflowCompleted(stack, `hold-${holdId}`);
    expect(await availableStock(stack.db, productId)).toBe(6);
    expect((await stack.http.get(`/api/holds/${holdId}`)).body.released_at).toBeNull();
    await expectConserved(stack.db, productId, 10);
  });

  test('hold work runs ahead of orders and events: the workflows and the order step carry their task priorities', async () => {
    const productId = await createProduct(stack, 10);
    const holdId = await hold(productId, 1);
    const res = await stack.http.post('/api/orders', { hold_id: holdId });
    expect(res.status).toBe(201);
    const holdRun = stack.client.workflow.getHandle(`hold-${holdId}`);
    expect((await holdRun.describe()).priority?.priorityKey).toBe(HOLD_PRIORITY.priorityKey);
    const orderRun = stack.client.workflow.getHandle(`order-${res.body.data.id}`);
    await workflowStarted(stack, orderRun.workflowId);
    expect((await orderRun.describe()).priority?.priorityKey).toBe(ORDER_PRIORITY.priorityKey);
    // The hold's own order step (its scheduled activity) waits behind hold work too.
    const scheduled = (await holdRun.fetchHistory()).events?.find(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'createOrder',
    );
    expect(scheduled?.activityTaskScheduledEventAttributes?.priority?.priorityKey).toBe(ORDER_PRIORITY.priorityKey);
    expect(HOLD_PRIORITY.priorityKey!).toBeLessThan(ORDER_PRIORITY.priorityKey!);
  });

  test('10 parallel orders on one hold: exactly one 201', async () => {
    const productId = await createProduct(stack, 10);
    const holdId = await hold(productId, 2);
    const replies = await Promise.all(
      Array.from({ length: 10 }, () => stack.http.post('/api/orders', { hold_id: holdId })),
    );
    expect(replies.filter((r) => r.status === 201)).toHaveLength(1);
    const refused = replies.filter((r) => r.status === 400);
    expect(refused).toHaveLength(9);
    for (const r of refused) expect(r.body.message).toBe(ALREADY_ORDERED);
    expect(await countRows(stack.db, 'SELECT COUNT(*) AS n FROM orders WHERE hold_id = ?', holdId)).toBe(1);
    await expectConserved(stack.db, productId, 10);
  });

  test('expired and released holds are refused with the contract messages, expired first', async () => {
    const productId = await createProduct(stack, 10);
    const released = await hold(productId, 1);
    expect((await stack.http.post(`/api/holds/${released}/release`)).status).toBe(200);
    const r1 = await stack.http.post('/api/orders', { hold_id: released });
    expectRefusal(r1, 400, 'Cannot create order: Hold has been released');

    const expiring = await hold(productId, 1);
    await waitFor('hold to expire', async () => (await stack.http.get(`/api/holds/${expiring}`)).body.released_at);
    const r2 = await stack.http.post('/api/orders', { hold_id: expiring });
    expectRefusal(r2, 400, 'Cannot create order: Hold has expired');
    // The early-released hold is past its expiry too by now: expired is reported first.
    await waitFor('released hold to pass its expiry', async () => {
      const h = (await stack.http.get(`/api/holds/${released}`)).body;
      return Date.now() > Date.parse(h.hold_expires_at);
    });
    const r3 = await stack.http.post('/api/orders', { hold_id: released });
    expect(r3.body.message).toBe('Cannot create order: Hold has expired');
    await expectConserved(stack.db, productId, 10);
  });

  test('an ordered hold cannot be released early', async () => {
    const productId = await createProduct(stack, 10);
    const holdId = await hold(productId, 3);
    expect((await stack.http.post('/api/orders', { hold_id: holdId })).status).toBe(201);
    const res = await stack.http.post(`/api/holds/${holdId}/release`);
    expectRefusal(res, 400, 'Cannot release: Hold is already associated with an order');
    expect(await availableStock(stack.db, productId)).toBe(7);
  });

  test('an unpaid order is cancelled at the payment timeout and its stock returns once', async () => {
    const productId = await createProduct(stack, 10);
    const holdId = await hold(productId, 5);
    const order = (await stack.http.post('/api/orders', { hold_id: holdId })).body.data;
    expect(await availableStock(stack.db, productId)).toBe(5);
    await waitFor('payment timeout', async () =>
      countRows(stack.db, "SELECT COUNT(*) AS n FROM orders WHERE id = ? AND status = 'cancelled'", order.id),
    );
    expect(await availableStock(stack.db, productId)).toBe(10);
    const h = (await stack.http.get(`/api/holds/${holdId}`)).body;
    expect(h.released_at).not.toBeNull();
    const result = await stack.client.workflow.getHandle(`order-${order.id}`).result();
    expect(result.status).toBe('cancelled');
    // A payment arriving afterwards is recorded (the provider stops retrying), owes a refund, and takes no stock.
    const late = await stack.http.post('/api/payments/webhook', {
      event_id: `late-${order.id}`,
      order_id: order.id,
      status: 'paid',
    });
    expect(late.status).toBe(200);
    expect(late.body.message).toBe('Late payment recorded');
    expect(late.body.data).toMatchObject({ order_id: order.id, refund_due: true });
    expect(await availableStock(stack.db, productId)).toBe(10);
    await expectConserved(stack.db, productId, 10);
  });
});
