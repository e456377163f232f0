import { randomUUID } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import { availableStock, createProduct, expectConserved } from '../../harness/fixtures';
import { startStack, type Stack } from '../../harness/stack';

// Long enough that nothing expires or times out while a file of checks runs.
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ HOLD_TTL_SECONDS: '60', PAYMENT_TIMEOUT_SECONDS: '60' });
});
afterAll(async () => stack.close());

const INT_MAX = 2147483647;
const UNKNOWN_ID = INT_MAX; // a valid integer that names no row

async function count(sql: string, ...replacements: unknown[]): Promise<number> {
  const [row] = await stack.db.query<{ n: number }>(sql, { replacements, type: QueryTypes.SELECT });
  return Number(row.n);
}

type Errors = Record<string, string[]>;

/** Laravel's summary: the first message, then "(and N more error|errors)". */
function laravelMessage(errors: Errors): string {
  const all = Object.values(errors).flat();
  const more = all.length - 1;
  return more === 0 ? all[0] : `${all[0]} (and ${more} more ${more === 1 ? 'error' : 'errors'})`;
}

/** The 422's code: an idempotency refusal has its own, every field error is `validation_failed`. */
const codeOf = (errors: Errors) =>
  Object.values(errors).flat()[0]?.startsWith('Idempotency-Key reused') ? 'idempotency_conflict' : 'validation_failed';

function expect422(res: { status: number; body: any; headers: Headers }, errors: Errors) {
  expect({ status: res.status, body: res.body }).toEqual({
    status: 422,
    body: { message: laravelMessage(errors), code: codeOf(errors), errors },
  });
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
}

const required = (f: string) => `The ${f} field is required.`;
const integer = (f: string) => `The ${f} field must be an integer.`;
const atLeast1 = (f: string) => `The ${f} field must be at least 1.`;
const invalid = (f: string) => `The selected ${f} is invalid.`;

/** Values the contract says are not integers, and what Laravel answers for each. */
const notIntegers: [string, unknown][] = [
  ['5.5', 5.5],
  ['"5.5"', '5.5'],
  ['"abc"', 'abc'],
  ['"1abc"', '1abc'],
  ['"1e1"', '1e1'],
  ['true', true],
  ['false', false],
  ['2^31', INT_MAX + 1],
  ['"2^31"', String(INT_MAX + 1)],
  ['1e20', 1e20],
  ['an array', [1]],
  ['an empty array', []],
  ['an object', { value: 1 }],
];
const missing: [string, unknown][] = [
  ['absent', undefined],
  ['null', null],
  ['""', ''],
  ['"   "', '   '],
];

describe('POST /api/holds', () => {
  let productId: number;
  const state = async () => ({
    available: await availableStock(stack.db, productId),
    holds: await count('SELECT COUNT(*) AS n FROM holds WHERE product_id = ?', productId),
  });
  let before: { available: number; holds: number };

  beforeAll(async () => {
    productId = await createProduct(stack, 50);
  });
  beforeEach(async () => {
    before = await state();
  });
  /** Every refusal in this block leaves the stock and the holds as they were. */
  const unchanged = async () => expect(await state()).toEqual(before);

  test('an empty body: both fields required, "(and 1 more error)"', async () => {
    const res = await stack.http.post('/api/holds', {});
    expect422(res, { product_id: [required('product id')], quantity: [required('quantity')] });
    expect(res.body.message).toBe('The product id field is required. (and 1 more error)');
    await unchanged();
  });

  test.each(missing)('product_id %s is required', async (_, value) => {
    const res = await stack.http.post('/api/holds', { product_id: value, quantity: 1 });
    expect422(res, { product_id: [required('product id')] });
    await unchanged();
  });

  test.each(missing)('quantity %s is required', async (_, value) => {
    const res = await stack.http.post('/api/holds', { product_id: productId, quantity: value });
    expect422(res, { quantity: [required('quantity')] });
    await unchanged();
  });

  test.each(notIntegers)('quantity %s must be an integer', async (_, value) => {
    const res = await stack.http.post('/api/holds', { product_id: productId, quantity: value });
    expect422(res, { quantity: [integer('quantity')] });
    await unchanged();
  });

  test.each(notIntegers)('product_id %s must be an integer', async (_, value) => {
    const res = await stack.http.post('/api/holds', { product_id: value, quantity: 1 });
    expect422(res, { product_id: [integer('product id')] });
    await unchanged();
  });

  test.each([
    ['0', 0],
    ['-1', -1],
    ['"0"', '0'],
    ['-2^31', -INT_MAX - 1],
  ])('quantity %s must be at least 1', async (_, value) => {
    const res = await stack.http.post('/api/holds', { product_id: productId, quantity: value });
    expect422(res, { quantity: [atLeast1('quantity')] });
    await unchanged();
  });

  test('product_id 0 must be at least 1', async () => {
    const res = await stack.http.post('/api/holds', { product_id: 0, quantity: 1 });
    expect422(res, { product_id: [atLeast1('product id')] });
    await unchanged();
  });

  test('an unknown product is a 422 on product_id, as an integer or as a numeric string', async () => {
    for (const value of [UNKNOWN_ID, String(UNKNOWN_ID)]) {
      const res = await stack.http.post('/api/holds', { product_id: value, quantity: 1 });
      expect422(res, { product_id: [invalid('product id')] });
    }
    await unchanged();
  });

  test('two bad fields: product_id first, "(and 1 more error)"', async () => {
    const res = await stack.http.post('/api/holds', { product_id: UNKNOWN_ID, quantity: 'many' });
    expect422(res, { product_id: [invalid('product id')], quantity: [integer('quantity')] });
    expect(res.body.message).toBe('The selected product id is invalid. (and 1 more error)');
    await unchanged();
  });

  test.each([
    ['null', 'null'],
    ['an array', '[{"product_id":1,"quantity":1}]'],
    ['a string', '"product_id"'],
    ['a number', '42'],
  ])('a JSON body that is %s is not an object: both fields required', async (_, raw) => {
    const res = await stack.http.post('/api/holds', raw);
    expect422(res, { product_id: [required('product id')], quantity: [required('quantity')] });
    await unchanged();
  });

  test('numeric strings are accepted ("5"), extra fields ignored', async () => {
    const res = await stack.http.post('/api/holds', {
      product_id: String(productId),
      quantity: '5',
      price: 0,
      available_stock: 1000,
      released_at: '2020-01-01T00:00:00.000Z',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'success', data: { hold_id: expect.any(Number) } });
    const hold = await stack.http.get(`/api/holds/${res.body.data.hold_id}`);
    expect(hold.body).toMatchObject({ product_id: productId, quantity: 5, released_at: null, used_at: null });
    expect(await state()).toEqual({ available: before.available - 5, holds: before.holds + 1 });
    await expectConserved(stack.db, productId, 50);
    // Nothing of this test stays running.
    expect((await stack.http.post(`/api/holds/${res.body.data.hold_id}/release`)).status).toBe(200);
    expect(await availableStock(stack.db, productId)).toBe(before.available);
  });
});

describe('POST /api/orders', () => {
  let productId: number;
  let holdId: number;
  const state = async () => ({
    orders: await count('SELECT COUNT(*) AS n FROM orders WHERE hold_id = ?', holdId),
    used: await count('SELECT COUNT(*) AS n FROM holds WHERE id = ? AND used_at IS NOT NULL', holdId),
    available: await availableStock(stack.db, productId),
  });
  let before: Awaited<ReturnType<typeof state>>;

  beforeAll(async () => {
    productId = await createProduct(stack, 10);
    const res = await stack.http.post('/api/holds', { product_id: productId, quantity: 2 });
    expect(res.status).toBe(201);
    holdId = res.body.data.hold_id;
  });
  afterAll(async () => {
    await stack.http.post(`/api/holds/${holdId}/release`);
  });
  beforeEach(async () => {
    before = await state();
  });
  const unchanged = async () => expect(await state()).toEqual(before);

  test.each(missing)('hold_id %s is required', async (_, value) => {
    const res = await stack.http.post('/api/orders', { hold_id: value });
    expect422(res, { hold_id: [required('hold id')] });
    await unchanged();
  });

  test.each(notIntegers)('hold_id %s must be an integer', async (_, value) => {
    const res = await stack.http.post('/api/orders', { hold_id: value });
    expect422(res, { hold_id: [integer('hold id')] });
    await unchanged();
  });

  test.each([
    ['0', 0],
    ['-1', -1],
  ])('hold_id %s must be at least 1', async (_, value) => {
    const res = await stack.http.post('/api/orders', { hold_id: value });
    expect422(res, { hold_id: [atLeast1('hold id')] });
    await unchanged();
  });

  test('an unknown hold is a 422 on hold_id', async () => {
    for (const value of [UNKNOWN_ID, String(UNKNOWN_ID)]) {
      const res = await stack.http.post('/api/orders', { hold_id: value });
      expect422(res, { hold_id: [invalid('hold id')] });
    }
    await unchanged();
  });
});

describe('POST /api/payments/webhook', () => {
  let productId: number;
  let orderId: number;
  const state = async () => ({
    status: (
      await stack.db.query<{ status: string }>('SELECT status FROM orders WHERE id = ?', {
        replacements: [orderId],
        type: QueryTypes.SELECT,
      })
    )[0].status,
    events: await count('SELECT COUNT(*) AS n FROM payment_events WHERE order_id = ?', orderId),
    available: await availableStock(stack.db, productId),
  });
  let before: Awaited<ReturnType<typeof state>>;
  const body = (over: Record<string, unknown>) => ({
    event_id: `evt-${randomUUID()}`,
    order_id: orderId,
    status: 'failed',
    ...over,
  });

  beforeAll(async () => {
    productId = await createProduct(stack, 10);
    const hold = await stack.http.post('/api/holds', { product_id: productId, quantity: 3 });
    expect(hold.status).toBe(201);
    const order = await stack.http.post('/api/orders', { hold_id: hold.body.data.hold_id });
    expect(order.status).toBe(201);
    orderId = order.body.data.id;
  });
  beforeEach(async () => {
    before = await state();
  });
  const unchanged = async () => {
    expect(await state()).toEqual(before);
    expect(before).toMatchObject({ status: 'pending', events: 0, available: 7 });
  };

  test('an empty body: three fields required, "(and 2 more errors)"', async () => {
    const res = await stack.http.post('/api/payments/webhook', {});
    expect422(res, {
      event_id: [required('event id')],
      order_id: [required('order id')],
      status: [required('status')],
    });
    expect(res.body.message).toBe('The event id field is required. (and 2 more errors)');
    await unchanged();
  });

  test.each(missing)('event_id %s is required', async (_, value) => {
    const res = await stack.http.post('/api/payments/webhook', body({ event_id: value }));
    expect422(res, { event_id: [required('event id')] });
    await unchanged();
  });

  test.each([
    ['a number', 123],
    ['true', true],
    ['an array', ['evt']],
    ['an object', { id: 'evt' }],
  ])('event_id %s must be a string', async (_, value) => {
    const res = await stack.http.post('/api/payments/webhook', body({ event_id: value }));
    expect422(res, { event_id: ['The event id field must be a string.'] });
    await unchanged();
  });

  test('event_id longer than 255 characters', async () => {
    const res = await stack.http.post('/api/payments/webhook', body({ event_id: 'e'.repeat(256) }));
    expect422(res, { event_id: ['The event id field must not be greater than 255 characters.'] });
    await unchanged();
  });

  test.each([
    ['"PAID"', 'PAID'],
    ['"completed"', 'completed'],
    ['"refunded"', 'refunded'],
    ['1', 1],
    ['true', true],
    ['["paid"]', ['paid']],
  ])('status %s: "The selected status is invalid."', async (_, value) => {
    const res = await stack.http.post('/api/payments/webhook', body({ status: value }));
    expect422(res, { status: [invalid('status')] });
    await unchanged();
  });

  test.each(missing)('status %s is required', async (_, value) => {
    const res = await stack.http.post('/api/payments/webhook', body({ status: value }));
    expect422(res, { status: [required('status')] });
    await unchanged();
  });

  test.each(notIntegers)('order_id %s must be an integer', async (_, value) => {
    const res = await stack.http.post('/api/payments/webhook', body({ order_id: value }));
    expect422(res, { order_id: [integer('order id')] });
    await unchanged();
  });

  test('an unknown order is a 422 on order_id', async () => {
    for (const value of [UNKNOWN_ID, String(UNKNOWN_ID)]) {
      const res = await stack.http.post('/api/payments/webhook', body({ order_id: value }));
      expect422(res, { order_id: [invalid('order id')] });
    }
    await unchanged();
  });

  test('every field wrong: in contract order, "(and 2 more errors)"', async () => {
    const res = await stack.http.post('/api/payments/webhook', { status: 'ok', order_id: 'x', event_id: 5 });
    expect422(res, {
      event_id: ['The event id field must be a string.'],
      order_id: [integer('order id')],
      status: [invalid('status')],
    });
    await unchanged();
  });

  // Last in this block: it settles the order (and ends its workflow).
  test('a numeric-string order_id is accepted, extra fields ignored', async () => {
    const res = await stack.http.post(
      '/api/payments/webhook',
      body({ order_id: String(orderId), status: 'paid', amount: -1, order_status: 'cancelled' }),
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'success',
      message: 'Payment processed',
      data: { order_id: orderId, status: 'completed' },
    });
    expect(await state()).toEqual({ status: 'completed', events: 1, available: 7 });
    await expectConserved(stack.db, productId, 10);
  });
});
