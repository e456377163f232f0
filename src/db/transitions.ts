import { sqlTime } from './time';
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { faultPoint } from '../faults';

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
): Promise<boolean> {
  const [, changed] = await sequelize.query(
    `UPDATE holds SET released_at = :now, release_reason = :reason, updated_at = :now
     WHERE id = :holdId AND released_at IS NULL AND used_at IS ${ordered ? 'NOT NULL' : 'NULL'}`,
    { replacements: { now: sqlTime(now), reason, holdId }, transaction: t, type: QueryTypes.UPDATE },
  );
  if (changed !== 1) return false;
  await sequelize.query(
    `UPDATE products p JOIN holds h ON h.product_id = p.id
     SET p.available_stock = p.available_stock + h.quantity, p.updated_at = :now
     WHERE h.id = :holdId`,
    { replacements: { now: sqlTime(now), holdId }, transaction: t, type: QueryTypes.UPDATE },
  );
  await faultPoint('release.beforeCommit');
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
): Promise<boolean> {
  const [, changed] = await sequelize.query(
    `UPDATE orders SET status = 'cancelled', updated_at = :now WHERE id = :orderId AND status = 'pending'`,
    { replacements: { now: sqlTime(now), orderId }, transaction: t, type: QueryTypes.UPDATE },
  );
  if (changed !== 1) return false;
  await releaseHoldStock(sequelize, t, holdId, now, reason, true);
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
