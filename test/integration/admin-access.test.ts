import { randomUUID } from 'node:crypto';
import { createProduct } from '../../harness/fixtures';
import { ADMIN_TOKEN, startStack, type Stack } from '../../harness/stack';
import { auth, expectError, productReads } from './support/admin';

/** Who may use the admin API: nobody when no ADMIN_TOKEN is set, else only a bearer of exactly that token. */
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

const { productRow, productsNamed } = productReads(() => stack.db);

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
