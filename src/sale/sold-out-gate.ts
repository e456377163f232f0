import type { StockGate } from '../cache/product-cache';
import type { SaleDeps } from './deps';

/** How long one read of a product's committed stock answers the gate's sold-out requests. */
const CONFIRM_MS = 1_000;

/**
 * The sold-out gate's answer to a hold request. The gate (Redis) only says when to look; MariaDB says what to answer,
 * with a primary-key read of the committed stock (no lock, no Temporal), so a wrong or poisoned gate entry can never
 * refuse stock that exists. A gate found wrong is dropped.
 */
export function createSoldOutGate({ models, cache }: Pick<SaleDeps, 'models' | 'cache'>) {
  // The committed stock behind a gate figure, read at most once a second per product (and again whenever the gate's
  // epoch moves, i.e. stock came back): a stampede of sold-out requests costs MariaDB one primary-key read a second,
  // not one per request. Concurrent requests share the read in flight.
  const confirmed = new Map<number, { epoch: string; at: number; available: Promise<number> }>();
  const committedStock = (productId: number, epoch: string): Promise<number> => {
    const known = confirmed.get(productId);
    if (known && known.epoch === epoch && Date.now() - known.at < CONFIRM_MS) return known.available;
    if (confirmed.size >= 10_000) confirmed.clear();
    // The whole product's stock (its row plus any shards: the model's default scope sums them).
    const available = models.Product.findByPk(productId, { raw: true }).then((row) =>
      Number(row?.available_stock ?? 0),
    );
    confirmed.set(productId, { epoch, at: Date.now(), available });
    available.catch(() => confirmed.delete(productId));
    return available;
  };

  return {
    read: (productId: number): Promise<StockGate | null> => cache.readGate(productId),

    /** The units available when the committed stock is below `quantity` (the request is refused), else null. */
    async soldOut(gate: StockGate | null, productId: number, quantity: number): Promise<number | null> {
      if (gate?.available == null || quantity <= gate.available) return null;
      const available = await committedStock(productId, gate.epoch);
      if (quantity <= available) {
        confirmed.delete(productId);
        await cache.invalidate([productId]);
        return null;
      }
      return available;
    },
  };
}

export type SoldOutGate = ReturnType<typeof createSoldOutGate>;
