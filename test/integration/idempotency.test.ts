import { randomUUID } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import { availableStock, createProduct, expectConserved } from '../../harness/fixtures';
import { waitFor } from '../../harness/wait';
import { expectRefusal } from './support/answers';
import { auth } from './support/admin';
import { countRows } from './support/rows';
import { holdOf, useStack } from './support/stack';

const stack = useStack({ HOLD_TTL_SECONDS: '30', TEMPORAL_CALL_TIMEOUT_MS: '3000' });

const holdCount = (productId: number) =>
  countRows(stack.db, 'SELECT COUNT(*) AS n FROM holds WHERE product_id = ?', productId);
const keyedHold = (productId: number, quantity: number, key: string) =>
  stack.http.post('/api/holds', { product_id: productId, quantity }, { 'Idempotency-Key': key });
const keyedOrder = (holdId: number, key: string) =>
  stack.http.post('/api/orders', { hold_id: holdId }, { 'Idempotency-Key': key });
const ALREADY_ORDERED = 'Cannot create order: Hold is already associated with an order';

describe('Idempotency-Key', () => {
  test('a retried hold with the same key and body gets the first answer and reserves nothing more', async () => {
    const productId = await createProduct(stack, 10);
    const key = randomUUID();
    const first = await keyedHold(productId, 3, key);
    const again = await keyedHold(productId, 3, key);
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await availableStock(stack.db, productId)).toBe(7);
    expect(await holdCount(productId)).toBe(1);
  });

  test('the same key with a different body is a 422', async () => {
    const productId = await createProduct(stack, 10);
    const key = randomUUID();
    await keyedHold(productId, 3, key);
    const other = await keyedHold(productId, 4, key);
    expect(other.status).toBe(422);
    expect(other.body.message).toBe('Idempotency-Key reused with different parameters');
    expect(await availableStock(stack.db, productId)).toBe(7);
  });

  test('concurrent requests with one key produce one hold', async () => {
    const productId = await createProduct(stack, 50);
    const key = randomUUID();
    const replies = await Promise.all(Array.from({ length: 10 }, () => keyedHold(productId, 2, key)));
    expect(replies.every((r) => r.status === 201)).toBe(true);
    expect(new Set(replies.map((r) => r.body.data.hold_id)).size).toBe(1);
    expect(await holdCount(productId)).toBe(1);
    expect(await availableStock(stack.db, productId)).toBe(48);
    await expectConserved(stack.db, productId, 50);
  });

  test('a refused hold is replayed as the same refusal', async () => {
    const productId = await createProduct(stack, 1);
    const key = randomUUID();
    const first = await keyedHold(productId, 2, key);
    expect(first.status).toBe(400);
    await stack.http.post(`/api/admin/products/${productId}/restock`, { quantity: 5 }, auth);
    const again = await keyedHold(productId, 2, key);
    expect(again.status).toBe(400);
    expect(again.body).toEqual(first.body);
    expect(await holdCount(productId)).toBe(0);
  });

  test('orders: a retried order with the same key gets the same 201; concurrent keyed retries make one order', async () => {
    const holdId = (await holdOf(stack, await createProduct(stack, 10))).hold_id;
    const key = randomUUID();
    const replies = await Promise.all(Array.from({ length: 5 }, () => keyedOrder(holdId, key)));
    expect(replies.every((r) => r.status === 201)).toBe(true);
    expect(new Set(replies.map((r) => r.body.data.id)).size).toBe(1);
    const later = await keyedOrder(holdId, key);
    expect(later.status).toBe(201);
    expect(later.body).toEqual(replies[0].body);
    const unkeyed = await stack.http.post('/api/orders', { hold_id: holdId });
    expectRefusal(unkeyed, 400, ALREADY_ORDERED);
  });

  test('orders: a keyed retry after a 503 whose order was committed gets that order; another key gets the refusal', async () => {
    const productId = await createProduct(stack, 10);
    const holdId = (await holdOf(stack, productId, 2)).hold_id;
    const key = randomUUID();
    // No worker: the order update waits in Temporal past the API's deadline, so the first attempt answers 503...
    await stack.stopWorker();
    const first = await keyedOrder(holdId, key);
    expect(first.status).toBe(503);
    // ...and the order is still created once a worker picks the update up.
    await stack.startWorker();
    await waitFor('the order of the timed-out attempt', async () =>
      countRows(stack.db, 'SELECT COUNT(*) AS n FROM holds WHERE id = ? AND used_at IS NOT NULL', holdId),
    );
    const [order] = await stack.db.query<{ id: number }>('SELECT id FROM orders WHERE hold_id = ?', {
      replacements: [holdId],
      type: QueryTypes.SELECT,
    });
    const retry = await keyedOrder(holdId, key);
    expect(retry.status).toBe(201);
    expect(retry.body.data).toMatchObject({ id: Number(order.id), hold_id: holdId, status: 'pending' });
    const again = await keyedOrder(holdId, key);
    expect(again.body).toEqual(retry.body);
    const other = await keyedOrder(holdId, randomUUID());
    expectRefusal(other, 400, ALREADY_ORDERED);
    await expectConserved(stack.db, productId, 10);
  }, 60_000);
});
