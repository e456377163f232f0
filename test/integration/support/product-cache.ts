import Redis from 'ioredis';
import { createProductCache } from '../../../src/cache/product-cache';
import { createLogger } from '../../../src/logger';
import { testConfig } from '../../../harness/stack';

/** What the tests of the product cache in Redis share (sold-out-gate.test.ts, units-in-flight.test.ts). */

/** A client of the tests' Redis, connected by its first command and closed after the file. */
export function redisForFile() {
  const redis = new Redis(testConfig().REDIS_URL, { maxRetriesPerRequest: 1, lazyConnect: true });
  afterAll(() => redis.disconnect());
  return redis;
}

/** The service's product cache on `redis`, logging nothing. */
export const productCache = (redis: Redis, opts?: Parameters<typeof createProductCache>[2]) =>
  createProductCache(redis, createLogger('silent', 'test'), opts);

/** An id far above any product's, so the cache keys of a test are its own. */
export const unusedProductId = () => 900_000_000 + Math.floor(Math.random() * 1_000_000);
