import { randomUUID } from 'node:crypto';
import { createProduct } from '../../harness/fixtures';
import { ADMIN_TOKEN } from '../../harness/stack';
import { auth, expectError, productReads } from './support/admin';
import { useStack } from './support/stack';

/** Who may use the admin API: nobody when no ADMIN_TOKEN is set, else only a bearer of exactly that token. */
// The disabled stack (no ADMIN_TOKEN) starts first: src/db/models.ts binds its model classes to the last API started
// in a process, so the stack whose database the assertions need must be the last one up (see the report on models.ts).
const disabled = useStack({ ADMIN_TOKEN: '' }, { worker: false });
const stack = useStack({ HOLD_TTL_SECONDS: '60' });

const { productRow, productsNamed } = productReads(() => stack.db);

/** A valid call to each admin endpoint: creating the product `name`, restocking `productId`. */
const validCalls = (name: string, productId: number): [string, unknown][] => [
  ['/api/admin/products', { name, total_stock: 5, price: 1 }],
  [`/api/admin/products/${productId}/restock`, { quantity: 5 }],
];

describe('admin API disabled (no ADMIN_TOKEN)', () => {
  test('403 "Admin API disabled" on both endpoints, with or without a bearer; nothing changes', async () => {
    const name = `disabled-${randomUUID()}`;
    const productId = await createProduct(stack, 5);
    for (const headers of [{}, auth, { Authorization: 'Bearer ' }]) {
      for (const [path, body] of validCalls(name, productId)) {
        expectError(await disabled.http.post(path, body, headers), 403, 'Admin API disabled');
      }
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
    const invalidCalls: [string, unknown][] = [
      ['/api/admin/products', {}],
      ['/api/admin/products', '{bad json'],
      ['/api/admin/products/999999999/restock', {}],
    ];
    for (const [path, body] of [...validCalls(name, productId), ...invalidCalls]) {
      expectError(await stack.http.post(path, body, headers), 401, 'Unauthorized');
    }
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
