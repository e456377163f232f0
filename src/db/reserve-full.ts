import type { Pool, PoolConnection } from 'mysql2/promise';
import { abandon, type BeforeStockWrite, type ReserveOutcome, type ReserveRequest } from './reserve';
import { sqlTime } from './time';

/**
 * The customer's purchase limit on the slow path, with the product row already locked: the same lock row and the same
 * sum as the one-round-trip batches (src/db/reserve.ts explains the order). Null when the hold is within the limit.
 */
async function limitRefusal(conn: PoolConnection, r: ReserveRequest, max: number | null): Promise<number | null> {
  if (max === null || !r.customerId) return null;
  await conn.query(
    `INSERT INTO customer_limit_locks (product_id, customer_id) VALUES (?, ?)
     ON DUPLICATE KEY UPDATE customer_id = customer_id`,
    [r.productId, r.customerId],
  );
  const [[mine]] = (await conn.query(
    `SELECT COALESCE(SUM(quantity), 0) AS units FROM holds
     WHERE customer_id = ? AND product_id = ? AND released_at IS NULL AND (used_at IS NOT NULL OR hold_expires_at > ?)`,
    [r.customerId, r.productId, sqlTime(r.now)],
  )) as unknown as [{ units: number }[]];
  return Number(mine.units) + r.quantity > max ? max : null;
}

/**
 * The slow path of a sharded product (a shard ran dry, or the shard count changed): every shard row and then the
 * product row are locked (the order every multi-row stock writer uses), so the total is exact; the units come from
 * the preferred shard first, then the fullest ones. The hold records the first shard it took from, and its release
 * returns all its units there: conservation is about the sum, not the spread.
 */
export async function runFullReservation(
  pool: Pool,
  r: ReserveRequest,
  preferred: number,
  beforeSend?: BeforeStockWrite,
): Promise<ReserveOutcome> {
  const conn = await pool.getConnection();
  try {
    // Its COMMIT is a statement of its own: a worker that dies before sending it leaves nothing committed. Marked all
    // the same, for the instant between sending it and hearing back.
    await beforeSend?.(r.productId, r.holdId);
    await conn.query('START TRANSACTION');
    const [shardRows] = await conn.query(
      'SELECT shard, available FROM stock_shards WHERE product_id = ? ORDER BY shard FOR UPDATE',
      [r.productId],
    );
    const [productRows] = await conn.query(
      'SELECT available_stock, stock_shards, max_per_customer FROM products WHERE id = ? FOR UPDATE',
      [r.productId],
    );
    const product = (productRows as Record<string, unknown>[])[0];
    const outcome = (o: Partial<ReserveOutcome>): ReserveOutcome => ({
      available: null,
      already: false,
      reserved: false,
      shards: product ? Number(product.stock_shards) : null,
      exact: true,
      partial: false,
      customerLimit: null,
      ...o,
    });
    if (!product) {
      await conn.query('ROLLBACK');
      conn.release();
      return outcome({});
    }
    const max = product.max_per_customer === null ? null : Number(product.max_per_customer);
    const overLimit = await limitRefusal(conn, r, max);
    const [[mine]] = (await conn.query('SELECT COUNT(*) AS n FROM holds WHERE id = ?', [r.holdId])) as unknown as [
      { n: number }[],
    ];
    const sources = [
      ...(shardRows as { shard: number; available: number }[]).map((s) => ({
        shard: Number(s.shard),
        available: Number(s.available),
      })),
      { shard: 0, available: Number(product.available_stock) },
    ];
    const total = sources.reduce((sum, s) => sum + s.available, 0);
    if (Number(mine.n) === 0 && overLimit !== null) {
      await conn.query('COMMIT');
      conn.release();
      return outcome({ available: total, customerLimit: overLimit });
    }
    if (Number(mine.n) > 0 || total < r.quantity) {
      await conn.query('COMMIT');
      conn.release();
      return outcome({ available: total, already: Number(mine.n) > 0 });
    }
    sources.sort((a, b) => Number(b.shard === preferred) - Number(a.shard === preferred) || b.available - a.available);
    const at = sqlTime(r.now);
    let left = r.quantity;
    let recorded: number | null = null;
    for (const s of sources) {
      if (left === 0) break;
      const take = Math.min(left, s.available);
      if (take === 0) continue;
      recorded ??= s.shard;
      left -= take;
      if (s.shard === 0) {
        await conn.query('UPDATE products SET available_stock = available_stock - ?, updated_at = ? WHERE id = ?', [
          take,
          at,
          r.productId,
        ]);
      } else {
        await conn.query(
          'UPDATE stock_shards SET available = available - ?, updated_at = ? WHERE product_id = ? AND shard = ?',
          [take, at, r.productId, s.shard],
        );
      }
    }
    await conn.query(
      `INSERT INTO holds (id, product_id, quantity, customer_id, stock_shard, hold_expires_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [r.holdId, r.productId, r.quantity, r.customerId ?? null, recorded ?? 0, sqlTime(r.expiresAt), at, at],
    );
    await conn.query('COMMIT');
    conn.release();
    return outcome({ available: total, reserved: true });
  } catch (err) {
    await abandon(conn);
    throw err;
  }
}
