import { QueryTypes } from 'sequelize';
import { availableStock, createProduct, expectConserved } from '../../harness/fixtures';
import { waitFor } from '../../harness/wait';
import { expectRefusal } from './support/answers';
import { auth as admin } from './support/admin';
import { postHold } from './support/purchase';
import { countRows, unreleasedHolds } from './support/rows';
import { useStack } from './support/stack';

const stack = useStack({ HOLD_TTL_SECONDS: '3', SWEEP_GRACE_SECONDS: '0' });

const reshard = (id: number | string, body: unknown) =>
  stack.http.put(`/api/admin/products/${id}/stock-shards`, body, admin);

const shardRows = async (productId: number) =>
  (
    await stack.db.query<{ shard: number; available: number }>(
      'SELECT shard, available FROM stock_shards WHERE product_id = ? ORDER BY shard',
      { replacements: [productId], type: QueryTypes.SELECT },
    )
  ).map((r) => [Number(r.shard), Number(r.available)]);

const productRow = async (productId: number) => {
  const [p] = await stack.db.query<{ available_stock: number; stock_shards: number }>(
    'SELECT available_stock, stock_shards FROM products WHERE id = ?',
    { replacements: [productId], type: QueryTypes.SELECT },
  );
  return { onRow: Number(p.available_stock), shards: Number(p.stock_shards) };
};

describe('stock shards for a hot product', () => {
  test('resharding spreads the stock evenly and the product reads the same', async () => {
    const productId = await createProduct(stack, 10);
    const res = await reshard(productId, { shards: 4 });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ id: productId, total_stock: 10, available_stock: 10 });
    expect(await shardRows(productId)).toEqual([
      [1, 3],
      [2, 3],
      [3, 2],
      [4, 2],
    ]);
    expect(await productRow(productId)).toEqual({ onRow: 0, shards: 4 });
    expect((await stack.http.get(`/api/products/${productId}`)).body.available_stock).toBe(10);
    await expectConserved(stack.db, productId, 10);
  });

  test('bad input gets a 422, 404 or 401 and changes nothing', async () => {
    const productId = await createProduct(stack, 5);
    for (const [body, message] of [
      [{}, 'The shards field is required.'],
      [{ shards: 0 }, 'The shards field must be at least 1.'],
      [{ shards: 65 }, 'The shards field must not be greater than 64.'],
      [{ shards: 'x' }, 'The shards field must be an integer.'],
    ] as const) {
      const res = await reshard(productId, body);
      expect(res.status).toBe(422);
      expect(res.body.errors.shards).toEqual([message]);
    }
    expect((await reshard(999_999_999, { shards: 2 })).status).toBe(404);
    expect((await stack.http.put(`/api/admin/products/${productId}/stock-shards`, { shards: 2 })).status).toBe(401);
    expect(await productRow(productId)).toEqual({ onRow: 5, shards: 1 });
    expect(await shardRows(productId)).toEqual([]);
  });

  test('a stampede on a sharded product sells every unit exactly once, across shards when one runs dry', async () => {
    const productId = await createProduct(stack, 60);
    await reshard(productId, { shards: 8 });
    const replies = await Promise.all(Array.from({ length: 45 }, (_, i) => postHold(stack, productId, (i % 3) + 1)));
    const taken = replies.reduce((sum, r, i) => sum + (r.status === 201 ? (i % 3) + 1 : 0), 0);
    // 45 requests ask for 90 units in all: 60 are sold, and a refusal only comes when too few units remain.
    expect(replies.every((r) => r.status === 201 || r.status === 400)).toBe(true);
    for (const r of replies.filter((x) => x.status === 400)) {
      expect(r.body.message).toMatch(/^Insufficient stock available\. Only [0-2] units remaining\.$/);
    }
    expect(taken).toBeGreaterThanOrEqual(58);
    expect(taken).toBeLessThanOrEqual(60);
    expect(await availableStock(stack.db, productId)).toBe(60 - taken);
    await expectConserved(stack.db, productId, 60);
    const shardsUsed = 'SELECT COUNT(DISTINCT stock_shard) AS n FROM holds WHERE product_id = ?';
    expect(await countRows(stack.db, shardsUsed, productId)).toBeGreaterThan(1);
  });

  test('a hold larger than any one shard takes from several; the refusal names the whole stock', async () => {
    const productId = await createProduct(stack, 10);
    await reshard(productId, { shards: 4 }); // 3, 3, 2, 2
    const big = await postHold(stack, productId, 7);
    expect(big.status).toBe(201);
    expect(await availableStock(stack.db, productId)).toBe(3);
    const refused = await postHold(stack, productId, 4);
    expectRefusal(refused, 400, 'Insufficient stock available. Only 3 units remaining.');
    const released = await stack.http.post(`/api/holds/${big.body.data.hold_id}/release`);
    expect(released.status).toBe(200);
    expect(await availableStock(stack.db, productId)).toBe(10);
    await expectConserved(stack.db, productId, 10);
  });

  test('expiry (timer or bulk sweep) returns sharded holds to their shards exactly once', async () => {
    const productId = await createProduct(stack, 40);
    await reshard(productId, { shards: 4 });
    const replies = await Promise.all(Array.from({ length: 12 }, () => postHold(stack, productId, 2)));
    expect(replies.map((r) => r.status)).toEqual(Array(12).fill(201));
    expect(await availableStock(stack.db, productId)).toBe(16);
    await waitFor(
      'every hold to lapse and be released',
      async () => (await availableStock(stack.db, productId)) === 40,
      30_000,
    );
    await expectConserved(stack.db, productId, 40);
    expect(await unreleasedHolds(stack.db, productId)).toBe(0);
  });

  test('unsharding with holds open, then restocking: their units come back and stay sellable', async () => {
    const productId = await createProduct(stack, 8);
    await reshard(productId, { shards: 4 }); // 2 each
    const a = await postHold(stack, productId, 2);
    const b = await postHold(stack, productId, 2);
    expect([a.status, b.status]).toEqual([201, 201]);
    expect((await reshard(productId, { shards: 1 })).body.data.available_stock).toBe(4);
    expect(await productRow(productId)).toEqual({ onRow: 4, shards: 1 });
    for (const h of [a, b])
      expect((await stack.http.post(`/api/holds/${h.body.data.hold_id}/release`)).status).toBe(200);
    // The released units went back to their (now empty) shard rows; an unsharded product still sells them.
    expect(await availableStock(stack.db, productId)).toBe(8);
    const all = await postHold(stack, productId, 8);
    expect(all.status).toBe(201);
    expect(await availableStock(stack.db, productId)).toBe(0);
    const restock = await stack.http.post(`/api/admin/products/${productId}/restock`, { quantity: 5 }, admin);
    expect(restock.status).toBe(200);
    expect(restock.body.data).toMatchObject({ total_stock: 13, available_stock: 5 });
    await expectConserved(stack.db, productId, 13);
  });

  test('a restock of a sharded product is spread over its shards', async () => {
    const productId = await createProduct(stack, 4);
    await reshard(productId, { shards: 2 });
    const res = await stack.http.post(`/api/admin/products/${productId}/restock`, { quantity: 6 }, admin);
    expect(res.body.data).toMatchObject({ total_stock: 10, available_stock: 10 });
    expect(await shardRows(productId)).toEqual([
      [1, 5],
      [2, 5],
    ]);
    await expectConserved(stack.db, productId, 10);
  });
});
