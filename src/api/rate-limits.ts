import { createHash } from 'node:crypto';
import type Redis from 'ioredis';
import type { Middleware } from 'koa';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, RLWrapperTimeouts } from 'rate-limiter-flexible';
import type { ApiState } from './context';
import { rateLimited } from './errors';
import { clientKey, type LimitGroup, type SecuritySettings } from './security';

/** The write endpoints and the group whose budget each one spends (same matching as the router: any case, optional /). */
const LIMITED: [RegExp, LimitGroup][] = [
  [/^\/api\/holds\/?$/i, 'holds'],
  [/^\/api\/holds\/[^/]+\/[a-z]+\/?$/i, 'holds'],
  [/^\/api\/orders\/?$/i, 'orders'],
  [/^\/api\/payments\/webhook\/?$/i, 'webhooks'],
  [/^\/api\/payments\/stripe\/?$/i, 'webhooks'],
  [/^\/api\/admin(\/|$)/i, 'admin'],
];
/** A shop's backend calls these for its customers: with its API key they spend the key's budget instead. */
const KEYED_GROUPS = new Set<LimitGroup>(['holds', 'orders']);
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Past this, a Redis that does not answer is treated as down for the request: the in-memory count decides. */
const REDIS_BUDGET_MS = 100;

export interface RateLimitDeps {
  security?: SecuritySettings;
  /** Shared counters across API processes; absent, or unreachable, means per-process counters in memory. */
  redis?: Redis;
}

type Limiter = RateLimiterMemory | RLWrapperTimeouts;

/**
 * A fixed budget per window, counted in Redis so every API process shares it; when Redis is down, slow or absent the
 * same limit is counted in this process's memory, so a request is never delayed more than REDIS_BUDGET_MS nor
 * refused because of Redis.
 */
function limiter(name: string, points: number, duration: number, redis?: Redis): Limiter {
  const memory = new RateLimiterMemory({ keyPrefix: `ratelimit:${name}`, points, duration });
  if (!redis) return memory;
  const shared = new RateLimiterRedis({
    storeClient: redis,
    keyPrefix: `ratelimit:${name}`,
    points,
    duration,
    rejectIfRedisNotReady: true,
    insuranceLimiter: memory,
  });
  return new RLWrapperTimeouts({ limiter: shared, timeoutMs: REDIS_BUDGET_MS });
}

/** Spends one point of `key`'s budget; past it, 429 with Retry-After (seconds until the window ends). */
async function spend(ctx: { state: ApiState }, l: Limiter, key: string, what: Record<string, unknown>) {
  try {
    await l.consume(key);
  } catch (refusal) {
    if (!(refusal instanceof RateLimiterRes)) {
      // Neither Redis nor memory could count (should not happen): let the request through rather than fail it.
      ctx.state.log.warn({ err: (refusal as Error).message }, 'rate limiter unavailable');
      return;
    }
    const seconds = Math.max(1, Math.ceil(refusal.msBeforeNext / 1000));
    ctx.state.log.info({ ...what, retry_after_s: seconds }, 'rate limited');
    throw rateLimited(seconds);
  }
}

/**
 * Budgets per window for the write endpoints. `byClient` runs before routing: a request with a valid API key spends
 * its key's budget (a shop's backend sends every customer's requests from a few addresses), any other request its
 * address's budget for the endpoint's group. `byCustomer` runs once the body is read: a request naming a
 * `customer_id` also spends that customer's budget, so one customer cannot use up the key's.
 */
export function createRateLimits({ security, redis }: RateLimitDeps) {
  const window = security?.windowSeconds ?? 60;
  const byGroup = new Map<LimitGroup, Limiter>();
  for (const [group, points] of Object.entries(security?.rateLimits ?? {}) as [LimitGroup, number][]) {
    if (points > 0) byGroup.set(group, limiter(group, points, window, redis));
  }
  const perKey = security?.apiKeyLimit ? limiter('apikey', security.apiKeyLimit, window, redis) : null;
  const perCustomer = security?.customerLimit ? limiter('customer', security.customerLimit, window, redis) : null;
  const trustProxy = security?.trustProxy ?? 0;

  const byClient: Middleware<ApiState> = async (ctx, next) => {
    if (READ_METHODS.has(ctx.method)) return next();
    const group = LIMITED.find(([pattern]) => pattern.test(ctx.path))?.[1];
    if (!group) return next();
    const apiKey = ctx.state.apiKeyId;
    if (apiKey && KEYED_GROUPS.has(group)) {
      if (perKey) await spend(ctx, perKey, apiKey, { api_key: apiKey, group });
      return next();
    }
    const l = byGroup.get(group);
    if (l) {
      const client = clientKey(ctx, trustProxy);
      await spend(ctx, l, client, { client, group });
    }
    return next();
  };

  const byCustomer: Middleware<ApiState> = async (ctx, next) => {
    const customer = (ctx.state.body as { customer_id?: unknown } | null)?.customer_id;
    if (perCustomer && !READ_METHODS.has(ctx.method) && typeof customer === 'string' && customer !== '') {
      // Hashed: a customer id may be personal data, and it never needs to be read back from Redis.
      const key = createHash('sha256').update(customer).digest('hex').slice(0, 32);
      await spend(ctx, perCustomer, key, { customer: key.slice(0, 12) });
    }
    return next();
  };

  return {
    byClient,
    byCustomer,
    // Whether either middleware can ever refuse: with no budget configured, the app leaves them out of the chain.
    countsClients: byGroup.size > 0 || perKey !== null,
    countsCustomers: perCustomer !== null,
  };
}
