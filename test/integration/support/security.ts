import Redis from 'ioredis';
import { loadConfig } from '../../../src/config';
import type { Reply } from '../../../harness/http';
import { startStack, type Stack } from '../../../harness/stack';
import { expectErrorEnvelope } from './answers';

/** The stack and checks of the hostile-input defences (rate-limits.test.ts, security-headers.test.ts). */
export const SHOP = 'https://shop.example.com';
export const WINDOW = 60;

/** Fresh client addresses from 198.<octet>/16, a benchmarking range: a header value here, never a target. */
export function addressSource(octet: 18 | 19) {
  let nextAddress = 1;
  return () => `198.${octet}.${Math.floor(nextAddress / 250)}.${(nextAddress++ % 250) + 1}`;
}
export const from = (address: string) => ({ 'X-Forwarded-For': address });

export function expectTooManyRequests(res: Reply, windowSeconds: number) {
  expect(res.status).toBe(429);
  expectErrorEnvelope(res.body, 'Too many requests');
  expect(res.body.code).toBe('rate_limited');
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(windowSeconds);
  expect(res.headers.get('x-request-id')).toBeTruthy();
}

export function expectSecurityHeaders(res: Reply) {
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  expect(res.headers.get('x-frame-options')).toBe('DENY');
  expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  expect(res.headers.get('x-powered-by')).toBeNull();
}

/** Rate-limit counters are shared in Redis across runs and files: each file starts from zero. */
async function clearCounters(url: string) {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', 'ratelimit:*', 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    if (keys.length) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}

/** The service with small write budgets behind one trusted proxy, CORS for two origins, every counter at zero. */
export async function startGuardedStack(): Promise<Stack> {
  await clearCounters(loadConfig().REDIS_URL);
  return startStack({
    HOLD_TTL_SECONDS: '60',
    PAYMENT_TIMEOUT_SECONDS: '60',
    RATE_LIMIT_ENABLED: 'true',
    RATE_LIMIT_WINDOW_SECONDS: String(WINDOW),
    RATE_LIMIT_HOLDS_PER_WINDOW: '3',
    RATE_LIMIT_ORDERS_PER_WINDOW: '2',
    RATE_LIMIT_WEBHOOKS_PER_WINDOW: '2',
    RATE_LIMIT_ADMIN_PER_WINDOW: '20',
    TRUST_PROXY: '1',
    CORS_ORIGINS: `${SHOP}, http://localhost:5173`,
  });
}
