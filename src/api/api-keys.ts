import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Middleware } from 'koa';
import type { ApiState } from './context';
import { unauthorized } from './errors';

/** A key's name in logs and rate-limit counters: a fingerprint that cannot be turned back into the key. */
export const keyFingerprint = (key: string) => `key_${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;

/**
 * The shop's API keys (API_KEYS, docs/integration.md). `identify` runs on every request: a `Bearer` credential that is
 * one of the keys marks the request with the key's fingerprint (never the key) and refuses nothing, so rate limits can
 * count by key. `require` guards the routers that need a key: without a valid one, 401. No keys configured: the API is
 * open and both let everything through.
 */
export function createApiKeys(keys: string[]) {
  // Compared as HMACs of equal length, every key every time: the time taken says nothing about which bytes matched.
  const salt = createHash('sha256').update(keys.join('\n')).digest();
  const digest = (value: string) => createHmac('sha256', salt).update(value).digest();
  const known = keys.map((key) => ({ digest: digest(key), id: keyFingerprint(key) }));

  const match = (presented: string): string | undefined => {
    const given = digest(presented);
    let id: string | undefined;
    for (const k of known) if (timingSafeEqual(given, k.digest) && id === undefined) id = k.id;
    return id;
  };

  const identify: Middleware<ApiState> = async (ctx, next) => {
    if (known.length > 0) {
      const bearer = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(ctx.get('Authorization'));
      const id = bearer ? match(bearer[1]) : undefined;
      if (id) {
        ctx.state.apiKeyId = id;
        ctx.state.log = ctx.state.log.child({ api_key: id });
      }
    }
    await next();
  };

  const require: Middleware<ApiState> = async (ctx, next) => {
    if (known.length > 0 && !ctx.state.apiKeyId) {
      throw unauthorized({ 'WWW-Authenticate': 'Bearer' });
    }
    await next();
  };

  return { enabled: known.length > 0, identify, require };
}

export type ApiKeys = ReturnType<typeof createApiKeys>;
