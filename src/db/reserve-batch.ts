import { sqlValues, type ReservationDb, type ReserveOutcome, type ReserveRequest } from './reserve-request';
import { lockWaitBounded } from './sequelize';

/**
 * A product's purchase limit, checked inside the reservation's own transaction. A limited product's holds for one
 * customer are serialised on that customer's row in customer_limit_locks (whichever stock row each hold locks: shards
 * of one product are locked independently), and the units the customer already has are summed only once that lock
 * is held. Every lock before it is a locking read and the sum is the transaction's first plain read, so its snapshot
 * is taken after the lock: it sees every hold of the customer's committed before. Expired holds no longer count
 * (an expired hold can no longer be ordered); ordered ones do until their order is cancelled (released_at set).
 * `@fs_max` must be set, under a lock on the product row, before this runs.
 */
const CUSTOMER_LIMIT_SQL = `${lockWaitBounded(`INSERT INTO customer_limit_locks (product_id, customer_id)
  SELECT :productId, :customerId FROM DUAL WHERE @fs_max IS NOT NULL AND :customerId IS NOT NULL
  ON DUPLICATE KEY UPDATE customer_id = customer_id`)};
SELECT COUNT(*) INTO @fs_already FROM holds WHERE id = :holdId;
SELECT COALESCE(SUM(quantity), 0) INTO @fs_mine FROM holds
  WHERE customer_id = :customerId AND product_id = :productId AND @fs_max IS NOT NULL AND released_at IS NULL
    AND (used_at IS NOT NULL OR hold_expires_at > :now);
SET @fs_within = @fs_max IS NULL OR :customerId IS NULL OR @fs_already > 0 OR @fs_mine + :quantity <= @fs_max;`;

/**
 * Whether the caller is gone (`@fs_gone`), read after the stock row is locked and before anything is written.
 * abandonHold (src/db/abandoned-holds.ts) inserts the hold's tombstone; this is a locking read of that key, so the
 * two are serialised: a tombstone inserted first (committed, or still waiting to be) is seen here (a locking read
 * waits for the inserting transaction and then reads the latest committed row); a tombstone inserted after this read
 * waits on the gap lock this read takes on the missing key (REPEATABLE READ, the server's default, takes gap locks
 * on a unique key's missing value) until this transaction commits, and then its caller reads the hold. A retry of a
 * reservation that already committed is never refused (`@fs_already`): that hold is the answer.
 */
const CALLER_GONE_SQL = `${lockWaitBounded(`SELECT COUNT(*) INTO @fs_gone FROM abandoned_holds
  WHERE hold_id = :holdId LOCK IN SHARE MODE`)};
SET @fs_gone = @fs_already = 0 AND (@fs_gone > 0 OR :pastAnswerBy = 1);`;

/**
 * Every statement that can wait for a lock carries the reservation's bound (lockWaitBounded), as the connection's
 * other transactions keep the server's.
 *
 * The reservation as one statement batch, START TRANSACTION to COMMIT, sent in one round trip (runBatch): the product
 * row is locked, checked, decremented and the hold inserted, and the transaction commits, all on the server, so the
 * hot row is locked only for the server's own work, never across network and event-loop waits. Session variables are
 * reset first (a missing product leaves them NULL). `already` makes a retry after a commit find its own hold instead
 * of taking the stock twice. `shards` and `elsewhere` (stock in shard rows, read without a lock) tell the caller
 * whether a refusal is the whole answer.
 */
export const RESERVE_SQL = `SET @fs_avail = NULL, @fs_shards = NULL, @fs_max = NULL, @fs_already = NULL, @fs_mine = 0,
  @fs_within = 1, @fs_gone = 0, @fs_ok = 0, @fs_elsewhere = 0;
START TRANSACTION;
${lockWaitBounded(`SELECT available_stock, stock_shards, max_per_customer INTO @fs_avail, @fs_shards, @fs_max
  FROM products WHERE id = :productId FOR UPDATE`)};
${CUSTOMER_LIMIT_SQL}
${CALLER_GONE_SQL}
${lockWaitBounded(`UPDATE products SET available_stock = available_stock - :quantity, updated_at = :now
  WHERE id = :productId AND @fs_already = 0 AND NOT @fs_gone AND @fs_within AND @fs_avail >= :quantity`)};
SET @fs_ok = ROW_COUNT();
${lockWaitBounded(`INSERT INTO holds (id, product_id, quantity, customer_id, hold_expires_at, created_at, updated_at)
  SELECT :holdId, :productId, :quantity, :customerId, :expiresAt, :now, :now FROM DUAL WHERE @fs_ok = 1`)};
SELECT COALESCE(SUM(available), 0) INTO @fs_elsewhere FROM stock_shards
  WHERE product_id = :productId AND @fs_ok = 0 AND @fs_within AND NOT @fs_gone;
COMMIT;
SELECT @fs_avail AS available, @fs_already AS already, @fs_ok AS reserved, @fs_shards AS shards,
  @fs_elsewhere AS elsewhere, @fs_within AS within_limit, @fs_max AS max_per_customer, @fs_gone AS gone`;

/**
 * The same batch on one stock shard of a hot product: only that shard's row is locked (the product row is read under
 * a shared lock, which other shards' reservations share, and which the hold's insert needs for its foreign key
 * anyway). A missing shard row leaves `available` NULL: the caller then reserves across every shard.
 */
export const SHARD_RESERVE_SQL = `SET @fs_avail = NULL, @fs_max = NULL, @fs_already = NULL, @fs_mine = 0,
  @fs_within = 1, @fs_gone = 0, @fs_ok = 0;
START TRANSACTION;
${lockWaitBounded(`SELECT available INTO @fs_avail FROM stock_shards
  WHERE product_id = :productId AND shard = :shard FOR UPDATE`)};
${lockWaitBounded('SELECT max_per_customer INTO @fs_max FROM products WHERE id = :productId LOCK IN SHARE MODE')};
${CUSTOMER_LIMIT_SQL}
${CALLER_GONE_SQL}
${lockWaitBounded(`UPDATE stock_shards SET available = available - :quantity, updated_at = :now
  WHERE product_id = :productId AND shard = :shard AND @fs_already = 0 AND NOT @fs_gone AND @fs_within
    AND @fs_avail >= :quantity`)};
SET @fs_ok = ROW_COUNT();
${lockWaitBounded(`INSERT INTO holds (id, product_id, quantity, customer_id, stock_shard, hold_expires_at, created_at,
  updated_at) SELECT :holdId, :productId, :quantity, :customerId, :shard, :expiresAt, :now, :now FROM DUAL
  WHERE @fs_ok = 1`)};
COMMIT;
SELECT @fs_avail AS available, @fs_already AS already, @fs_ok AS reserved, @fs_within AS within_limit,
  @fs_max AS max_per_customer, @fs_gone AS gone`;

type Row = Record<string, unknown>;

/** The driver's connection under Sequelize's pool (mysql2's callback API). */
interface DriverConnection {
  query(
    options: { sql: string; namedPlaceholders: boolean },
    values: object,
    done: (err: Error | null, results?: unknown) => void,
  ): void;
}

const send = (conn: DriverConnection, sql: string, values: object) =>
  new Promise<unknown>((resolve, reject) => {
    conn.query({ sql, namedPlaceholders: true }, values, (err, results) => (err ? reject(err) : resolve(results)));
  });

/**
 * Runs a reservation batch, START TRANSACTION to COMMIT, as one round trip on a connection of Sequelize's own pool.
 * When any statement fails (a lock wait past its bound, a lost connection), the server stops the batch there, before
 * its COMMIT: the half-run transaction is rolled back before the connection goes back to the pool, and a connection
 * that cannot even be rolled back is destroyed, so no later transaction on it can commit the half.
 */
async function runBatch({ db, beforeSend }: ReservationDb, sql: string, r: ReserveRequest, shard?: number) {
  const conn = (await db.connectionManager.getConnection({ type: 'write' })) as unknown as DriverConnection;
  let results: unknown;
  try {
    await beforeSend?.(r.productId, r.holdId);
    results = await send(conn, sql, { ...sqlValues(r), shard: shard ?? null });
  } catch (err) {
    await send(conn, 'ROLLBACK', {}).then(
      () => db.connectionManager.releaseConnection(conn as never),
      () => db.connectionManager.destroyConnection(conn as never).catch(() => undefined),
    );
    throw err;
  }
  db.connectionManager.releaseConnection(conn as never);
  const sets = results as Row[][];
  return sets[sets.length - 1][0];
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const limitRefusal = (row: Row) => (Number(row.within_limit) === 1 ? null : Number(row.max_per_customer));

/** The product-row reservation (every unsharded product, and shard 0 of the hot-path choice). */
export async function runReservation(on: ReservationDb, r: ReserveRequest): Promise<ReserveOutcome> {
  const row = await runBatch(on, RESERVE_SQL, r);
  const available = num(row.available);
  const shards = num(row.shards);
  const elsewhere = num(row.elsewhere) ?? 0;
  const reserved = Number(row.reserved) === 1;
  const abandoned = Number(row.gone) === 1;
  const customerLimit = abandoned ? null : limitRefusal(row);
  return {
    available: available === null ? null : available + (reserved ? 0 : elsewhere),
    already: Number(row.already) > 0,
    reserved,
    shards,
    exact: shards === 1 && elsewhere === 0,
    // Sharded now, or unsharded with units that came back to old shard rows: only the full path sees them all.
    partial:
      !reserved &&
      !abandoned &&
      customerLimit === null &&
      available !== null &&
      ((shards ?? 1) > 1 || available + elsewhere >= r.quantity),
    customerLimit,
    abandoned,
  };
}

/** One shard's reservation: a stock refusal or a missing row only means "ask every shard". */
export async function runShardReservation(
  on: ReservationDb,
  r: ReserveRequest,
  shard: number,
): Promise<ReserveOutcome> {
  const row = await runBatch(on, SHARD_RESERVE_SQL, r, shard);
  const reserved = Number(row.reserved) === 1;
  const already = Number(row.already) > 0;
  const abandoned = Number(row.gone) === 1;
  const customerLimit = abandoned ? null : limitRefusal(row);
  return {
    available: num(row.available),
    already,
    reserved,
    shards: null,
    exact: false,
    partial: !reserved && !already && !abandoned && customerLimit === null,
    customerLimit,
    abandoned,
  };
}
