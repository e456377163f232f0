import { QueryTypes, type Sequelize } from 'sequelize';
import { sqlTime } from './time';

/** Most stock shards one product may have (each is a row a hold can lock on its own). */
export const MAX_STOCK_SHARDS = 64;

export interface StockChange {
  /** New shard count; omitted keeps the current one. */
  shards?: number;
  /** Units added to the product's stock (a restock), counted in total_stock too. */
  add?: number;
  /** total_stock may not pass this. */
  maxTotal?: number;
}

export type StockChangeResult = 'done' | 'not_found' | 'over_max';

/**
 * Spreads a product's available stock evenly over its shards (1: all of it on the product row), optionally after
 * adding a restock, under every lock that guards it: shard rows first, then the product row (the order of every
 * multi-row stock writer). Holds keep the shard they took from; shard rows are never deleted, so their release
 * always finds a row, and units returned to a shard beyond the count are found by the reservation's slow path.
 */
export async function changeStock(db: Sequelize, productId: number, change: StockChange): Promise<StockChangeResult> {
  return db.transaction(async (t) => {
    const shardRows = await db.query<{ shard: number; available: number }>(
      'SELECT shard, available FROM stock_shards WHERE product_id = :productId ORDER BY shard FOR UPDATE',
      { replacements: { productId }, transaction: t, type: QueryTypes.SELECT },
    );
    const [product] = await db.query<{ available_stock: number; total_stock: number; stock_shards: number }>(
      'SELECT available_stock, total_stock, stock_shards FROM products WHERE id = :productId FOR UPDATE',
      { replacements: { productId }, transaction: t, type: QueryTypes.SELECT },
    );
    if (!product) return 'not_found';
    const add = change.add ?? 0;
    if (change.maxTotal !== undefined && Number(product.total_stock) + add > change.maxTotal) return 'over_max';
    const shards = change.shards ?? Number(product.stock_shards);
    const total = shardRows.reduce((sum, s) => sum + Number(s.available), Number(product.available_stock) + add);
    const now = sqlTime(new Date());
    // Shard n (1..N) gets an even share, the first `total mod N` one more; with N = 1 everything is on the product row.
    const share = (n: number) => (shards === 1 ? 0 : Math.floor(total / shards) + (n <= total % shards ? 1 : 0));
    const highest = Math.max(shards === 1 ? 0 : shards, ...shardRows.map((s) => Number(s.shard)));
    const rows = Array.from({ length: highest }, (_, i) => i + 1).map((n) => [
      productId,
      n,
      n <= shards ? share(n) : 0,
      now,
    ]);
    if (rows.length > 0) {
      await db.query(
        `INSERT INTO stock_shards (product_id, shard, available, updated_at) VALUES ${rows.map(() => '(?)').join(', ')}
         ON DUPLICATE KEY UPDATE available = VALUES(available), updated_at = VALUES(updated_at)`,
        { replacements: rows, transaction: t, type: QueryTypes.INSERT },
      );
    }
    await db.query(
      `UPDATE products SET available_stock = :onRow, total_stock = total_stock + :add, stock_shards = :shards,
       updated_at = :now WHERE id = :productId`,
      {
        replacements: { onRow: shards === 1 ? total : 0, add, shards, now, productId },
        transaction: t,
        type: QueryTypes.UPDATE,
      },
    );
    return 'done';
  });
}
