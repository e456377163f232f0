import { availableStockSql } from '../src/db/models';

/** The conservation rule for one product, as the tests and the bench read it. */
export interface Conservation {
  product_id: number;
  stock_put_in: number;
  available_stock: number;
  unreleased_quantity: number;
  holds: number;
  /** Units given out beyond the stock put in (an oversell), or a negative available_stock. */
  oversold: number;
  ok: boolean;
}

/** Runs one SELECT with `?` placeholders (Sequelize or a mysql2 pool, whichever the caller holds). */
export type SelectRows = (sql: string, params: unknown[]) => Promise<Record<string, unknown>[]>;

/**
 * available_stock (shards included) + the quantities of unreleased holds must equal the stock put in
 * (total_stock, unless the caller keeps its own ledger). One statement, so one consistent snapshot: two separate
 * reads could straddle a commit. The chaos checker applies the same rule to every product at once (harness/checker/checker.ts).
 */
export async function readConservation(select: SelectRows, productId: number): Promise<Conservation> {
  const [p] = await select(
    `SELECT p.total_stock, ${availableStockSql('p')} AS available_stock,
            (SELECT SUM(CASE WHEN h.released_at IS NULL THEN h.quantity ELSE 0 END) FROM holds h WHERE h.product_id = p.id) AS q,
            (SELECT COUNT(*) FROM holds h WHERE h.product_id = p.id) AS n
     FROM products p WHERE p.id = ?`,
    [productId],
  );
  if (!p) throw new Error(`product ${productId} does not exist`);
  const unreleased = Number(p.q ?? 0);
  const total = Number(p.total_stock);
  const available = Number(p.available_stock);
  return {
    product_id: productId,
    stock_put_in: total,
    available_stock: available,
    unreleased_quantity: unreleased,
    holds: Number(p.n),
    oversold: Math.max(0, unreleased - total) + Math.max(0, -available),
    ok: available + unreleased === total && available >= 0,
  };
}
