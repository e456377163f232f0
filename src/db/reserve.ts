import type { Pool, PoolConnection } from 'mysql2/promise';
import { sqlTime } from './time';

/**
 * The reservation as one round trip: the product row is locked, checked, decremented and the hold inserted, and
 * the transaction commits, all on the server, so the hot row is locked only for the server's own work, never
 * across network and event-loop waits. Session variables are reset first (a missing product leaves them NULL).
 * `already` makes a retry after a commit find its own hold instead of taking the stock twice. `shards` and
 * `elsewhere` (stock in shard rows, read without a lock) tell the caller whether a refusal is the whole answer.
 */
export const RESERVE_SQL = `SET @fs_avail = NULL, @fs_shards = NULL, @fs_already = NULL, @fs_ok = 0, @fs_elsewhere = 0;
START TRANSACTION;
SELECT available_stock, stock_shards INTO @fs_avail, @fs_shards FROM products WHERE id = ? FOR UPDATE;
SELECT COUNT(*) INTO @fs_already FROM holds WHERE id = ?;
UPDATE products SET available_stock = available_stock - ?, updated_at = ?
  WHERE id = ? AND @fs_already = 0 AND @fs_avail >= ?;
SET @fs_ok = ROW_COUNT();
INSERT INTO holds (id, product_id, quantity, hold_expires_at, created_at, updated_at)
  SELECT ?, ?, ?, ?, ?, ? FROM DUAL WHERE @fs_ok = 1;
SELECT COALESCE(SUM(available), 0) INTO @fs_elsewhere FROM stock_shards WHERE product_id = ? AND @fs_ok = 0;
COMMIT;
SELECT @fs_avail AS available, @fs_already AS already, @fs_ok AS reserved, @fs_shards AS shards,
  @fs_elsewhere AS elsewhere`;

export const reserveParams = (holdId: number, productId: number, quantity: number, now: Date, expiresAt: Date) => {
  const at = sqlTime(now);
  return [
    productId,
    holdId,
    quantity,
    at,
    productId,
    quantity,
    holdId,
    productId,
    quantity,
    sqlTime(expiresAt),
    at,
    at,
    productId,
  ];
};

/**
 * The same round trip on one stock shard of a hot product: only that shard's row is locked (the hold's insert takes
 * a shared lock on the product row for its foreign key, which other shards' inserts share). A missing shard row
 * leaves `available` NULL: the caller then reserves across every shard.
 */
export const SHARD_RESERVE_SQL = `SET @fs_avail = NULL, @fs_already = NULL, @fs_ok = 0;
START TRANSACTION;
SELECT available INTO @fs_avail FROM stock_shards WHERE product_id = ? AND shard = ? FOR UPDATE;
SELECT COUNT(*) INTO @fs_already FROM holds WHERE id = ?;
UPDATE stock_shards SET available = available - ?, updated_at = ?
  WHERE product_id = ? AND shard = ? AND @fs_already = 0 AND @fs_avail >= ?;
SET @fs_ok = ROW_COUNT();
INSERT INTO holds (id, product_id, quantity, stock_shard, hold_expires_at, created_at, updated_at)
  SELECT ?, ?, ?, ?, ?, ?, ? FROM DUAL WHERE @fs_ok = 1;
COMMIT;
SELECT @fs_avail AS available, @fs_already AS already, @fs_ok AS reserved`;

const shardReserveParams = (
  holdId: number,
  productId: number,
  shard: number,
  quantity: number,
  now: Date,
  expiresAt: Date,
) => {
  const at = sqlTime(now);
  return [
    productId,
    shard,
    holdId,
    quantity,
    at,
    productId,
    shard,
    quantity,
    holdId,
    productId,
    quantity,
    shard,
    sqlTime(expiresAt),
    at,
    at,
  ];
};

export interface ReserveOutcome {
  /** Stock before this reservation: exact for the product when `exact`, else only the row that was locked. */
  available: number | null;
  already: boolean;
  reserved: boolean;
  /** The product's shard count when the database said (null: not read in this path). */
  shards: number | null;
  /** `available` is the whole product's stock, read under every lock that could change it. */
  exact: boolean;
  /** The refusal covered only part of the product's stock: reserve across every shard instead. */
  partial: boolean;
}

/** Runs a multi-statement batch on one connection; an error mid-way rolls the transaction back before release. */
async function runBatch(pool: Pool, sql: string, params: unknown[]): Promise<Record<string, unknown>> {
  const conn = await pool.getConnection();
  let results: unknown[];
  try {
    [results] = (await conn.query(sql, params)) as unknown as [unknown[]];
    conn.release();
  } catch (err) {
    // The batch stopped at the failing statement, possibly inside the transaction: never hand that back.
    await abandon(conn);
    throw err;
  }
  return (results[results.length - 1] as Record<string, unknown>[])[0];
}

async function abandon(conn: PoolConnection) {
  try {
    await conn.query('ROLLBACK');
    conn.release();
  } catch {
    conn.destroy();
  }
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/** The product-row reservation (every unsharded product, and shard 0 of the hot-path choice). */
export async function runReservation(pool: Pool, params: unknown[]): Promise<ReserveOutcome> {
  const row = await runBatch(pool, RESERVE_SQL, params);
  const available = num(row.available);
  const shards = num(row.shards);
  const elsewhere = num(row.elsewhere) ?? 0;
  const reserved = Number(row.reserved) === 1;
  const quantity = Number(params[2]);
  return {
    available: available === null ? null : available + (reserved ? 0 : elsewhere),
    already: Number(row.already) > 0,
    reserved,
    shards,
    exact: shards === 1 && elsewhere === 0,
    // Sharded now, or unsharded with units that came back to old shard rows: only the full path sees them all.
    partial: !reserved && available !== null && ((shards ?? 1) > 1 || available + elsewhere >= quantity),
  };
}

export interface ReserveRequest {
  holdId: number;
  productId: number;
  quantity: number;
  now: Date;
  expiresAt: Date;
}

/** One shard's reservation: a refusal or a missing row only means "ask every shard". */
export async function runShardReservation(pool: Pool, r: ReserveRequest, shard: number): Promise<ReserveOutcome> {
  const row = await runBatch(
    pool,
    SHARD_RESERVE_SQL,
    shardReserveParams(r.holdId, r.productId, shard, r.quantity, r.now, r.expiresAt),
  );
  const reserved = Number(row.reserved) === 1;
  const already = Number(row.already) > 0;
  return {
    available: num(row.available),
    already,
    reserved,
    shards: null,
    exact: false,
    partial: !reserved && !already,
  };
}

/**
 * The slow path of a sharded product (a shard ran dry, or the shard count changed): every shard row and then the
 * product row are locked (the order every multi-row stock writer uses), so the total is exact; the units come from
 * the preferred shard first, then the fullest ones. The hold records the first shard it took from, and its release
 * returns all its units there: conservation is about the sum, not the spread.
 */
export async function runFullReservation(pool: Pool, r: ReserveRequest, preferred: number): Promise<ReserveOutcome> {
  const conn = await pool.getConnection();
  try {
    await conn.query('START TRANSACTION');
    const [shardRows] = await conn.query(
      'SELECT shard, available FROM stock_shards WHERE product_id = ? ORDER BY shard FOR UPDATE',
      [r.productId],
    );
    const [productRows] = await conn.query(
      'SELECT available_stock, stock_shards FROM products WHERE id = ? FOR UPDATE',
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
      ...o,
    });
    if (!product) {
      await conn.query('ROLLBACK');
      conn.release();
      return outcome({});
    }
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
      `INSERT INTO holds (id, product_id, quantity, stock_shard, hold_expires_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [r.holdId, r.productId, r.quantity, recorded ?? 0, sqlTime(r.expiresAt), at, at],
    );
    await conn.query('COMMIT');
    conn.release();
    return outcome({ available: total, reserved: true });
  } catch (err) {
    await abandon(conn);
    throw err;
  }
}

/**
 * The reservation as the worker makes it: a hold takes from shard 1 + (id mod N) of a sharded product, from the
 * product row otherwise, and across every shard when that one is short. Shard counts are remembered as the database
 * last reported them; a stale count only costs one slow-path reservation, which reads the current one.
 */
export function createReserver(pool: Pool) {
  const shardCounts = new Map<number, number>();
  const noteShards = (productId: number, shards: number | null) => {
    if (shards === null) return;
    if (shards > 1) shardCounts.set(productId, shards);
    else shardCounts.delete(productId);
  };
  return async function reserve(r: ReserveRequest): Promise<ReserveOutcome> {
    const shards = shardCounts.get(r.productId) ?? 1;
    const shard = shards > 1 ? 1 + (r.holdId % shards) : 0;
    const first =
      shard === 0
        ? await runReservation(pool, reserveParams(r.holdId, r.productId, r.quantity, r.now, r.expiresAt))
        : await runShardReservation(pool, r, shard);
    noteShards(r.productId, first.shards);
    if (!first.partial) return first;
    const full = await runFullReservation(pool, r, shard);
    noteShards(r.productId, full.shards);
    return full;
  };
}
