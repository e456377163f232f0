import { randomUUID } from 'node:crypto';
import type { ErrorCode } from '../../src/api/error-codes';
import { QueryTypes } from 'sequelize';
import { availableStock, createProduct, expectConserved } from '../../harness/fixtures';
import { ADMIN_TOKEN, startStack, type Stack } from '../../harness/stack';

let stack: Stack;
/** The same service with no ADMIN_TOKEN configured. */
let disabled: Stack;
beforeAll(async () => {
  // Started first: src/db/models.ts binds its model classes to the last API started in a process, so the
  // stack whose database the assertions need must be the last one up (see the report on models.ts).
  disabled = await startStack({ ADMIN_TOKEN: '' }, { worker: false });
  stack = await startStack({ HOLD_TTL_SECONDS: '60' });
});
afterAll(async () => {
  await stack.close();
  await disabled.close();
});

const auth = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const STOCK_MAX = 1_000_000_000;

async function productRow(id: number) {
  const [row] = await stack.db.query<{ total_stock: number; available_stock: number; price: string; name: string }>(
    'SELECT name, total_stock, available_stock, price FROM products WHERE id = ?',
    { replacements: [id], type: QueryTypes.SELECT },
  );
  return row ? { ...row, total_stock: Number(row.total_stock), available_stock: Number(row.available_stock) } : null;
}

async function productsNamed(name: string): Promise<number> {
  const [row] = await stack.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM products WHERE name = ?', {
    replacements: [name],
    type: QueryTypes.SELECT,
  });
  return Number(row.n);
}

/** The code each admin refusal is raised with (src/api/errors.ts, src/api/routes/admin.ts). */
const CODES: Record<string, ErrorCode> = {
  'Admin API disabled': 'forbidden',
  Unauthorized: 'unauthorized',
  'Malformed JSON body': 'malformed_json',
  'Product not found': 'not_found',
  'Order not found': 'not_found',
  'Order has no refund due': 'validation_failed',
};

function expectError(res: { status: number; body: any }, status: number, message: string) {
  expect({ status: res.status, body: res.body }).toEqual({
    status,
    body: { status: 'error', message, code: CODES[message], timestamp: expect.stringMatching(ISO) },
  });
}

describe('admin API disabled (no ADMIN_TOKEN)', () => {
  test('403 "Admin API disabled" on both endpoints, with or without a bearer; nothing changes', async () => {
    const name = `disabled-${randomUUID()}`;
    const productId = await createProduct(stack, 5);
    for (const headers of [{}, auth, { Authorization: 'Bearer ' }]) {
      expectError(
        await disabled.http.post('/api/admin/products', { name, total_stock: 5, price: 1 }, headers),
        403,
        'Admin API disabled',
      );
      expectError(
        await disabled.http.post(`/api/admin/products/${productId}/restock`, { quantity: 5 }, headers),
        403,
        'Admin API disabled',
      );
    }
    expect(await productsNamed(name)).toBe(0);
    expect(await productRow(productId)).toMatchObject({ total_stock: 5, available_stock: 5 });
  });
});

describe('authorization', () => {
  test.each([
    ['no Authorization header', {}],
    ['a wrong token', { Authorization: 'Bearer not-the-token' }],
    ['a token with a suffix', { Authorization: `Bearer ${ADMIN_TOKEN}x` }],
    ['a prefix of the token', { Authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}` }],
    ['another case', { Authorization: `Bearer ${ADMIN_TOKEN.toUpperCase()}` }],
    ['Bearer without a token', { Authorization: 'Bearer' }],
    ['the bare token', { Authorization: ADMIN_TOKEN }],
    ['Basic', { Authorization: `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}` }],
    ['the token in another header', { 'X-Admin-Token': ADMIN_TOKEN }],
  ])('401 "Unauthorized" with %s, before any validation; nothing changes', async (_, headers) => {
    const name = `unauthorized-${randomUUID()}`;
    const productId = await createProduct(stack, 5);
    expectError(
      await stack.http.post('/api/admin/products', { name, total_stock: 5, price: 1 }, headers),
      401,
      'Unauthorized',
    );
    expectError(await stack.http.post('/api/admin/products', {}, headers), 401, 'Unauthorized');
    expectError(await stack.http.post('/api/admin/products', '{bad json', headers), 401, 'Unauthorized');
    expectError(
      await stack.http.post(`/api/admin/products/${productId}/restock`, { quantity: 5 }, headers),
      401,
      'Unauthorized',
    );
    expectError(await stack.http.post('/api/admin/products/999999999/restock', {}, headers), 401, 'Unauthorized');
    expect(await productsNamed(name)).toBe(0);
    expect(await productRow(productId)).toMatchObject({ total_stock: 5, available_stock: 5 });
  });

  test('the scheme is case-insensitive', async () => {
    const res = await stack.http.post(
      '/api/admin/products',
      { name: 'lower-case bearer', total_stock: 1, price: 1 },
      { Authorization: `bearer ${ADMIN_TOKEN}` },
    );
    expect(res.status).toBe(201);
  });
});

describe('POST /api/admin/products', () => {
  const create = (body: unknown) => stack.http.post('/api/admin/products', body, auth);

  test('201 with the product; available_stock defaults to total_stock', async () => {
    const name = `Created ${randomUUID()}`;
    const res = await create({ name, total_stock: 25, price: 99.99 });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      status: 'success',
      timestamp: expect.stringMatching(ISO),
      data: {
        id: expect.any(Number),
        name,
        total_stock: 25,
        available_stock: 25,
        price: 99.99,
        max_per_customer: null,
        created_at: expect.stringMatching(ISO),
        updated_at: expect.stringMatching(ISO),
      },
    });
    expect(await productRow(res.body.data.id)).toEqual({ name, total_stock: 25, available_stock: 25, price: '99.99' });
    const read = await stack.http.get(`/api/products/${res.body.data.id}`);
    // The admin answer adds the purchase limit to the product everyone sees.
    expect({ ...read.body, max_per_customer: null }).toEqual(res.body.data);
  });

  test('an explicit available_stock, numeric strings, a trimmed name, extra fields ignored', async () => {
    const name = `Strings ${randomUUID()}`;
    const res = await create({
      name: `  ${name}  `,
      total_stock: '10',
      available_stock: '4',
      price: '12.50',
      id: 1,
      created_at: '2000-01-01',
    });
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({ name, total_stock: 10, available_stock: 4, price: 12.5 });
    expect(res.body.data.id).not.toBe(1);
    expect(await productRow(res.body.data.id)).toEqual({ name, total_stock: 10, available_stock: 4, price: '12.50' });
  });

  test('zero stock and a free product are allowed; available_stock null means the default', async () => {
    const res = await create({ name: `Zero ${randomUUID()}`, total_stock: 0, price: 0 });
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({ total_stock: 0, available_stock: 0, price: 0 });
    const withNull = await create({ name: `Null ${randomUUID()}`, total_stock: 3, price: 1, available_stock: null });
    expect(withNull.status).toBe(201);
    expect(withNull.body.data.available_stock).toBe(3);
  });

  const valid = { total_stock: 10, price: 5 };
  test.each<[string, Record<string, unknown>, Record<string, string[]>]>([
    ['name missing', { ...valid }, { name: ['The name field is required.'] }],
    ['name null', { ...valid, name: null }, { name: ['The name field is required.'] }],
    ['name blank', { ...valid, name: '   ' }, { name: ['The name field is required.'] }],
    ['name a number', { ...valid, name: 42 }, { name: ['The name field must be a string.'] }],
    ['name an array', { ...valid, name: ['a'] }, { name: ['The name field must be a string.'] }],
    [
      'name over 255 characters',
      { ...valid, name: 'n'.repeat(256) },
      { name: ['The name field must not be greater than 255 characters.'] },
    ],
    ['total_stock missing', { name: 'x', price: 5 }, { total_stock: ['The total stock field is required.'] }],
    [
      'total_stock "abc"',
      { name: 'x', price: 5, total_stock: 'abc' },
      { total_stock: ['The total stock field must be an integer.'] },
    ],
    [
      'total_stock 1.5',
      { name: 'x', price: 5, total_stock: 1.5 },
      { total_stock: ['The total stock field must be an integer.'] },
    ],
    [
      'total_stock true',
      { name: 'x', price: 5, total_stock: true },
      { total_stock: ['The total stock field must be an integer.'] },
    ],
    [
      'total_stock 2^31',
      { name: 'x', price: 5, total_stock: 2147483648 },
      { total_stock: ['The total stock field must be an integer.'] },
    ],
    [
      'total_stock -1',
      { name: 'x', price: 5, total_stock: -1 },
      { total_stock: ['The total stock field must be at least 0.'] },
    ],
    [
      'total_stock above the maximum',
      { name: 'x', price: 5, total_stock: STOCK_MAX + 1 },
      { total_stock: [`The total stock field must not be greater than ${STOCK_MAX}.`] },
    ],
    ['price missing', { name: 'x', total_stock: 1 }, { price: ['The price field is required.'] }],
    ['price "abc"', { name: 'x', total_stock: 1, price: 'abc' }, { price: ['The price field must be a number.'] }],
    ['price true', { name: 'x', total_stock: 1, price: true }, { price: ['The price field must be a number.'] }],
    ['price -0.01', { name: 'x', total_stock: 1, price: -0.01 }, { price: ['The price field must be at least 0.'] }],
    [
      'price with 3 decimals',
      { name: 'x', total_stock: 1, price: 10.123 },
      { price: ['The price field must have 0-2 decimal places.'] },
    ],
    [
      'price too large',
      { name: 'x', total_stock: 1, price: 100_000_000 },
      { price: ['The price field must not be greater than 99999999.99.'] },
    ],
    [
      'available_stock "x"',
      { name: 'x', ...valid, available_stock: 'x' },
      { available_stock: ['The available stock field must be an integer.'] },
    ],
    [
      'available_stock -1',
      { name: 'x', ...valid, available_stock: -1 },
      { available_stock: ['The available stock field must be at least 0.'] },
    ],
    [
      'available_stock above total_stock',
      { name: 'x', ...valid, available_stock: 11 },
      { available_stock: ['The available stock field must be less than or equal to 10.'] },
    ],
    [
      'everything missing',
      {},
      {
        name: ['The name field is required.'],
        total_stock: ['The total stock field is required.'],
        price: ['The price field is required.'],
      },
    ],
  ])('422 when %s; nothing is created', async (_, given, errors) => {
    // A name of its own, so "nothing created" can be checked while other tests create products.
    const name = `invalid-${randomUUID()}`;
    const body = given.name === 'x' ? { ...given, name } : given;
    const res = await create(body);
    const all = Object.values(errors).flat();
    const more = all.length - 1;
    expect({ status: res.status, body: res.body }).toEqual({
      status: 422,
      body: {
        message: more ? `${all[0]} (and ${more} more ${more === 1 ? 'error' : 'errors'})` : all[0],
        code: 'validation_failed',
        errors,
      },
    });
    expect(await productsNamed(name)).toBe(0);
  });

  test('malformed JSON with a valid token → 400', async () => {
    expectError(await create('{"name":'), 400, 'Malformed JSON body');
  });
});

describe('POST /api/admin/products/{id}/restock', () => {
  const restock = (id: number | string, body: unknown) =>
    stack.http.post(`/api/admin/products/${id}/restock`, body, auth);

  test('adds to total_stock and available_stock, answers 200 with the product', async () => {
    const productId = await createProduct(stack, 10);
    const res = await restock(productId, { quantity: 5 });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'success',
      timestamp: expect.stringMatching(ISO),
      data: {
        id: productId,
        name: 'Test product',
        total_stock: 15,
        available_stock: 15,
        price: 10.5,
        max_per_customer: null,
        created_at: expect.stringMatching(ISO),
        updated_at: expect.stringMatching(ISO),
      },
    });
    expect(await productRow(productId)).toMatchObject({ total_stock: 15, available_stock: 15 });
    const again = await restock(productId, { quantity: '2' });
    expect(again.body.data).toMatchObject({ total_stock: 17, available_stock: 17 });
  });

  test('GET /api/products/{id} shows the new stock at once (the cache is invalidated after commit)', async () => {
    const productId = await createProduct(stack, 10);
    // Cached before the restock...
    expect((await stack.http.get(`/api/products/${productId}`)).body.available_stock).toBe(10);
    expect((await stack.http.get(`/api/products/${productId}`)).body.available_stock).toBe(10);
    expect((await restock(productId, { quantity: 7 })).status).toBe(200);
    // ...and fresh right after it.
    const read = await stack.http.get(`/api/products/${productId}`);
    expect(read.body).toMatchObject({ total_stock: 17, available_stock: 17 });
  });

  test('restocking while units are held keeps the books balanced', async () => {
    const productId = await createProduct(stack, 10);
    const hold = await stack.http.post('/api/holds', { product_id: productId, quantity: 4 });
    expect(hold.status).toBe(201);
    const res = await restock(productId, { quantity: 5 });
    expect(res.body.data).toMatchObject({ total_stock: 15, available_stock: 11 });
    expect((await stack.http.get(`/api/products/${productId}`)).body.available_stock).toBe(11);
    await expectConserved(stack.db, productId, 15);
    expect((await stack.http.post(`/api/holds/${hold.body.data.hold_id}/release`)).status).toBe(200);
    expect(await availableStock(stack.db, productId)).toBe(15);
    await expectConserved(stack.db, productId, 15);
  });

  test.each(['2147483647', '01', '1abc', 'abc', '0', '-1', '99999999999999999999'])(
    'an unknown or non-canonical id %j → 404 "Product not found"',
    async (id) => {
      expectError(await restock(id, { quantity: 1 }), 404, 'Product not found');
    },
  );

  test.each<[string, unknown, string]>([
    ['missing', {}, 'The quantity field is required.'],
    ['null', { quantity: null }, 'The quantity field is required.'],
    ['0', { quantity: 0 }, 'The quantity field must be at least 1.'],
    ['-3', { quantity: -3 }, 'The quantity field must be at least 1.'],
    ['"abc"', { quantity: 'abc' }, 'The quantity field must be an integer.'],
    ['2.5', { quantity: 2.5 }, 'The quantity field must be an integer.'],
    ['true', { quantity: true }, 'The quantity field must be an integer.'],
    ['2^31', { quantity: 2147483648 }, 'The quantity field must be an integer.'],
    ['above the maximum', { quantity: STOCK_MAX + 1 }, `The quantity field must not be greater than ${STOCK_MAX}.`],
  ])('quantity %s → 422; stock unchanged', async (_, body, message) => {
    const productId = await createProduct(stack, 10);
    const res = await restock(productId, body);
    expect({ status: res.status, body: res.body }).toEqual({
      status: 422,
      body: { message, code: 'validation_failed', errors: { quantity: [message] } },
    });
    expect(await productRow(productId)).toMatchObject({ total_stock: 10, available_stock: 10 });
  });

  test('a restock that would take the stock past the maximum is a 422, never a 500', async () => {
    const productId = await createProduct(stack, STOCK_MAX - 10);
    const res = await restock(productId, { quantity: 11 });
    const message = 'The quantity field must not be greater than 10.';
    expect({ status: res.status, body: res.body }).toEqual({
      status: 422,
      body: { message, code: 'validation_failed', errors: { quantity: [message] } },
    });
    expect(await productRow(productId)).toMatchObject({ total_stock: STOCK_MAX - 10, available_stock: STOCK_MAX - 10 });
    expect((await restock(productId, { quantity: 10 })).body.data).toMatchObject({
      total_stock: STOCK_MAX,
      available_stock: STOCK_MAX,
    });
  });
});
