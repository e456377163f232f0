import type Redis from 'ioredis';
import type { Logger } from '../logger';
import type { ProductView } from '../shared/views';

const TTL_SECONDS = 60;
const key = (id: number) => `product:${id}`;
const genKey = (id: number) => `product:${id}:gen`;

// Writes the entry only if no writer has invalidated since the reader took its generation,
// so a slow reader can never put back stock older than the last commit.
const FILL_IF_CURRENT = `
local g = redis.call('GET', KEYS[2]) or ''
if g == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3]) return 1 end
return 0`;

export interface ProductCache {
  /** Read-through: the cached product, or the loader's answer (then cached). Redis trouble falls back to the loader. */
  read(id: number, load: () => Promise<ProductView | null>): Promise<ProductView | null>;
  /** Call after the transaction that changed these products has committed. */
  invalidate(ids: number[]): Promise<void>;
}

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

export function createProductCache(redis: Redis, log: Logger): ProductCache {
  return {
    async read(id, load) {
      let gen: string | null = null;
      try {
        const [cached, g] = await redis.mget(key(id), genKey(id));
        gen = g ?? '';
        if (cached) {
          const parsed: unknown = JSON.parse(cached);
          if (isProductView(parsed, id)) return parsed;
          log.warn({ product_id: id }, 'ignoring malformed product cache entry');
        }
      } catch (err) {
        log.debug({ err: (err as Error).message, product_id: id }, 'product cache read failed');
        gen = null;
      }
      const product = await load();
      if (product && gen !== null) {
        await redis
          .eval(FILL_IF_CURRENT, 2, key(id), genKey(id), gen, JSON.stringify(product), TTL_SECONDS)
          .catch((err: Error) => log.debug({ err: err.message, product_id: id }, 'product cache fill failed'));
      }
      return product;
    },
    async invalidate(ids) {
      if (ids.length === 0) return;
      const tx = redis.multi();
      for (const id of ids) tx.incr(genKey(id)).del(key(id));
      await tx
        .exec()
        .catch((err: Error) => log.warn({ err: err.message, product_ids: ids }, 'product cache invalidation failed'));
    },
  };
}
