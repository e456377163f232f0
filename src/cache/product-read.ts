import type Redis from 'ioredis';
import type { Logger } from '../logger';
import type { ProductView } from '../shared/views';
import { genKey, productKey as key, writingKey } from './keys';

/** How long a cached product may live; every committed stock change also drops it at once. */
export const PRODUCT_CACHE_TTL_SECONDS = 60;

export const REDIS_NOW_MS = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

// Writes the entry only if no writer has invalidated since the reader took its generation, so a slow reader can never
// put back stock older than the last commit, and only when no stock write is under way (which might commit unseen).
const FILL_IF_CURRENT = `${REDIS_NOW_MS}
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
if redis.call('ZCARD', KEYS[3]) > 0 then return 0 end
local g = redis.call('GET', KEYS[2]) or ''
if g == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3]) return 1 end
return 0`;

function isProductView(v: unknown, id: number): v is ProductView {
  const p = v as ProductView;
  return (
    typeof p === 'object' &&
    p !== null &&
    p.id === id &&
    typeof p.name === 'string' &&
    Number.isInteger(p.total_stock) &&
    Number.isInteger(p.available_stock) &&
    p.available_stock >= 0 &&
    typeof p.price === 'number' &&
    typeof p.created_at === 'string' &&
    typeof p.updated_at === 'string'
  );
}

/** The last entry read per product, already checked: an unchanged entry is not parsed and checked again. */
export type CheckedEntries = Map<number, { raw: string; product: ProductView }>;

/** The cached entry, checked; null when there is none or it is malformed. */
function checkedEntry(log: Logger, id: number, raw: string, checked: CheckedEntries): ProductView | null {
  const known = checked.get(id);
  if (known?.raw === raw) return known.product;
  const parsed: unknown = JSON.parse(raw);
  if (!isProductView(parsed, id)) {
    log.warn({ product_id: id }, 'ignoring malformed product cache entry');
    return null;
  }
  if (checked.size >= 10_000) checked.clear();
  // Frozen: every request that reads the entry shares this one object.
  checked.set(id, { raw, product: Object.freeze(parsed) });
  return parsed;
}

/** Reads the cached entry, else loads it and fills the cache unless a stock write or invalidation came meanwhile. */
export async function readThrough(
  redis: Redis,
  log: Logger,
  id: number,
  load: () => Promise<ProductView | null>,
  checked: CheckedEntries,
): Promise<ProductView | null> {
  let gen: string | null = null;
  try {
    const cached = await redis.get(key(id));
    const product = cached ? checkedEntry(log, id, cached, checked) : null;
    if (product) return product;
    // Taken before the database is read: a fill is refused if any writer invalidated after this point.
    gen = (await redis.get(genKey(id))) ?? '';
  } catch (err) {
    log.debug({ err: (err as Error).message, product_id: id }, 'product cache read failed');
    gen = null;
  }
  const product = await load();
  if (product && gen !== null) {
    await redis
      .eval(
        FILL_IF_CURRENT,
        3,
        key(id),
        genKey(id),
        writingKey(id),
        gen,
        JSON.stringify(product),
        PRODUCT_CACHE_TTL_SECONDS,
      )
      .catch((err: Error) => log.debug({ err: err.message, product_id: id }, 'product cache fill failed'));
  }
  return product;
}
