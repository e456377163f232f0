import type { Pool, PoolConnection } from 'mysql2/promise';
import { runFullReservation } from './reserve-full';
import { sqlTime } from './time';

/**
 * A product's purchase limit, checked inside the reservation's own transaction. A limited product's holds for one
 * customer are serialised on that customer's row in customer_limit_locks (whichever stock row each hold locks: shards
 * of one product are locked independently), and the units the customer already has are summed only once that lock
 * is held. Every lock before it is a locking read and the sum is the transaction's first plain read, so its snapshot
 * is taken after the lock: it sees every hold of the customer's committed before. Expired holds no longer count
 * (an expired hold can no longer be ordered); ordered ones do until their order is cancelled (released_at set).
 * `@fs_max` must be set, under a lock on the product row, before this runs.
 */
const CUSTOMER_LIMIT_SQL = `INSERT INTO customer_limit_locks (product_id, customer_id)
  SELECT :productId, :customerId FROM DUAL WHERE @fs_max IS NOT NULL AND :customerId IS NOT NULL
  ON DUPLICATE KEY UPDATE customer_id = customer_id;
SELECT COUNT(*) INTO @fs_already FROM holds WHERE id = :holdId;
SELECT COALESCE(SUM(quantity), 0) INTO @fs_mine FROM holds
  WHERE customer_id = :customerId AND product_id = :productId AND @fs_max IS NOT NULL AND released_at IS NULL
    AND (used_at IS NOT NULL OR hold_expires_at > :now);
SET @fs_within = @fs_max IS NULL OR :customerId IS NULL OR @fs_already > 0 OR @fs_mine + :quantity <= @fs_max;`;

/**
 * The reservation as one round trip: the product row is locked, checked, decremented and the hold inserted, and
 * the transaction commits, all on the server, so the hot row is locked only for the server's own work, never
 * across network and event-loop waits. Session variables are reset first (a missing product leaves them NULL).
 * `already` makes a retry after a commit find its own hold instead of taking the stock twice. `shards` and
 * `elsewhere` (stock in shard rows, read without a lock) tell the caller whether a refusal is the whole answer.
 */
export const RESERVE_SQL = `SET @fs_avail = NULL, @fs_shards = NULL, @fs_max = NULL, @fs_already = NULL, @fs_mine = 0,
  @fs_within = 1, @fs_ok = 0, @fs_elsewhere = 0;
START TRANSACTION;
SELECT available_stock, stock_shards, max_per_customer INTO @fs_avail, @fs_shards, @fs_max
  FROM products WHERE id = :productId FOR UPDATE;
${CUSTOMER_LIMIT_SQL}
UPDATE products SET available_stock = available_stock - :quantity, updated_at = :now
  WHERE id = :productId AND @fs_already = 0 AND @fs_within AND @fs_avail >= :quantity;
SET @fs_ok = ROW_COUNT();
INSERT INTO holds (id, product_id, quantity, customer_id, hold_expires_at, created_at, updated_at)
  SELECT :holdId, :productId, :quantity, :customerId, :expiresAt, :now, :now FROM DUAL WHERE @fs_ok = 1;
SELECT COALESCE(SUM(available), 0) INTO @fs_elsewhere FROM stock_shards
  WHERE product_id = :productId AND @fs_ok = 0 AND @fs_within;
COMMIT;
SELECT @fs_avail AS available, @fs_already AS already, @fs_ok AS reserved, @fs_shards AS shards,
  @fs_elsewhere AS elsewhere, @fs_within AS within_limit, @fs_max AS max_per_customer`;

export type ReserveParams = Record<'holdId' | 'productId' | 'quantity' | 'now' | 'expiresAt' | 'customerId', SqlValue>;
type SqlValue = string | number | null;

export const reserveParams = (
  holdId: number,
  productId: number,
  quantity: number,
  now: Date,
  expiresAt: Date,
  customerId: string | null = null,
): ReserveParams => ({ holdId, productId, quantity, now: sqlTime(now), expiresAt: sqlTime(expiresAt), customerId });

/**
 * The same round trip on one stock shard of a hot product: only that shard's row is locked (the product row is read
 * under a shared lock, which other shards' reservations share, and which the hold's insert needs for its foreign key
 * anyway). A missing shard row leaves `available` NULL: the caller then reserves across every shard.
 */
export const SHARD_RESERVE_SQL = `SET @fs_avail = NULL, @fs_max = NULL, @fs_already = NULL, @fs_mine = 0,
  @fs_within = 1, @fs_ok = 0;
START TRANSACTION;
SELECT available INTO @fs_avail FROM stock_shards WHERE product_id = :productId AND shard = :shard FOR UPDATE;
SELECT max_per_customer INTO @fs_max FROM products WHERE id = :productId LOCK IN SHARE MODE;
${CUSTOMER_LIMIT_SQL}
UPDATE stock_shards SET available = available - :quantity, updated_at = :now
  WHERE product_id = :productId AND shard = :shard AND @fs_already = 0 AND @fs_within AND @fs_avail >= :quantity;
SET @fs_ok = ROW_COUNT();
INSERT INTO holds (id, product_id, quantity, customer_id, stock_shard, hold_expires_at, created_at, updated_at)
  SELECT :holdId, :productId, :quantity, :customerId, :shard, :expiresAt, :now, :now FROM DUAL WHERE @fs_ok = 1;
COMMIT;
SELECT @fs_avail AS available, @fs_already AS already, @fs_ok AS reserved, @fs_within AS within_limit,
  @fs_max AS max_per_customer`;

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
  /** The product's max_per_customer when the customer's limit refused the hold (a final answer), else null. */
  customerLimit: number | null;
}

/**
 * Called with a connection in hand, right before a reservation's transaction is sent: from then on it may commit
 * whatever becomes of this process (the product cache uses it to stop caching the product meanwhile).
 */
export type BeforeStockWrite = (productId: number, holdId: number) => Promise<void>;

/** Runs a multi-statement batch on one connection; an error mid-way rolls the transaction back before release. */
async function runBatch(
  pool: Pool,
  sql: string,
  params: Record<string, SqlValue>,
  beforeSend?: BeforeStockWrite,
): Promise<Record<string, unknown>> {
  const conn = await pool.getConnection();
  let results: unknown[];
  try {
    await beforeSend?.(Number(params.productId), Number(params.holdId));
    [results] = (await conn.query({ sql, namedPlaceholders: true }, params)) as unknown as [unknown[]];
    conn.release();
  } catch (err) {
    // The batch stopped at the failing statement, possibly inside the transaction: never hand that back.
    await abandon(conn);
    throw err;
  }
  return (results[results.length - 1] as Record<string, unknown>[])[0];
}

export async function abandon(conn: PoolConnection) {
  try {
    await conn.query('ROLLBACK');
    conn.release();
  } catch {
    conn.destroy();
  }
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const limitRefusal = (row: Record<string, unknown>) =>
  Number(row.within_limit) === 1 ? null : Number(row.max_per_customer);

/** The product-row reservation (every unsharded product, and shard 0 of the hot-path choice). */
export async function runReservation(
  pool: Pool,
  params: ReserveParams,
  beforeSend?: BeforeStockWrite,
): Promise<ReserveOutcome> {
  const row = await runBatch(pool, RESERVE_SQL, params, beforeSend);
  const available = num(row.available);
  const shards = num(row.shards);
  const elsewhere = num(row.elsewhere) ?? 0;
  const reserved = Number(row.reserved) === 1;
  const customerLimit = limitRefusal(row);
  const quantity = Number(params.quantity);
  return {
    available: available === null ? null : available + (reserved ? 0 : elsewhere),
    already: Number(row.already) > 0,
    reserved,
    shards,
    exact: shards === 1 && elsewhere === 0,
    // Sharded now, or unsharded with units that came back to old shard rows: only the full path sees them all.
    partial:
      !reserved &&
      customerLimit === null &&
      available !== null &&
      ((shards ?? 1) > 1 || available + elsewhere >= quantity),
    customerLimit,
  };
}

export interface ReserveRequest {
  holdId: number;
  productId: number;
  quantity: number;
  now: Date;
  expiresAt: Date;
  /** The shop's customer (POST /api/holds customer_id); null or absent: no purchase limit applies. */
  customerId?: string | null;
}

const requestParams = (r: ReserveRequest) =>
  reserveParams(r.holdId, r.productId, r.quantity, r.now, r.expiresAt, r.customerId ?? null);

/** One shard's reservation: a stock refusal or a missing row only means "ask every shard". */
export async function runShardReservation(
  pool: Pool,
  r: ReserveRequest,
  shard: number,
  beforeSend?: BeforeStockWrite,
): Promise<ReserveOutcome> {
  const row = await runBatch(pool, SHARD_RESERVE_SQL, { ...requestParams(r), shard }, beforeSend);
  const reserved = Number(row.reserved) === 1;
  const already = Number(row.already) > 0;
  const customerLimit = limitRefusal(row);
  return {
    available: num(row.available),
    already,
    reserved,
    shards: null,
    exact: false,
    partial: !reserved && !already && customerLimit === null,
    customerLimit,
  };
}

/**
 * The reservation as the worker makes it: a hold takes from shard 1 + (id mod N) of a sharded product, from the
 * product row otherwise, and across every shard when that one is short. Shard counts are remembered as the database
 * last reported them; a stale count only costs one slow-path reservation, which reads the current one.
 */
export function createReserver(pool: Pool, beforeSend?: BeforeStockWrite) {
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
        ? await runReservation(pool, requestParams(r), beforeSend)
        : await runShardReservation(pool, r, shard, beforeSend);
    noteShards(r.productId, first.shards);
    if (!first.partial) return first;
    const full = await runFullReservation(pool, r, shard, beforeSend);
    noteShards(r.productId, full.shards);
    return full;
  };
}
