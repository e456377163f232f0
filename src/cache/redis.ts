import Redis from 'ioredis';
import type { Logger } from '../logger';

/** Fails fast when Redis is down or slow: the cache is an accelerator, never a dependency of a write. */
export function createRedis(url: string, log: Logger): Redis {
  const redis = new Redis(url, {
    lazyConnect: false,
    // Commands issued in one event-loop turn leave in one socket write: every cached read and sold-out answer sends
    // one, and a write per command took a fifth of the API's thread at 10 000 reads/s (docs/performance.md).
    enableAutoPipelining: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 250,
    connectTimeout: 1_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  let down = false;
  redis.on('error', (err) => {
    if (!down) log.warn({ err: err.message }, 'redis unavailable');
    down = true;
  });
  redis.on('ready', () => {
    if (down) log.info('redis available again');
    down = false;
  });
  return redis;
}
