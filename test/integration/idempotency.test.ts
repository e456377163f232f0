import { randomUUID } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import { availableStock, createProduct, expectConserved } from '../../harness/fixtures';
import { startStack, type Stack } from '../../harness/stack';
import { waitFor } from '../../harness/wait';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ HOLD_TTL_SECONDS: '30', TEMPORAL_CALL_TIMEOUT_MS: '3000' });
});
afterAll(async () => stack.close());

const holdCount = async (productId: number) =>
  Number(
    (
      await stack.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM holds WHERE product_id = ?', {
        replacements: [productId],
        type: QueryTypes.SELECT,
      })
    )[0].n,
  );

describe('Idempotency-Key', () => {
  test('a retried hold with the same key and body gets the first answer and reserves nothing more', async () => {
    const productId = await createProduct(stack, 10);
    const key = randomUUID();
    const first = await stack.http.post(
      '/api/holds',
      { product_id: productId, quantity: 3 },
      { 'Idempotency-Key': key },
    );
    const again = await stack.http.post(
      '/api/holds',
      { product_id: productId, quantity: 3 },
      { 'Idempotency-Key': key },
    );
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
    await stack.http.post('/api/holds', { product_id: productId, quantity: 3 }, { 'Idempotency-Key': key });
    const other = await stack.http.post(
      '/api/holds',
      { product_id: productId, quantity: 4 },
      { 'Idempotency-Key': key },
    );
    expect(other.status).toBe(422);
    expect(other.body.message).toBe('Idempotency-Key reused with different parameters');
    expect(await availableStock(stack.db, productId)).toBe(7);
  });

  test('concurrent requests with one key produce one hold', async () => {
    const productId = await createProduct(stack, 50);
    const key = randomUUID();
    const replies = await Promise.all(
      Array.from({ length: 10 }, () =>
        stack.http.post('/api/holds', { product_id: productId, quantity: 2 }, { 'Idempotency-Key': key }),
      ),
    );
    expect(replies.every((r) => r.status === 201)).toBe(true);
    expect(new Set(replies.map((r) => r.body.data.hold_id)).size).toBe(1);
    expect(await holdCount(productId)).toBe(1);
    expect(await availableStock(stack.db, productId)).toBe(48);
    await expectConserved(stack.db, productId, 50);
  });

  test('a refused hold is replayed as the same refusal', async () => {
    const productId = await createProduct(stack, 1);
    const key = randomUUID();
    const first = await stack.http.post(
      '/api/holds',
      { product_id: productId, quantity: 2 },
      { 'Idempotency-Key': key },
    );
    expect(first.status).toBe(400);
    await stack.http.post(
      `/api/admin/products/${productId}/restock`,
      { quantity: 5 },
      { Authorization: 'Bearer test-admin-token' },
    );
    const again = await stack.http.post(
      '/api/holds',
      { product_id: productId, quantity: 2 },
      { 'Idempotency-Key': key },
    );
    expect(again.status).toBe(400);
    expect(again.body).toEqual(first.body);
    expect(await holdCount(productId)).toBe(0);
  });

  test('orders: a retried order with the same key gets the same 201; concurrent keyed retries make one order', async () => {
    const productId = await createProduct(stack, 10);
    const holdId = (await stack.http.post('/api/holds', { product_id: productId, quantity: 1 })).body.data.hold_id;
    const key = randomUUID();
    const replies = await Promise.all(
      Array.from({ length: 5 }, () => stack.http.post('/api/orders', { hold_id: holdId }, { 'Idempotency-Key': key })),
    );
    expect(replies.every((r) => r.status === 201)).toBe(true);
    expect(new Set(replies.map((r) => r.body.data.id)).size).toBe(1);
    const later = await stack.http.post('/api/orders', { hold_id: holdId }, { 'Idempotency-Key': key });
    expect(later.status).toBe(201);
    expect(later.body).toEqual(replies[0].body);
    const unkeyed = await stack.http.post('/api/orders', { hold_id: holdId });
    expect(unkeyed.status).toBe(400);
    expect(unkeyed.body.message).toBe('Cannot create order: Hold is already associated with an order');
  });

  test('orders: a keyed retry after a 503 whose order was committed gets that order; another key gets the refusal', async () => {
    const productId = await createProduct(stack, 10);
    const holdId = (await stack.http.post('/api/holds', { product_id: productId, quantity: 2 })).body.data.hold_id;
    const key = randomUUID();
    // No worker: the order update waits in Temporal past the API's deadline, so the first attempt answers 503...
    await stack.stopWorker();
    const first = await stack.http.post('/api/orders', { hold_id: holdId }, { 'Idempotency-Key': key });
    expect(first.status).toBe(503);
    // ...and the order is still created once a worker picks the update up.
    await stack.startWorker();
    await waitFor('the order of the timed-out attempt', async () => {
      const [h] = await stack.db.query<{ used_at: Date | null }>('SELECT used_at FROM holds WHERE id = ?', {
        replacements: [holdId],
        type: QueryTypes.SELECT,
      });
      return h.used_at !== null;
    });
    const [order] = await stack.db.query<{ id: number }>('SELECT id FROM orders WHERE hold_id = ?', {
      replacements: [holdId],
      type: QueryTypes.SELECT,
    });
    const retry = await stack.http.post('/api/orders', { hold_id: holdId }, { 'Idempotency-Key': key });
    expect(retry.status).toBe(201);
    expect(retry.body.data).toMatchObject({ id: Number(order.id), hold_id: holdId, status: 'pending' });
    const again = await stack.http.post('/api/orders', { hold_id: holdId }, { 'Idempotency-Key': key });
    expect(again.body).toEqual(retry.body);
    const other = await stack.http.post('/api/orders', { hold_id: holdId }, { 'Idempotency-Key': randomUUID() });
    expect(other.status).toBe(400);
    expect(other.body.message).toBe('Cannot create order: Hold is already associated with an order');
    await expectConserved(stack.db, productId, 10);
  }, 60_000);
});
