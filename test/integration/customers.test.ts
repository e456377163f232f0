import { QueryTypes } from 'sequelize';
import { CustomerIdKey } from '../../src/shared/search-attributes';
import { availableStock, createProduct, expectConserved } from '../../harness/fixtures';
import type { Reply } from '../../harness/http';
import { auth as admin } from './support/admin';
import { expect422 } from './support/answers';
import { countRows, holdAndOrderCounts } from './support/rows';
import { payWebhook } from './support/purchase';
import { useStack } from './support/stack';
import { atLeast1, atMost, integer, mustBe } from './support/validation';

/**
 * Customers and purchase limits on the real service: customer_id on holds and orders, the list filter, the CustomerId
 * search attribute, max_per_customer enforced inside the reservation under parallel load (never exceeded, never
 * under-granted), another customer's hold refused, MAX_QUANTITY_PER_HOLD, and no refusal changing anything.
 */

const stack = useStack({ HOLD_TTL_SECONDS: '60', PAYMENT_TIMEOUT_SECONDS: '60', MAX_QUANTITY_PER_HOLD: '10' });

async function limitedProduct(stock: number, max: number | null, shards = 1): Promise<number> {
  const res = await stack.http.post(
    '/api/admin/products',
    { name: 'Limited', total_stock: stock, price: 5, max_per_customer: max },
    admin,
  );
  expect(res.status).toBe(201);
  expect(res.body.data.max_per_customer).toBe(max);
  if (shards > 1) {
    const resharded = await stack.http.put(`/api/admin/products/${res.body.data.id}/stock-shards`, { shards }, admin);
    expect(resharded.status).toBe(200);
  }
  return res.body.data.id;
}

// With no customer, no customer_id is sent (JSON leaves undefined out).
const hold = (productId: number, quantity: number, customer?: string) =>
  stack.http.post('/api/holds', { product_id: productId, quantity, customer_id: customer });

/** Units a customer holds of a product in the database: unreleased holds (ordered or not). */
const unitsOf = (productId: number, customer: string) =>
  countRows(
    stack.db,
    'SELECT COALESCE(SUM(quantity), 0) AS n FROM holds WHERE product_id = ? AND customer_id = ? AND released_at IS NULL',
    productId,
    customer,
  );
const rowCounts = () => holdAndOrderCounts(stack.db);

function expectLimit(res: Reply, n: number) {
  expect({ status: res.status, message: res.body.message, code: res.body.code }).toEqual({
    status: 400,
    message: `Cannot create hold: limit of ${n} per customer reached`,
    code: 'customer_limit',
  });
}

describe('customer_id', () => {
  test('is stored on the hold and its order, shown in their views, filters the lists and is a search attribute', async () => {
    const productId = await createProduct(stack, 10);
    const customer = `cus_${Date.now()}`;
    const mine = await hold(productId, 2, customer);
    expect(mine.status).toBe(201);
    const anonymous = await hold(productId, 1);
    const holdId = mine.body.data.hold_id;
    expect((await stack.http.get(`/api/holds/${holdId}`)).body.customer_id).toBe(customer);
    expect((await stack.http.get(`/api/holds/${anonymous.body.data.hold_id}`)).body.customer_id).toBeNull();

    const order = await stack.http.post('/api/orders', { hold_id: holdId, customer_id: customer });
    expect(order.status).toBe(201);
    expect((await stack.http.get(`/api/orders/${order.body.data.id}`)).body.customer_id).toBe(customer);

    const second = await hold(productId, 1, customer);
    const holds = await stack.http.get(`/api/holds?customer_id=${customer}&limit=1`);
    expect(holds.body.map((h: { id: number }) => h.id)).toEqual([holdId]);
    expect(holds.headers.get('link')).toBe(
      `</api/holds?customer_id=${customer}&limit=1&after_id=${holdId}>; rel="next"`,
    );
    const rest = await stack.http.get(`/api/holds?limit=1&after_id=${holdId}&customer_id=${customer}`);
    expect(rest.body.map((h: { id: number }) => h.id)).toEqual([second.body.data.hold_id]);
    const orders = await stack.http.get(`/api/orders?customer_id=${customer}`);
    expect(orders.body.map((o: { id: number }) => o.id)).toEqual([order.body.data.id]);
    expect((await stack.http.get('/api/orders?customer_id=nobody-has-this-id')).body).toEqual([]);

    const described = await stack.client.workflow.getHandle(`hold-${holdId}`).describe();
    expect(described.typedSearchAttributes.get(CustomerIdKey)).toBe(customer);
  });

  test('a bad customer_id is a 422 on customer_id, wherever it is sent; nothing changes', async () => {
    const productId = await createProduct(stack, 5);
    const held = await hold(productId, 1, 'cus_bad_input');
    const before = await rowCounts();
    const notString = mustBe('customer id', 'a string');
    const cases: [unknown, string][] = [
      [42, notString],
      [['a'], notString],
      [{ id: 'a' }, notString],
      ['x'.repeat(256), atMost('customer id', '255 characters')],
    ];
    for (const [value, message] of cases) {
      for (const res of [
        await stack.http.post('/api/holds', { product_id: productId, quantity: 1, customer_id: value }),
        await stack.http.post('/api/orders', { hold_id: held.body.data.hold_id, customer_id: value }),
        await stack.http.post(`/api/holds/${held.body.data.hold_id}/release`, { customer_id: value }),
      ]) {
        expect422(res, { customer_id: [message] });
      }
    }
    const filter = await stack.http.get('/api/holds?customer_id=a&customer_id=b');
    expect(filter.status).toBe(422);
    expect(filter.body.errors.customer_id).toEqual([notString]);
    expect(await rowCounts()).toEqual(before);
    expect(await availableStock(stack.db, productId)).toBe(4);
    // 255 characters are fine.
    expect((await hold(productId, 1, 'y'.repeat(255))).status).toBe(201);
  });

  test("another customer's release or order is a 403 and changes nothing; the hold's own customer may", async () => {
    const productId = await createProduct(stack, 5);
    const held = await hold(productId, 2, 'cus_owner');
    const holdId = held.body.data.hold_id;
    const before = await rowCounts();
    for (const res of [
      await stack.http.post(`/api/holds/${holdId}/release`, { customer_id: 'cus_other' }),
      await stack.http.post('/api/orders', { hold_id: holdId, customer_id: 'cus_other' }),
      await stack.http.post('/api/orders', { hold_id: holdId, customer_id: 'CUS_OWNER' }),
      await stack.http.post(`/api/holds/${holdId}/extend`, { seconds: 5, customer_id: 'cus_other' }),
    ]) {
      expect({ status: res.status, message: res.body.message, code: res.body.code }).toEqual({
        status: 403,
        message: 'Hold belongs to another customer',
        code: 'forbidden',
      });
    }
    expect(await rowCounts()).toEqual(before);
    expect((await stack.http.get(`/api/holds/${holdId}`)).body).toMatchObject({ released_at: null, used_at: null });
    expect(await availableStock(stack.db, productId)).toBe(3);
    const released = await stack.http.post(`/api/holds/${holdId}/release`, { customer_id: 'cus_owner' });
    expect(released.status).toBe(200);
    // A hold made without a customer, and a request naming none, are not refused.
    const anonymous = await hold(productId, 1);
    expect(
      (await stack.http.post('/api/orders', { hold_id: anonymous.body.data.hold_id, customer_id: 'x' })).status,
    ).toBe(201);
    const owned = await hold(productId, 1, 'cus_owner');
    expect((await stack.http.post('/api/orders', { hold_id: owned.body.data.hold_id })).status).toBe(201);
  });

  test('MAX_QUANTITY_PER_HOLD: a larger quantity is the contract 422; nothing is reserved', async () => {
    const productId = await createProduct(stack, 50);
    expect422(await hold(productId, 11, 'cus_big'), { quantity: [atMost('quantity', 10)] });
    expect(await availableStock(stack.db, productId)).toBe(50);
    expect((await hold(productId, 10)).status).toBe(201);
  });
});

describe('max_per_customer', () => {
  test('the admin API sets and lifts it; bad values are 422s that change nothing', async () => {
    const productId = await limitedProduct(10, null);
    // A JSON body: the client sends objects as JSON (with its Content-Type).
    const patch = (body: unknown, headers: Record<string, string> = admin, id: number = productId) =>
      stack.http.call('PATCH', `/api/admin/products/${id}`, body, headers);
    const set = await patch({ max_per_customer: 3 });
    expect(set.status).toBe(200);
    expect(set.body.data).toMatchObject({ id: productId, max_per_customer: 3, available_stock: 10 });
    for (const [body, message] of [
      [{}, mustBe('max per customer', 'present')],
      [{ max_per_customer: 0 }, atLeast1('max per customer')],
      [{ max_per_customer: 'x' }, integer('max per customer')],
      [{ max_per_customer: 1.5 }, integer('max per customer')],
    ] as const) {
      expect422(await patch(body), { max_per_customer: [message] });
    }
    expect((await patch({ max_per_customer: 1 }, {})).status).toBe(401);
    expect((await patch({ max_per_customer: 1 }, admin, 999999999)).status).toBe(404);
    const [row] = await stack.db.query<{ m: number | null }>(
      'SELECT max_per_customer AS m FROM products WHERE id = ?',
      {
        replacements: [productId],
        type: QueryTypes.SELECT,
      },
    );
    expect(row.m).toBe(3);
    expect((await patch({ max_per_customer: null })).body.data.max_per_customer).toBeNull();
    const bad = await stack.http.post(
      '/api/admin/products',
      { name: 'x', total_stock: 1, price: 1, max_per_customer: 0 },
      admin,
    );
    expect(bad.status).toBe(422);
  });

  test('counts unreleased holds and orders not cancelled: a release or a failed payment frees the units', async () => {
    const productId = await limitedProduct(20, 3);
    const a = await hold(productId, 2, 'cus_count');
    expect(a.status).toBe(201);
    expectLimit(await hold(productId, 2, 'cus_count'), 3);
    const b = await hold(productId, 1, 'cus_count');
    expect(b.status).toBe(201);
    const order = await stack.http.post('/api/orders', { hold_id: b.body.data.hold_id });
    expect(order.status).toBe(201);
    expectLimit(await hold(productId, 1, 'cus_count'), 3);
    // Another customer and a request without a customer are not bound by this one's units.
    expect((await hold(productId, 3, 'cus_someone_else')).status).toBe(201);
    expect((await hold(productId, 5)).status).toBe(201);

    expect((await stack.http.post(`/api/holds/${a.body.data.hold_id}/release`, {})).status).toBe(200);
    expect((await hold(productId, 2, 'cus_count')).status).toBe(201);
    expectLimit(await hold(productId, 1, 'cus_count'), 3);
    const failed = await payWebhook(stack, order.body.data.id, 'failed', `evt-limit-${order.body.data.id}`);
    expect(failed.body.data.status).toBe('cancelled');
    expect((await hold(productId, 1, 'cus_count')).status).toBe(201);
    expect(await unitsOf(productId, 'cus_count')).toBe(3);
    await expectConserved(stack.db, productId, 20);
  });

  test.each([
    ['on the product row', 1],
    ['on a sharded product', 4],
  ])('50 parallel requests of one customer never exceed the limit (%s)', async (_, shards) => {
    const productId = await limitedProduct(100, 5, shards);
    const customer = `cus_rush_${shards}`;
    const replies = await Promise.all(Array.from({ length: 50 }, () => hold(productId, 1, customer)));
    const held = replies.filter((r) => r.status === 201);
    expect(held).toHaveLength(5);
    for (const r of replies.filter((x) => x.status !== 201)) expectLimit(r, 5);
    expect(await unitsOf(productId, customer)).toBe(5);
    expect(await availableStock(stack.db, productId)).toBe(95);
    await expectConserved(stack.db, productId, 100);
  });

  test('mixed customers in parallel: each gets exactly its limit while stock lasts, then stock decides', async () => {
    // 10 customers × 6 requests of 1 unit, limit 3: plenty of stock, so every customer gets exactly 3.
    const roomy = await limitedProduct(100, 3);
    const customers = Array.from({ length: 10 }, (_, i) => `cus_mixed_${i}`);
    const calls = customers.flatMap((c) => Array.from({ length: 6 }, () => c));
    const replies = await Promise.all(calls.map((c) => hold(roomy, 1, c)));
    for (const c of customers) expect(await unitsOf(roomy, c)).toBe(3);
    expect(replies.filter((r) => r.status === 201)).toHaveLength(30);
    await expectConserved(stack.db, roomy, 100);

    // The same 50 requests, limit 3, but only 20 units: nobody passes 3 and nothing is oversold. A buyer the gate
    // refused while others were reserving the last units may lose to a reservation that then fails (its customer past
    // the limit): such a unit is for sale again at once, and the buyers after the burst take every one.
    const scarce = await limitedProduct(20, 3);
    const more = await Promise.all(calls.slice(0, 50).map((c) => hold(scarce, 1, c)));
    for (const r of more.filter((x) => x.status !== 201)) {
      expect(r.status).toBe(400);
      expect(['customer_limit', 'insufficient_stock']).toContain(r.body.code);
    }
    for (const c of customers) expect(await unitsOf(scarce, c)).toBeLessThanOrEqual(3);
    const sold = more.filter((r) => r.status === 201).length;
    expect(sold).toBeGreaterThan(0);
    expect(await availableStock(stack.db, scarce)).toBe(20 - sold);
    const late: number[] = [];
    for (let i = 0; i <= 20 - sold; i++) late.push((await hold(scarce, 1, `cus_late_${i}`)).status);
    expect(late).toEqual([...Array<number>(20 - sold).fill(201), 400]);
    expect(await availableStock(stack.db, scarce)).toBe(0);
    await expectConserved(stack.db, scarce, 20);
  });
});
