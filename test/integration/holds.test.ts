import { availableStock, createProduct, expectConserved } from '../../harness/fixtures';
import { waitFor } from '../../harness/wait';
import { holdOf, useStack } from './support/stack';

const stack = useStack({ HOLD_TTL_SECONDS: '2' });
const expectReleasedAlready = (res: { status: number; body: any }) =>
  expect({ status: res.status, message: res.body.message }).toEqual({
    status: 400,
    message: 'Cannot release: Hold has already been released',
  });

describe('holds', () => {
  test('30 parallel holds of 10 on 100 units: exactly 10 succeed and stock ends at 0', async () => {
    const productId = await createProduct(stack, 100);
    const replies = await Promise.all(
      Array.from({ length: 30 }, () => stack.http.post('/api/holds', { product_id: productId, quantity: 10 })),
    );
    const created = replies.filter((r) => r.status === 201);
    const refused = replies.filter((r) => r.status === 400);
    expect(created).toHaveLength(10);
    expect(refused).toHaveLength(20);
    for (const r of refused) expect(r.body.message).toBe('Insufficient stock available. Only 0 units remaining.');
    for (const r of created) {
      expect(r.body.status).toBe('success');
      expect(Number.isInteger(r.body.data.hold_id)).toBe(true);
      expect(new Date(r.body.data.hold_expires_at).toISOString()).toBe(r.body.data.hold_expires_at);
    }
    expect(new Set(created.map((r) => r.body.data.hold_id)).size).toBe(10);
    expect(await availableStock(stack.db, productId)).toBe(0);
    await expectConserved(stack.db, productId, 100);
  });

  test('a partial refusal names the units left, read under the lock', async () => {
    const productId = await createProduct(stack, 7);
    expect((await stack.http.post('/api/holds', { product_id: productId, quantity: 5 })).status).toBe(201);
    const refused = await stack.http.post('/api/holds', { product_id: productId, quantity: 5 });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({
      status: 'error',
      message: 'Insufficient stock available. Only 2 units remaining.',
    });
    await expectConserved(stack.db, productId, 7);
  });

  test('an expired hold gives its stock back exactly once', async () => {
    const productId = await createProduct(stack, 10);
    const { hold_id: holdId } = await holdOf(stack, productId, 4);
    expect(await availableStock(stack.db, productId)).toBe(6);
    const hold = await waitFor('hold release', async () => {
      const h = await stack.http.get(`/api/holds/${holdId}`);
      return h.body.released_at ? h.body : null;
    });
    expect(Date.parse(hold.released_at)).toBeGreaterThanOrEqual(Date.parse(hold.hold_expires_at));
    expect(await availableStock(stack.db, productId)).toBe(10);
    // The workflow has finished; a late early-release is refused and changes nothing.
    expectReleasedAlready(await stack.http.post(`/api/holds/${holdId}/release`));
    expect(await availableStock(stack.db, productId)).toBe(10);
    await expectConserved(stack.db, productId, 10);
  });

  test('early release returns the stock and sets released_at', async () => {
    const productId = await createProduct(stack, 10);
    const { hold_id: holdId } = await holdOf(stack, productId, 3);
    const released = await stack.http.post(`/api/holds/${holdId}/release`);
    expect(released.status).toBe(200);
    expect(released.body.status).toBe('success');
    expect(released.body.data).toMatchObject({ id: holdId, product_id: productId, quantity: 3 });
    expect(released.body.data.released_at).not.toBeNull();
    expect(await availableStock(stack.db, productId)).toBe(10);
    expectReleasedAlready(await stack.http.post(`/api/holds/${holdId}/release`));
    await expectConserved(stack.db, productId, 10);
  });
});
