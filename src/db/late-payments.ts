import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { noFaults, type FaultPoints } from '../faults';
import { sqlTime } from './time';
import { selectOne } from './transitions';

/** What a `paid` event for an order that is no longer pending does (LATE_PAYMENT_POLICY). */
export type { LatePaymentPolicy } from '../shared/types';

/**
 * Sells a cancelled order's units again for a payment that came late, inside the caller's transaction (which holds
 * the order's row lock): takes the hold's quantity from a stock shard row or the product row that still has it, and
 * marks the hold unreleased again. Locks go orders → holds → shards → product, the order every stock writer uses.
 * False (nothing changed) when the hold is not released or the product no longer has the units.
 */
export async function retakeCancelledHold(
  db: Sequelize,
  t: Transaction,
  holdId: number,
  now: Date,
  faults: FaultPoints = noFaults,
): Promise<boolean> {
  const hold = await selectOne<{ product_id: number; quantity: number; released_at: Date | null }>(
    db,
    'SELECT product_id, quantity, released_at FROM holds WHERE id = :holdId FOR UPDATE',
    { holdId },
    t,
  );
  if (!hold || hold.released_at === null) return false;
  const replacements = { productId: hold.product_id, quantity: hold.quantity, now: sqlTime(now), holdId };
  const shard = await selectOne<{ shard: number }>(
    db,
    `SELECT shard FROM stock_shards WHERE product_id = :productId AND shard > 0 AND available >= :quantity
     ORDER BY available DESC LIMIT 1 FOR UPDATE`,
    replacements,
    t,
  );
  const [, changed] = shard
    ? await db.query(
        `UPDATE stock_shards SET available = available - :quantity, updated_at = :now
         WHERE product_id = :productId AND shard = :shard AND available >= :quantity`,
        { replacements: { ...replacements, shard: shard.shard }, transaction: t, type: QueryTypes.UPDATE },
      )
    : await db.query(
        `UPDATE products SET available_stock = available_stock - :quantity, updated_at = :now
         WHERE id = :productId AND available_stock >= :quantity`,
        { replacements, transaction: t, type: QueryTypes.UPDATE },
      );
  if (changed !== 1) return false;
  await db.query(
    `UPDATE holds SET released_at = NULL, release_reason = NULL, stock_shard = :shard, updated_at = :now
     WHERE id = :holdId`,
    { replacements: { ...replacements, shard: shard?.shard ?? 0 }, transaction: t, type: QueryTypes.UPDATE },
  );
  await faults.at('latePayment.beforeCommit');
  return true;
}

/** A refund is owed on this order (again, if an earlier one was closed); the caller holds the order's row lock. */
export async function markRefundDue(db: Sequelize, t: Transaction, orderId: number, now: Date): Promise<void> {
  await db.query('UPDATE orders SET refund_due_at = :now, refunded_at = NULL, updated_at = :now WHERE id = :orderId', {
    replacements: { now: sqlTime(now), orderId },
    transaction: t,
    type: QueryTypes.UPDATE,
  });
}

/** Closes an owed refund (the operator has paid it back). False when none was owed. */
export async function closeRefund(db: Sequelize, orderId: number, now = new Date()): Promise<boolean> {
  const [, changed] = await db.query(
    `UPDATE orders SET refunded_at = :now, updated_at = :now
     WHERE id = :orderId AND refund_due_at IS NOT NULL AND refunded_at IS NULL`,
    { replacements: { now: sqlTime(now), orderId }, type: QueryTypes.UPDATE },
  );
  return changed === 1;
}
