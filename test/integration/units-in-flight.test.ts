import { createReserver } from '../../src/db/reserve';
import { createProduct, expectConserved } from '../../harness/fixtures';
import { expectRefusal } from './support/answers';
import { productCache, redisForFile, unusedProductId } from './support/product-cache';
import { postHold } from './support/purchase';
import { useStack } from './support/stack';

/**
 * Units being reserved (src/cache/units-in-flight.ts): a buyer arriving when every unit is held or being reserved is
 * told "sold out" at once; a unit given back, or a reservation that ends without taking it, reopens the sale.
 */
const stack = useStack({ HOLD_TTL_SECONDS: '60' });
const redis = redisForFile();

const cache = () => productCache(redis, { gateTtlSeconds: 30 });
const LAPSE_MS = 60_000;

describe('the in-flight count in Redis', () => {
  test('claims count against the gate, others only; a committed note takes its units off in the same step', async () => {
    const c = cache();
    const id = unusedProductId();
    const seeded = await c.checkUnits(id, 1, null, 'peek', LAPSE_MS);
    expect(seeded).toEqual({ admitted: true, available: null, epoch: '0', others: 0 });
    await c.noteStock(id, 3, seeded!.epoch, false);

    expect(await c.checkUnits(id, 2, 1, 'claim', LAPSE_MS)).toMatchObject({ admitted: true, available: 3, others: 0 });
    // 3 committed, 2 being reserved: a second request for 2 is refused and not counted; one for 1 would pass.
    expect(await c.checkUnits(id, 2, 2, 'claim', LAPSE_MS)).toMatchObject({ admitted: false, others: 2 });
    expect(await c.checkUnits(id, 1, null, 'peek', LAPSE_MS)).toMatchObject({ admitted: true, others: 2 });
    // A recheck of hold 1 does not count its own units against it.
    expect(await c.checkUnits(id, 2, 1, 'claim', LAPSE_MS)).toMatchObject({ admitted: true, others: 0 });

    // Hold 1 commits: the gate falls to 1 and its 2 units leave the count together.
    await c.noteStock(id, 1, seeded!.epoch, true, 'hold-1', { holdId: 1, quantity: 2 });
    expect(await c.checkUnits(id, 1, null, 'peek', LAPSE_MS)).toMatchObject({
      admitted: true,
      available: 1,
      others: 0,
    });
    expect(await redis.exists(`product:${id}:reserving-units`)).toBe(0);

    // A forced claim counts whatever the gate says; its release (twice: idempotent) gives its units back once.
    expect(await c.checkUnits(id, 5, 3, 'force', LAPSE_MS)).toMatchObject({ admitted: true, others: 0 });
    expect(await c.checkUnits(id, 1, null, 'peek', LAPSE_MS)).toMatchObject({ admitted: false, others: 5 });
    await c.releaseUnits(id, 3, 5);
    await c.releaseUnits(id, 3, 5);
    expect(await c.checkUnits(id, 1, null, 'peek', LAPSE_MS)).toMatchObject({ admitted: true, others: 0 });
  });

  test('a claim whose API process died lapses, and its units with it', async () => {
    const c = cache();
    const id = unusedProductId();
    await c.noteStock(id, 2, '0', false);
    await c.checkUnits(id, 2, 7, 'claim', LAPSE_MS);
    expect(await c.checkUnits(id, 1, null, 'peek', LAPSE_MS)).toMatchObject({ admitted: false, others: 2 });
    // Made to lapse now instead of in LAPSE_MS.
    await redis.zadd(`product:${id}:reserving`, 0, '7:2');
    expect(await c.checkUnits(id, 1, null, 'peek', LAPSE_MS)).toMatchObject({ admitted: true, others: 0 });
  });
});

describe('POST /api/holds with units being reserved', () => {
  test('never refused while units are free and nothing is in flight: every unit sells, then "sold out"', async () => {
    const productId = await createProduct(stack, 5);
    for (let i = 0; i < 5; i++) expect((await postHold(stack, productId, 1)).status).toBe(201);
    const refused = await postHold(stack, productId, 1);
    expectRefusal(refused, 400, 'Insufficient stock available. Only 0 units remaining.');
    await expectConserved(stack.db, productId, 5);
  });

  test('every unit being reserved: refused at once without Temporal; the reservation ending reopens the sale', async () => {
    const productId = await createProduct(stack, 3);
    expect((await postHold(stack, productId, 1)).status).toBe(201); // the gate now knows 2 committed units
    // Another API process is reserving the last 2 (a hold id no one will use).
    const c = cache();
    const other = await c.checkUnits(productId, 2, 2_000_000_000, 'claim', LAPSE_MS);
    expect(other).toMatchObject({ admitted: true, available: 2, others: 0 });
    await stack.stopWorker();
    try {
      // No worker: a request that reached Temporal would wait for its deadline; this one is answered at once.
      const refused = await postHold(stack, productId, 1);
      expectRefusal(refused, 400, 'Insufficient stock available. Only 0 units remaining.');
      // A keyed request takes the same refusal through its idempotency record.
      const keyed = await stack.http.post(
        '/api/holds',
        { product_id: productId, quantity: 1 },
        { 'Idempotency-Key': `units-${productId}` },
      );
      expect(keyed.status).toBe(400);
    } finally {
      await stack.startWorker();
    }
    // That reservation ends without taking the units: they are for sale again.
    await c.releaseUnits(productId, 2_000_000_000, 2);
    expect((await postHold(stack, productId, 2)).status).toBe(201);
    await expectConserved(stack.db, productId, 3);
  });

  test('a unit given back reopens the sale even while others are being reserved', async () => {
    const productId = await createProduct(stack, 2);
    const first = await postHold(stack, productId, 1);
    expect(first.status).toBe(201);
    const c = cache();
    await c.checkUnits(productId, 1, 2_000_000_001, 'claim', LAPSE_MS);
    expect((await postHold(stack, productId, 1)).status).toBe(400);
    expect((await stack.http.post(`/api/holds/${first.body.data.hold_id}/release`)).status).toBe(200);
    expect((await postHold(stack, productId, 1)).status).toBe(201);
    await c.releaseUnits(productId, 2_000_000_001, 1);
    await expectConserved(stack.db, productId, 2);
  });

  test('a reservation committed but not yet noted is not counted twice: the units left still sell', async () => {
    const productId = await createProduct(stack, 3);
    // Another API process's reservation of 1, the first of the sale: counted in flight, then committed in MariaDB,
    // its note not yet sent (the gate has no figure yet).
    const c = cache();
    const holdId = 2_000_000_000 + Math.floor(Math.random() * 100_000_000);
    expect(await c.checkUnits(productId, 1, holdId, 'claim', LAPSE_MS)).toMatchObject({ available: null, others: 0 });
    const now = new Date();
    const reserve = createReserver(stack.db);
    const reserved = await reserve({
      holdId,
      productId,
      quantity: 1,
      now,
      expiresAt: new Date(now.getTime() + 60_000),
    });
    expect(reserved.reserved).toBe(true);
    // MariaDB has 2 units left and no reservation is under way: the buyer gets both, not a "sold out".
    expect((await postHold(stack, productId, 2)).status).toBe(201);
    expect((await postHold(stack, productId, 1)).status).toBe(400);
    await c.releaseUnits(productId, holdId, 1);
    await expectConserved(stack.db, productId, 3);
  });
});
