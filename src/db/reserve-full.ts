import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { sqlValues, type ReservationDb, type ReserveOutcome, type ReserveRequest } from './reserve-request';
import { lockWaitBounded } from './sequelize';

type Values = ReturnType<typeof sqlValues>;

/** The slow path's statements, inside its transaction, with the request's values as replacements. */
function statements(db: Sequelize, transaction: Transaction, values: Values) {
  return {
    read: <T extends object>(sql: string) =>
      db.query<T>(sql, { transaction, replacements: values, type: QueryTypes.SELECT }),
    write: async (sql: string, extra: Record<string, unknown> = {}) => {
      await db.query(sql, { transaction, replacements: { ...values, ...extra }, type: QueryTypes.RAW });
    },
  };
}

type Run = ReturnType<typeof statements>;

/**
 * The customer's purchase limit on the slow path, with the product row already locked: the same lock row and the same
 * sum as the one-batch paths (src/db/reserve-batch.ts explains the order). Null when the hold is within the limit.
 */
async function limitRefusal(run: Run, r: ReserveRequest, max: number | null): Promise<number | null> {
  if (max === null || !r.customerId) return null;
  await run.write(
    lockWaitBounded(`INSERT INTO customer_limit_locks (product_id, customer_id) VALUES (:productId, :customerId)
     ON DUPLICATE KEY UPDATE customer_id = customer_id`),
  );
  const [mine] = await run.read<{ units: number }>(
    `SELECT COALESCE(SUM(quantity), 0) AS units FROM holds
     WHERE customer_id = :customerId AND product_id = :productId AND released_at IS NULL
       AND (used_at IS NOT NULL OR hold_expires_at > :now)`,
  );
  return Number(mine.units) + r.quantity > max ? max : null;
}

/** The caller is gone: the same locking read of the hold's tombstone as the batches (reserve-batch.ts explains it). */
async function callerGone(run: Run, values: Values): Promise<boolean> {
  const [tombstone] = await run.read<{ n: number }>(
    lockWaitBounded('SELECT COUNT(*) AS n FROM abandoned_holds WHERE hold_id = :holdId LOCK IN SHARE MODE'),
  );
  return Number(tombstone.n) > 0 || values.pastAnswerBy === 1;
}

interface StockSource {
  shard: number;
  available: number;
}

/** Takes the hold's units from the preferred shard first, then the fullest; returns the first shard it took from. */
async function takeUnits(run: Run, sources: StockSource[], quantity: number, preferred: number): Promise<number> {
  sources.sort((a, b) => Number(b.shard === preferred) - Number(a.shard === preferred) || b.available - a.available);
  let left = quantity;
  let recorded: number | null = null;
  for (const s of sources) {
    if (left === 0) break;
    const take = Math.min(left, s.available);
    if (take === 0) continue;
    recorded ??= s.shard;
    left -= take;
    await run.write(
      lockWaitBounded(
        s.shard === 0
          ? 'UPDATE products SET available_stock = available_stock - :take, updated_at = :now WHERE id = :productId'
          : `UPDATE stock_shards SET available = available - :take, updated_at = :now
             WHERE product_id = :productId AND shard = :shard`,
      ),
      { take, shard: s.shard },
    );
  }
  return recorded ?? 0;
}

/**
 * The slow path of a sharded product (a shard ran dry, or the shard count changed): every shard row and then the
 * product row are locked (the order every multi-row stock writer uses), so the total is exact; the units come from
 * the preferred shard first, then the fullest ones. The hold records the first shard it took from, and its release
 * returns all its units there: conservation is about the sum, not the spread. Statement by statement in Sequelize's
 * managed transaction, its COMMIT Sequelize's: a worker that dies before sending it leaves nothing committed.
 */
export async function runFullReservation(
  { db, beforeSend }: ReservationDb,
  r: ReserveRequest,
  preferred: number,
): Promise<ReserveOutcome> {
  const values = sqlValues(r);
  return db.transaction(async (transaction) => {
    // Marked all the same, for the instant between sending the COMMIT and hearing back.
    await beforeSend?.(r.productId, r.holdId);
    const run = statements(db, transaction, values);
    const shardRows = await run.read<StockSource>(
      lockWaitBounded(
        'SELECT shard, available FROM stock_shards WHERE product_id = :productId ORDER BY shard FOR UPDATE',
      ),
    );
    const [product] = await run.read<{
      available_stock: number;
      stock_shards: number;
      max_per_customer: number | null;
    }>(
      lockWaitBounded(
        'SELECT available_stock, stock_shards, max_per_customer FROM products WHERE id = :productId FOR UPDATE',
      ),
    );
    const outcome = (o: Partial<ReserveOutcome>): ReserveOutcome => ({
      available: null,
      already: false,
      reserved: false,
      shards: product ? Number(product.stock_shards) : null,
      exact: true,
      partial: false,
      customerLimit: null,
      abandoned: false,
      ...o,
    });
    if (!product) return outcome({});
    const max = product.max_per_customer === null ? null : Number(product.max_per_customer);
    const overLimit = await limitRefusal(run, r, max);
    const [mine] = await run.read<{ n: number }>('SELECT COUNT(*) AS n FROM holds WHERE id = :holdId');
    const already = Number(mine.n) > 0;
    const sources = [
      ...shardRows.map((s) => ({ shard: Number(s.shard), available: Number(s.available) })),
      { shard: 0, available: Number(product.available_stock) },
    ];
    const total = sources.reduce((sum, s) => sum + s.available, 0);
    if (already) return outcome({ available: total, already });
    if (await callerGone(run, values)) return outcome({ available: total, abandoned: true });
    if (overLimit !== null) return outcome({ available: total, customerLimit: overLimit });
    if (total < r.quantity) return outcome({ available: total });
    const recorded = await takeUnits(run, sources, r.quantity, preferred);
    await run.write(
      lockWaitBounded(`INSERT INTO holds (id, product_id, quantity, customer_id, stock_shard, hold_expires_at,
       created_at, updated_at) VALUES (:holdId, :productId, :quantity, :customerId, :recorded, :expiresAt, :now, :now)`),
      { recorded },
    );
    return outcome({ available: total, reserved: true });
  });
}
