import { randomUUID } from 'node:crypto';
import { availableStock, createProduct, expectConserved } from '../../harness/fixtures';
import { auth, expectError, productReads, STOCK_MAX } from './support/admin';
import { expect422, ISO, type Errors } from './support/answers';
import { holdOf, useStack } from './support/stack';
import { atLeast, atLeast1, atMost, integer, mustBe, required } from './support/validation';

/** The admin API's product operations: creating a product and restocking one, and every refusal of each. */
const stack = useStack({ HOLD_TTL_SECONDS: '60' });
const { productRow, productsNamed } = productReads(() => stack.db);

/** The admin API's answer with a product: its fields as given, the purchase limit unset, the times ISO. */
const productAnswer = (product: Record<string, unknown>) => ({
  status: 'success',
  timestamp: expect.stringMatching(ISO),
  data: {
    ...product,
    max_per_customer: null,
    created_at: expect.stringMatching(ISO),
    updated_at: expect.stringMatching(ISO),
  },
});

describe('POST /api/admin/products', () => {
  const create = (body: unknown) => stack.http.post('/api/admin/products', body, auth);

  test('201 with the product; available_stock defaults to total_stock', async () => {
    const name = `Created ${randomUUID()}`;
    const res = await create({ name, total_stock: 25, price: 99.99 });
    expect(res.status).toBe(201);
    expect(res.body).toEqual(
      productAnswer({ id: expect.any(Number), name, total_stock: 25, available_stock: 25, price: 99.99 }),
    );
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

  /** A valid body but for `field` set to `value` (`name: 'x'` stands for a name of the test's own), and its error. */
  const only = (field: string, value: unknown, message: string): [Record<string, unknown>, Errors] => [
    { name: 'x', total_stock: 10, price: 5, [field]: value },
    { [field]: [message] },
  ];
  test.each<[string, Record<string, unknown>, Errors]>([
    ['name missing', ...only('name', undefined, required('name'))],
    ['name null', ...only('name', null, required('name'))],
    ['name blank', ...only('name', '   ', required('name'))],
    ['name a number', ...only('name', 42, mustBe('name', 'a string'))],
    ['name an array', ...only('name', ['a'], mustBe('name', 'a string'))],
    ['name over 255 characters', ...only('name', 'n'.repeat(256), atMost('name', '255 characters'))],
    ['total_stock missing', ...only('total_stock', undefined, required('total stock'))],
    ['total_stock "abc"', ...only('total_stock', 'abc', integer('total stock'))],
    ['total_stock 1.5', ...only('total_stock', 1.5, integer('total stock'))],
    ['total_stock true', ...only('total_stock', true, integer('total stock'))],
    ['total_stock 2^31', ...only('total_stock', 2147483648, integer('total stock'))],
    ['total_stock -1', ...only('total_stock', -1, atLeast('total stock', 0))],
    ['total_stock above the maximum', ...only('total_stock', STOCK_MAX + 1, atMost('total stock', STOCK_MAX))],
    ['price missing', ...only('price', undefined, required('price'))],
    ['price "abc"', ...only('price', 'abc', mustBe('price', 'a number'))],
    ['price true', ...only('price', true, mustBe('price', 'a number'))],
    ['price -0.01', ...only('price', -0.01, atLeast('price', 0))],
    ['price with 3 decimals', ...only('price', 10.123, 'The price field must have 0-2 decimal places.')],
    ['price too large', ...only('price', 100_000_000, atMost('price', '99999999.99'))],
    ['available_stock "x"', ...only('available_stock', 'x', integer('available stock'))],
    ['available_stock -1', ...only('available_stock', -1, atLeast('available stock', 0))],
    [
      'available_stock above total_stock',
      ...only('available_stock', 11, 'The available stock field must be less than or equal to 10.'),
    ],
    [
      'everything missing',
      {},
      { name: [required('name')], total_stock: [required('total stock')], price: [required('price')] },
    ],
  ])('422 when %s; nothing is created', async (_, given, errors) => {
    // A name of its own, so "nothing created" can be checked while other tests create products.
    const name = `invalid-${randomUUID()}`;
    const body = given.name === 'x' ? { ...given, name } : given;
    // The Laravel-style summary ("… (and N more errors)"), `validation_failed`, exactly these field errors.
    expect422(await create(body), errors);
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
    expect(res.body).toEqual(
      productAnswer({ id: productId, name: 'Test product', total_stock: 15, available_stock: 15, price: 10.5 }),
    );
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
    const hold = await holdOf(stack, productId, 4);
    const res = await restock(productId, { quantity: 5 });
    expect(res.body.data).toMatchObject({ total_stock: 15, available_stock: 11 });
    expect((await stack.http.get(`/api/products/${productId}`)).body.available_stock).toBe(11);
    await expectConserved(stack.db, productId, 15);
    expect((await stack.http.post(`/api/holds/${hold.hold_id}/release`)).status).toBe(200);
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
    ['missing', {}, required('quantity')],
    ['null', { quantity: null }, required('quantity')],
    ['0', { quantity: 0 }, atLeast1('quantity')],
    ['-3', { quantity: -3 }, atLeast1('quantity')],
    ['"abc"', { quantity: 'abc' }, integer('quantity')],
    ['2.5', { quantity: 2.5 }, integer('quantity')],
    ['true', { quantity: true }, integer('quantity')],
    ['2^31', { quantity: 2147483648 }, integer('quantity')],
    ['above the maximum', { quantity: STOCK_MAX + 1 }, atMost('quantity', STOCK_MAX)],
  ])('quantity %s → 422; stock unchanged', async (_, body, message) => {
    const productId = await createProduct(stack, 10);
    expect422(await restock(productId, body), { quantity: [message] });
    expect(await productRow(productId)).toMatchObject({ total_stock: 10, available_stock: 10 });
  });

  test('a restock that would take the stock past the maximum is a 422, never a 500', async () => {
    const productId = await createProduct(stack, STOCK_MAX - 10);
    expect422(await restock(productId, { quantity: 11 }), {
      quantity: ['The quantity field must not be greater than 10.'],
    });
    expect(await productRow(productId)).toMatchObject({
      total_stock: STOCK_MAX - 10,
      available_stock: STOCK_MAX - 10,
    });
    expect((await restock(productId, { quantity: 10 })).body.data).toMatchObject({
      total_stock: STOCK_MAX,
      available_stock: STOCK_MAX,
    });
  });
});
