import { sqlTime } from './time';
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { noFaults, type FaultPoints } from '../faults';

/**
 * Gives a hold's stock back, once: only a row still unreleased changes, and only then does the stock move.
 * `ordered` selects which holds qualify: false for held holds (expiry, sweep, early release),
 * true for the hold behind an order being cancelled.
 */
export async function releaseHoldStock(
  sequelize: Sequelize,
  t: Transaction,
  holdId: number,
  now: Date,
  reason: string,
  ordered: boolean,
  faults: FaultPoints = noFaults,
): Promise<boolean> {
  const [, changed] = await sequelize.query(
    `UPDATE holds SET released_at = :now, release_reason = :reason, updated_at = :now
     WHERE id = :holdId AND released_at IS NULL AND used_at IS ${ordered ? 'NOT NULL' : 'NULL'}`,
    { replacements: { now: sqlTime(now), reason, holdId }, transaction: t, type: QueryTypes.UPDATE },
  );
  if (changed !== 1) return false;
  await returnStock(sequelize, t, [holdId], now);
  await faults.at('release.beforeCommit');
  return true;
}

/** Cancels a pending order and gives its hold's stock back in the same transaction. */
export async function cancelPendingOrder(
  sequelize: Sequelize,
  t: Transaction,
  orderId: number,
  holdId: number,
  now: Date,
  reason: string,
  faults: FaultPoints = noFaults,
): Promise<boolean> {
  const [, changed] = await sequelize.query(
    `UPDATE orders SET status = 'cancelled', updated_at = :now WHERE id = :orderId AND status = 'pending'`,
    { replacements: { now: sqlTime(now), orderId }, transaction: t, type: QueryTypes.UPDATE },
  );
  if (changed !== 1) return false;
  await releaseHoldStock(sequelize, t, holdId, now, reason, true, faults);
  return true;
}

export async function selectOne<T extends object>(
  sequelize: Sequelize,
  sql: string,
  replacements: Record<string, unknown>,
  transaction?: Transaction,
): Promise<T | null> {
  const rows = await sequelize.query<T>(sql, { replacements, transaction, type: QueryTypes.SELECT });
  return rows[0] ?? null;
}

/**
 * Gives the stock of these (just released) holds back where they took it from, summed per row: shard 0 is the product
 * row, others are stock_shards rows (never deleted, so always there). Shard rows are locked before the product row,
 * the order of every multi-row stock writer (a shard reservation's insert takes the product row's FK lock last).
 */
async function returnStock(sequelize: Sequelize, t: Transaction, holdIds: number[], now: Date): Promise<void> {
  const replacements = { now: sqlTime(now), holdIds };
  await sequelize.query(
    `UPDATE stock_shards s JOIN (
       SELECT product_id, stock_shard, SUM(quantity) AS q FROM holds
       WHERE id IN (:holdIds) AND stock_shard > 0 GROUP BY product_id, stock_shard
     ) r ON r.product_id = s.product_id AND r.stock_shard = s.shard
     SET s.available = s.available + r.q, s.updated_at = :now`,
    { replacements, transaction: t, type: QueryTypes.UPDATE },
  );
  await sequelize.query(
    `UPDATE products p JOIN (
       SELECT product_id, SUM(quantity) AS q FROM holds WHERE id IN (:holdIds) AND stock_shard = 0 GROUP BY product_id
     ) r ON r.product_id = p.id
     SET p.available_stock = p.available_stock + r.q, p.updated_at = :now`,
    { replacements, transaction: t, type: QueryTypes.UPDATE },
  );
}

export interface ReleasedHold {
  id: number;
  product_id: number;
  quantity: number;
}

/**
 * The sweep's bulk release: up to `limit` held holds past `cutoff` released and their stock returned in one
 * transaction. Candidates are found without locks, then locked by primary key only (no gap locks for new holds'
 * inserts to wait on) and re-checked under the lock, so a hold ordered, released or extended meanwhile is left alone.
 */
export async function releaseExpiredHolds(
  sequelize: Sequelize,
  cutoff: Date,
  now: Date,
  limit: number,
  faults: FaultPoints = noFaults,
): Promise<ReleasedHold[]> {
  const candidates = await sequelize.query<{ id: number }>(
    `SELECT id FROM holds WHERE released_at IS NULL AND used_at IS NULL AND hold_expires_at < :cutoff
     ORDER BY hold_expires_at LIMIT :limit`,
    { replacements: { cutoff: sqlTime(cutoff), limit }, type: QueryTypes.SELECT },
  );
  if (candidates.length === 0) return [];
  return sequelize.transaction(async (t) => {
    const locked = await sequelize.query<ReleasedHold>(
      `SELECT id, product_id, quantity FROM holds
       WHERE id IN (:ids) AND released_at IS NULL AND used_at IS NULL AND hold_expires_at < :cutoff
       ORDER BY id FOR UPDATE`,
      {
        replacements: { ids: candidates.map((c) => c.id), cutoff: sqlTime(cutoff) },
        transaction: t,
        type: QueryTypes.SELECT,
      },
    );
    if (locked.length === 0) return [];
    const holdIds = locked.map((h) => Number(h.id));
    await sequelize.query(
      `UPDATE holds SET released_at = :now, release_reason = 'sweep', updated_at = :now WHERE id IN (:holdIds)`,
      { replacements: { now: sqlTime(now), holdIds }, transaction: t, type: QueryTypes.UPDATE },
    );
    await returnStock(sequelize, t, holdIds, now);
    await faults.at('release.beforeCommit');
    return locked.map((h) => ({ id: Number(h.id), product_id: Number(h.product_id), quantity: Number(h.quantity) }));
  });
}
