import { availableStock, createProduct, expectConserved } from '../../harness/fixtures';
import { atLeast1, INT_MAX, integer, invalid, missing, notIntegers } from './support/validation';
import { refusalsOf, required, UNKNOWN_ID } from './support/validation';
import { countRows } from './support/rows';
import { useStack } from './support/stack';

/** The validation of POST /api/holds: each refusal a Laravel-style 422 that reserves nothing. */
// Long enough that nothing expires or times out while a file of checks runs.
const stack = useStack({ HOLD_TTL_SECONDS: '60', PAYMENT_TIMEOUT_SECONDS: '60' });

describe('POST /api/holds', () => {
  let productId: number;
  const state = async () => ({
    available: await availableStock(stack.db, productId),
    holds: await countRows(stack.db, 'SELECT COUNT(*) AS n FROM holds WHERE product_id = ?', productId),
  });
  // Every refusal in this block leaves the stock and the holds as they were.
  const { refused, before } = refusalsOf(() => stack.http, '/api/holds', state);

  beforeAll(async () => {
    productId = await createProduct(stack, 50);
  });

  test('an empty body: both fields required, "(and 1 more error)"', async () => {
    const res = await refused({}, { product_id: [required('product id')], quantity: [required('quantity')] });
    expect(res.body.message).toBe('The product id field is required. (and 1 more error)');
  });

  test.each(missing)('product_id %s is required', async (_, value) => {
    await refused({ product_id: value, quantity: 1 }, { product_id: [required('product id')] });
  });

  test.each(missing)('quantity %s is required', async (_, value) => {
    await refused({ product_id: productId, quantity: value }, { quantity: [required('quantity')] });
  });

  test.each(notIntegers)('quantity %s must be an integer', async (_, value) => {
    await refused({ product_id: productId, quantity: value }, { quantity: [integer('quantity')] });
  });

  test.each(notIntegers)('product_id %s must be an integer', async (_, value) => {
    await refused({ product_id: value, quantity: 1 }, { product_id: [integer('product id')] });
  });

  test.each([
    ['0', 0],
    ['-1', -1],
    ['"0"', '0'],
    ['-2^31', -INT_MAX - 1],
  ])('quantity %s must be at least 1', async (_, value) => {
    await refused({ product_id: productId, quantity: value }, { quantity: [atLeast1('quantity')] });
  });

  test('product_id 0 must be at least 1', async () => {
    await refused({ product_id: 0, quantity: 1 }, { product_id: [atLeast1('product id')] });
  });

  test('an unknown product is a 422 on product_id, as an integer or as a numeric string', async () => {
    for (const value of [UNKNOWN_ID, String(UNKNOWN_ID)])
      await refused({ product_id: value, quantity: 1 }, { product_id: [invalid('product id')] });
  });

  test('two bad fields: product_id first, "(and 1 more error)"', async () => {
    const res = await refused(
      { product_id: UNKNOWN_ID, quantity: 'many' },
      { product_id: [invalid('product id')], quantity: [integer('quantity')] },
    );
    expect(res.body.message).toBe('The selected product id is invalid. (and 1 more error)');
  });

  test.each([
    ['null', 'null'],
    ['an array', '[{"product_id":1,"quantity":1}]'],
    ['a string', '"product_id"'],
    ['a number', '42'],
  ])('a JSON body that is %s is not an object: both fields required', async (_, raw) => {
    await refused(raw, { product_id: [required('product id')], quantity: [required('quantity')] });
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
    expect(await state()).toEqual({ available: before().available - 5, holds: before().holds + 1 });
    await expectConserved(stack.db, productId, 50);
    // Nothing of this test stays running.
    expect((await stack.http.post(`/api/holds/${res.body.data.hold_id}/release`)).status).toBe(200);
    expect(await availableStock(stack.db, productId)).toBe(before().available);
  });
});
