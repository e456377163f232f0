import { MockActivityEnvironment } from '@temporalio/testing';
import { QueryTypes, type Sequelize } from 'sequelize';
import { createStockActivities } from '../../src/activities/stock';
import { createSweepActivities } from '../../src/activities/sweep';
import { createProductCache } from '../../src/cache/product-cache';
import { createRedis } from '../../src/cache/redis';
import { abandonHold } from '../../src/db/abandoned-holds';
import { nextHoldId } from '../../src/db/ids';
import { createReserver, type ReserveOutcome } from '../../src/db/reserve';
import { runReservation, runShardReservation } from '../../src/db/reserve-batch';
import { runFullReservation } from '../../src/db/reserve-full';
import type { ReserveRequest } from '../../src/db/reserve-request';
import { createSequelize } from '../../src/db/sequelize';
import { changeStock } from '../../src/db/shards';
import { sqlTime } from '../../src/db/time';
import { createLogger } from '../../src/logger';
import { FailureType } from '../../src/shared/types';
import type { HoldView } from '../../src/shared/views';
import { availableStock, createProduct, expectConserved } from '../../harness/fixtures';
import { waitFor } from '../../harness/wait';
import { countRows } from './support/rows';
import { useStack } from './support/stack';

/**
 * Abandoned holds against the real MariaDB: the API's deadline passed, it abandons the hold (a tombstone), and a
 * reservation of that id either committed first (abandonHold returns the hold) or is refused (nothing taken).
 */
const stack = useStack({}, { worker: false });
let db: Sequelize;
let redis: ReturnType<typeof createRedis>;
let stock: ReturnType<typeof createStockActivities>;
let sweep: ReturnType<typeof createSweepActivities>;
beforeAll(() => {
  // Its own pool, wide enough for the concurrent pairs below.
  db = createSequelize({ url: stack.config.DATABASE_URL, poolMax: 20 });
  const log = createLogger('silent', 'test');
  redis = createRedis(stack.config.REDIS_URL, log);
  const cache = createProductCache(redis, log, { gateTtlSeconds: 30 });
  stock = createStockActivities({ db, cache, log });
  sweep = createSweepActivities({ db, cache, log });
});
afterAll(async () => {
  redis.disconnect();
  await db.close();
});

const holdRow = (holdId: number) => countRows(db, 'SELECT COUNT(*) AS n FROM holds WHERE id = ?', holdId);

const request = async (productId: number, extra: Partial<ReserveRequest> = {}): Promise<ReserveRequest> => {
  const now = new Date();
  return {
    holdId: await nextHoldId(db),
    productId,
    quantity: 2,
    now,
    expiresAt: new Date(now.getTime() + 120_000),
    ...extra,
  };
};

const activityInput = async (productId: number, answerBy?: string) => ({
  holdId: await nextHoldId(db),
  productId,
  quantity: 2,
  ttlSeconds: 120,
  paymentTimeoutSeconds: 900,
  ...(answerBy ? { answerBy } : {}),
});

describe('the reserveStock activity', () => {
  test('a hold abandoned first is refused CallerGone, takes nothing and ends its cache write mark', async () => {
    const productId = await createProduct(stack, 10);
    const input = await activityInput(productId);
    expect(await abandonHold(db, input.holdId)).toBeNull();
    await expect(stock.reserveStock(input)).rejects.toMatchObject({
      type: FailureType.CallerGone,
      nonRetryable: true,
    });
    expect(await holdRow(input.holdId)).toBe(0);
    expect(await redis.zscore(`product:${productId}:writing`, `hold-${input.holdId}`)).toBeNull();
    await expectConserved(db, productId, 10);
    expect(await availableStock(db, productId)).toBe(10);
  });

  test('a reservation that committed first is what abandonHold returns, and a retry still finds it', async () => {
    const productId = await createProduct(stack, 10);
    const input = await activityInput(productId);
    const hold = await stock.reserveStock(input);
    const abandoned = await abandonHold(db, input.holdId);
    expect(abandoned).toMatchObject({ id: input.holdId, product_id: productId, quantity: 2, released_at: null });
    expect(abandoned?.hold_expires_at).toBe(hold.hold_expires_at);
    // An attempt that committed and died before reporting is retried after the tombstone: its hold is the answer.
    expect((await stock.reserveStock(input)).id).toBe(input.holdId);
    expect(await availableStock(db, productId)).toBe(8);
    await expectConserved(db, productId, 10);
  });

  test('a reservation running after answerBy is refused CallerGone; before it, it reserves', async () => {
    const productId = await createProduct(stack, 10);
    const late = await activityInput(productId, new Date(Date.now() - 1_000).toISOString());
    await expect(stock.reserveStock(late)).rejects.toMatchObject({ type: FailureType.CallerGone });
    expect(await holdRow(late.holdId)).toBe(0);
    const onTime = await activityInput(productId, new Date(Date.now() + 60_000).toISOString());
    expect((await stock.reserveStock(onTime)).id).toBe(onTime.holdId);
    expect(await availableStock(db, productId)).toBe(8);
    await expectConserved(db, productId, 10);
  });
});

describe('every reservation path honours the tombstone and answerBy', () => {
  const past = () => new Date(Date.now() - 1_000).toISOString();
  const paths: [string, (r: ReserveRequest) => Promise<ReserveOutcome>, number][] = [
    ['the product row batch', (r) => runReservation({ db }, r), 1],
    ['the shard batch', (r) => runShardReservation({ db }, r, 2), 4],
    ['the full slow path', (r) => runFullReservation({ db }, r, 1), 4],
  ];

  test.each(paths)('%s', async (_name, reserve, shards) => {
    const productId = await createProduct(stack, 12);
    if (shards > 1) expect(await changeStock(db, productId, { shards })).toBe('done');
    const barred = await request(productId);
    await abandonHold(db, barred.holdId);
    const late = await request(productId, { answerBy: past() });
    for (const r of [barred, late]) {
      const outcome = await reserve(r);
      expect(outcome).toMatchObject({ abandoned: true, reserved: false, already: false, partial: false });
      expect(await holdRow(r.holdId)).toBe(0);
    }
    // The same path reserves a hold nobody abandoned: the refusals above were not the path failing.
    expect(await reserve(await request(productId))).toMatchObject({ reserved: true, abandoned: false });
    await expectConserved(db, productId, 12);
    expect(await availableStock(db, productId)).toBe(10);
  });
});

describe('the tombstone and the reservation are serialised', () => {
  let api: Sequelize;
  beforeAll(() => {
    // The API abandons on its own pool, as it would in its own process.
    api = createSequelize({ url: stack.config.DATABASE_URL, poolMax: 5 });
  });
  afterAll(() => api.close());

  /** Transactions of this test database waiting for a lock (the server is shared: count only ours). */
  const lockWaits = () =>
    countRows(
      api,
      `SELECT COUNT(*) AS n FROM information_schema.INNODB_TRX t
       JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id
       WHERE t.trx_state = 'LOCK WAIT' AND p.DB = DATABASE()`,
    );

  test('a tombstone inserted while the reservation is uncommitted waits for it, then returns the hold', async () => {
    const productId = await createProduct(stack, 10);
    const r = await request(productId);
    // Holds the reservation between its tombstone read and its COMMIT: its hold insert waits on this gap lock.
    const blocker = await api.transaction();
    await api.query('SELECT id FROM holds WHERE id = :holdId FOR UPDATE', {
      replacements: { holdId: r.holdId },
      transaction: blocker,
      type: QueryTypes.SELECT,
    });
    const reserving = runReservation({ db }, r);
    let abandoning: Promise<HoldView | null> | undefined;
    try {
      await waitFor('the reservation to wait on its hold insert', async () => (await lockWaits()) === 1, 2_000);
      abandoning = abandonHold(api, r.holdId);
      await waitFor('the tombstone insert to wait for the reservation', async () => (await lockWaits()) === 2, 2_000);
    } finally {
      await blocker.rollback();
    }
    expect(await reserving).toMatchObject({ reserved: true, abandoned: false });
    expect(await abandoning).toMatchObject({ id: r.holdId, quantity: 2 });
    await expectConserved(db, productId, 10);
  });

  test('a reservation reaching an uncommitted tombstone waits for it, then is refused', async () => {
    const productId = await createProduct(stack, 10);
    const r = await request(productId);
    const tombstone = await api.transaction();
    await api.query('INSERT INTO abandoned_holds (hold_id, abandoned_at) VALUES (:holdId, :now)', {
      replacements: { holdId: r.holdId, now: sqlTime(new Date()) },
      transaction: tombstone,
    });
    const reserving = runReservation({ db }, r).catch((err: Error) => err);
    try {
      await waitFor('the reservation to wait on the tombstone', async () => (await lockWaits()) === 1, 2_000);
    } finally {
      await tombstone.commit();
    }
    expect(await reserving).toMatchObject({ reserved: false, abandoned: true });
    expect(await holdRow(r.holdId)).toBe(0);
    expect(await availableStock(db, productId)).toBe(10);
  });
});

test('many reservations and abandonments of the same ids at once: never both a null answer and a hold', async () => {
  const products = await Promise.all(Array.from({ length: 30 }, () => createProduct(stack, 100)));
  // Each tombstone is sent the moment its reservation's batch is (the reservation's own hook, on its connection), so
  // the two meet on the server: which one the server takes first decides the pair.
  // The API abandons on its own pool, as it would in its own process.
  const api = createSequelize({ url: stack.config.DATABASE_URL, poolMax: 30 });
  await Promise.all(Array.from({ length: 30 }, () => api.query('SELECT 1')));
  const abandoning = new Map<number, Promise<HoldView | null>>();
  const reserve = createReserver(db, async (_productId, holdId) => {
    abandoning.set(holdId, abandonHold(api, holdId));
  });
  const pairs = await Promise.all(
    Array.from({ length: 60 }, async (_, i) => {
      const r = await request(products[i % products.length], { quantity: 1 });
      const outcome = await reserve(r);
      const abandoned = await abandoning.get(r.holdId)!;
      return { holdId: r.holdId, abandoned, outcome, exists: await holdRow(r.holdId) };
    }),
  );
  for (const p of pairs) {
    // Per pair: a null answer means no hold and a refused reservation; a hold answer means the reservation took it.
    const seen = { holdId: p.holdId, exists: p.exists, reserved: p.outcome.reserved, abandoned: p.outcome.abandoned };
    if (p.abandoned === null) expect(seen).toEqual({ holdId: p.holdId, exists: 0, reserved: false, abandoned: true });
    else expect({ ...seen, answer: p.abandoned.id }).toEqual({ ...seen, exists: 1, reserved: true, answer: p.holdId });
  }
  const held = pairs.filter((p) => p.abandoned !== null).length;
  await api.close();
  let unreleased = 0;
  for (const productId of products) unreleased += (await expectConserved(db, productId, 100)).unreleased_quantity;
  expect(unreleased).toBe(held);
});

test('the sweep deletes tombstones older than a day, and only those', async () => {
  const [oldId, freshId] = [await nextHoldId(db), await nextHoldId(db)];
  await db.query('INSERT INTO abandoned_holds (hold_id, abandoned_at) VALUES (:oldId, :old), (:freshId, :fresh)', {
    replacements: {
      oldId,
      old: sqlTime(new Date(Date.now() - 25 * 3_600_000)),
      freshId,
      fresh: sqlTime(new Date(Date.now() - 23 * 3_600_000)),
    },
  });
  await new MockActivityEnvironment().run(sweep.sweepExpired, {
    graceSeconds: 0,
    paymentTimeoutSeconds: 900,
    batchSize: 50,
  });
  const left = await db.query<{ hold_id: number }>(
    'SELECT hold_id FROM abandoned_holds WHERE hold_id IN (:ids) ORDER BY hold_id',
    { replacements: { ids: [oldId, freshId] }, type: QueryTypes.SELECT },
  );
  expect(left.map((t) => Number(t.hold_id))).toEqual([freshId]);
});
