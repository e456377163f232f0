import { QueryTypes } from 'sequelize';
import { createActivities } from '../../src/activities';
import { LATE_RESERVATION_MS } from '../../src/activities/stock';
import { createProductCache } from '../../src/cache/product-cache';
import { createRedis } from '../../src/cache/redis';
import { nextHoldId } from '../../src/db/ids';
import { createLogger } from '../../src/logger';
import { createProduct, expectConserved } from '../../harness/fixtures';
import { useStack } from './support/stack';

/**
 * The reservation against the real database when it runs after the expiry the API announced (a worker that was down
 * or starved): the hold still gets its whole TTL from the moment its stock is taken, never a hold born expired.
 */
const stack = useStack({}, { worker: false });
let redis: ReturnType<typeof createRedis>;
let activities: ReturnType<typeof createActivities>;
beforeAll(async () => {
  const log = createLogger('silent', 'test');
  redis = createRedis(stack.config.REDIS_URL, log);
  activities = createActivities({ db: stack.db, cache: createProductCache(redis, log, { gateTtlSeconds: 30 }), log });
});
afterAll(() => redis.disconnect());

const input = async (productId: number, expiresAt: Date) => ({
  holdId: await nextHoldId(stack.db),
  productId,
  quantity: 1,
  ttlSeconds: 120,
  paymentTimeoutSeconds: 900,
  expiresAt: expiresAt.toISOString(),
});

test('on time, the hold ends when the API said', async () => {
  const productId = await createProduct(stack, 5);
  const announced = new Date(Date.now() + 120_000);
  const hold = await activities.reserveStock(await input(productId, announced));
  expect(hold.hold_expires_at).toBe(announced.toISOString());
});

test('run after the announced expiry, the hold lives its TTL from the reservation', async () => {
  const productId = await createProduct(stack, 5);
  const before = Date.now();
  const hold = await activities.reserveStock(await input(productId, new Date(before - 5_000)));
  const expiresAt = Date.parse(hold.hold_expires_at);
  expect(expiresAt).toBeGreaterThanOrEqual(before + 120_000 - LATE_RESERVATION_MS);
  const [row] = await stack.db.query<{ hold_expires_at: Date }>('SELECT hold_expires_at FROM holds WHERE id = ?', {
    replacements: [hold.id],
    type: QueryTypes.SELECT,
  });
  expect(new Date(row.hold_expires_at).getTime()).toBe(expiresAt);
  await expectConserved(stack.db, productId, 5);
});
