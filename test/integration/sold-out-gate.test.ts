import { createProduct, expectConserved } from '../../harness/fixtures';
import { expectRefusal } from './support/answers';
import { productCache, redisForFile, unusedProductId } from './support/product-cache';
import { postHold } from './support/purchase';
import { useStack } from './support/stack';

/** The sold-out gate (docs/performance.md): refusals from Redis, reopened by every stock return. */
const stack = useStack({ HOLD_TTL_SECONDS: '60' });
const redis = redisForFile();

describe('sold-out gate', () => {
  test('once sold out, refusals need neither Temporal nor a worker, and name the units left', async () => {
    const productId = await createProduct(stack, 7);
    expect((await postHold(stack, productId, 5)).status).toBe(201);
    await stack.stopWorker();
    try {
      // No worker: anything that reached Temporal would wait for the call deadline; the gate answers at once.
      const started = Date.now();
      const refused = await postHold(stack, productId, 3);
      expectRefusal(refused, 400, 'Insufficient stock available. Only 2 units remaining.');
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      await stack.startWorker();
    }
    // Asking for what is left still goes to the database, which grants it.
    expect((await postHold(stack, productId, 2)).status).toBe(201);
    const last = await postHold(stack, productId, 1);
    expect(last.body.message).toBe('Insufficient stock available. Only 0 units remaining.');
    await expectConserved(stack.db, productId, 7);
  });

  test('stock coming back reopens the gate at once', async () => {
    const productId = await createProduct(stack, 4);
    const first = await postHold(stack, productId, 4);
    expect(first.status).toBe(201);
    expect((await postHold(stack, productId, 1)).status).toBe(400);
    const released = await stack.http.post(`/api/holds/${first.body.data.hold_id}/release`);
    expect(released.status).toBe(200);
    // Right after the release's answer: no stale "sold out".
    const again = await postHold(stack, productId, 4);
    expect(again.status).toBe(201);
    await expectConserved(stack.db, productId, 4);
  });

  test('a figure from before an invalidation is never written back (epoch guard)', async () => {
    const cache = productCache(redis, { gateTtlSeconds: 30 });
    const id = unusedProductId();
    const before = await cache.readGate(id);
    expect(before).toEqual({ available: null, epoch: '0' });
    // Stock comes back (and is invalidated) while a reservation that read the old epoch is in flight.
    await cache.invalidate([id]);
    await cache.noteStock(id, 0, before!.epoch, true);
    expect((await cache.readGate(id))!.available).toBeNull();
    // With the current epoch the figure is kept, and only lowered afterwards.
    const now = await cache.readGate(id);
    await cache.noteStock(id, 5, now!.epoch, false);
    await cache.noteStock(id, 7, now!.epoch, false);
    expect((await cache.readGate(id))!.available).toBe(5);
    await cache.noteStock(id, 3, now!.epoch, true);
    expect((await cache.readGate(id))!.available).toBe(3);
    await cache.invalidate([id]);
    expect((await cache.readGate(id))!.available).toBeNull();
  });
});

describe('product cache and a stock write whose sender may die', () => {
  const view = (id: number, available: number) => ({
    id,
    name: 'p',
    total_stock: 10,
    available_stock: available,
    price: 1,
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
  });

  test('while a reservation may still commit unseen, no reader caches the product; once it has an outcome, or its mark lapses, reads are cached again', async () => {
    const cache = productCache(redis);
    const id = unusedProductId();
    let inDb = 10;
    const loads: number[] = [];
    const load = async () => {
      loads.push(inDb);
      return view(id, inDb);
    };
    const reads = async (n: number) => {
      for (let i = 0; i < n; i++) await cache.read(id, load);
    };
    await reads(2);
    expect(loads).toEqual([10]); // cached

    // A reservation that notes its outcome: uncached only while it is under way.
    await cache.beginStockWrite(id, 'hold-1');
    await reads(2);
    inDb = 9;
    await cache.noteStock(id, 9, undefined, true, 'hold-1');
    await reads(2);
    expect(loads).toEqual([10, 10, 10, 9]);

    // A worker marks its write and sends its batch, then dies before it can say so; the server commits later.
    await cache.beginStockWrite(id, 'hold-2');
    await reads(1); // read before the commit: not cached
    inDb = 8; // the orphaned batch commits
    await reads(1);
    expect(loads).toEqual([10, 10, 10, 9, 9, 8]);

    // Once its mark has lapsed (made to lapse now, instead of in STOCK_WRITE_MARK_MS), reads are cached again.
    await redis.zadd(`product:${id}:writing`, 0, 'hold-2');
    await reads(2);
    expect(loads).toEqual([10, 10, 10, 9, 9, 8, 8]);
  });
});
