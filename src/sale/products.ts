import { productView } from '../db/views';
import type { ProductView } from '../shared/views';
import type { SaleDeps } from './deps';

/** How long a product read stays cached (the API documents it). */
export { PRODUCT_CACHE_TTL_SECONDS } from '../cache/product-cache';

/** A product through the Redis read-through cache (MariaDB on a miss), or null when there is none. */
export function readProduct({ models, cache }: Pick<SaleDeps, 'models' | 'cache'>, id: number) {
  return cache.read(id, async (): Promise<ProductView | null> => {
    const row = await models.Product.findByPk(id, { raw: true });
    return row ? productView(row as unknown as Record<string, unknown>) : null;
  });
}

/**
 * Whether a product exists, for the hot path of a hold. Products are never deleted (holds reference them), so once
 * seen, an id is known to exist and the lookup is skipped. A stale entry could only send a request on to the
 * reservation, which refuses an unknown product itself.
 */
export function createProductDirectory(deps: Pick<SaleDeps, 'models' | 'cache'>) {
  const known = new Set<number>();
  return async function productExists(id: number): Promise<boolean> {
    if (known.has(id)) return true;
    const found = (await readProduct(deps, id)) !== null;
    if (found && known.size < 100_000) known.add(id);
    return found;
  };
}
