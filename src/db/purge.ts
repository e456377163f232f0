import { QueryTypes, type Sequelize } from 'sequelize';
import { sqlTime } from './time';

/**
 * Retention's deletes (src/activities/purge.ts). Each call deletes one small batch and says how many rows went, so
 * the caller loops until a batch comes back short. Rows are chosen by a plain (non-locking) read and deleted by
 * primary key with their condition checked again: no delete ever scans a range under locks, so the sale's inserts and
 * its products' rows never wait on the purge.
 */

const ids = <T extends Record<string, unknown>>(rows: T[], column: keyof T) => rows.map((r) => r[column]);

/** Idempotency keys created before `cutoff`: past the 24 h their answer is replayed for. */
export async function deleteIdempotencyKeys(db: Sequelize, cutoff: Date, limit: number): Promise<number> {
  const old = await db.query<{ scope: string; idempotency_key: string }>(
    'SELECT scope, idempotency_key FROM idempotency_keys WHERE created_at < :cutoff ORDER BY created_at LIMIT :limit',
    { replacements: { cutoff: sqlTime(cutoff), limit }, type: QueryTypes.SELECT },
  );
  if (old.length === 0) return 0;
  const keys = Object.fromEntries(
    old.flatMap((k, i) => [
      [`s${i}`, k.scope],
      [`k${i}`, k.idempotency_key],
    ]),
  );
  const pairs = old.map((_, i) => `(:s${i}, :k${i})`).join(', ');
  return db.query(
    `DELETE FROM idempotency_keys WHERE (scope, idempotency_key) IN (${pairs}) AND created_at < :cutoff`,
    {
      replacements: { ...keys, cutoff: sqlTime(cutoff) },
      type: QueryTypes.BULKDELETE,
    },
  );
}

/**
 * Outbound events' delivery records: delivered ones last touched before `deliveredBefore`, undeliverable ones (an
 * operator may still look into them) before `closedBefore`. Events still being retried are never touched.
 */
export async function deleteDeliveries(
  db: Sequelize,
  cutoffs: { deliveredBefore: Date; closedBefore: Date },
  limit: number,
): Promise<number> {
  const replacements = {
    delivered: sqlTime(cutoffs.deliveredBefore),
    closed: sqlTime(cutoffs.closedBefore),
    limit,
  };
  const where = `(status = 'delivered' AND updated_at < :delivered) OR (status = 'undeliverable' AND updated_at < :closed)`;
  const old = await db.query<{ event_id: string }>(
    `SELECT event_id FROM event_deliveries WHERE ${where} LIMIT :limit`,
    {
      replacements,
      type: QueryTypes.SELECT,
    },
  );
  if (old.length === 0) return 0;
  return db.query(`DELETE FROM event_deliveries WHERE event_id IN (:eventIds) AND (${where})`, {
    replacements: { ...replacements, eventIds: ids(old, 'event_id') },
    type: QueryTypes.BULKDELETE,
  });
}

/**
 * A closed order: completed or cancelled, created and last changed before the cut-off, and with no refund still owed
 * (a late payment's refund keeps its order until the refund is recorded).
 */
const CLOSED_ORDER = `o.status IN ('completed', 'cancelled') AND o.created_at < :cutoff AND o.updated_at < :cutoff
  AND (o.refund_due_at IS NULL OR o.refunded_at IS NOT NULL)`;

/**
 * One batch of closed orders older than `cutoff`, with what depends on them: their payment events (late ones
 * included) first, then the orders, then their holds (every order has one; an order's hold is closed with it). One
 * short transaction that locks the chosen orders' rows by primary key only. Returns the orders and holds deleted.
 */
export async function deleteClosedOrders(
  db: Sequelize,
  cutoff: Date,
  limit: number,
): Promise<{ orders: number; holds: number }> {
  const replacements = { cutoff: sqlTime(cutoff), limit };
  const candidates = await db.query<{ id: number }>(
    `SELECT o.id FROM orders o WHERE ${CLOSED_ORDER} ORDER BY o.id LIMIT :limit`,
    { replacements, type: QueryTypes.SELECT },
  );
  if (candidates.length === 0) return { orders: 0, holds: 0 };
  return db.transaction(async (transaction) => {
    // Locked and checked again: a refund may have come due since the read above.
    const locked = await db.query<{ id: number; hold_id: number }>(
      `SELECT o.id, o.hold_id FROM orders o WHERE o.id IN (:orderIds) AND ${CLOSED_ORDER} FOR UPDATE`,
      { replacements: { ...replacements, orderIds: ids(candidates, 'id') }, type: QueryTypes.SELECT, transaction },
    );
    if (locked.length === 0) return { orders: 0, holds: 0 };
    const orderIds = ids(locked, 'id');
    await db.query('DELETE FROM payment_events WHERE order_id IN (:orderIds)', {
      replacements: { orderIds },
      type: QueryTypes.BULKDELETE,
      transaction,
    });
    const orders = await db.query('DELETE FROM orders WHERE id IN (:orderIds)', {
      replacements: { orderIds },
      type: QueryTypes.BULKDELETE,
      transaction,
    });
    const holds = await db.query('DELETE FROM holds WHERE id IN (:holdIds) AND used_at IS NOT NULL', {
      replacements: { holdIds: ids(locked, 'hold_id') },
      type: QueryTypes.BULKDELETE,
      transaction,
    });
    return { orders, holds };
  });
}

/**
 * Holds released before `cutoff` that never became an order (expired, released by the buyer or the sweep). A hold
 * with an order goes with its order; a hold still held (neither released nor used) is never touched.
 */
export async function deleteReleasedHolds(db: Sequelize, cutoff: Date, limit: number): Promise<number> {
  const replacements = { cutoff: sqlTime(cutoff), limit };
  const where = 'released_at < :cutoff AND used_at IS NULL AND updated_at < :cutoff';
  const old = await db.query<{ id: number }>(`SELECT id FROM holds WHERE ${where} ORDER BY id LIMIT :limit`, {
    replacements,
    type: QueryTypes.SELECT,
  });
  if (old.length === 0) return 0;
  return db.query(`DELETE FROM holds WHERE id IN (:holdIds) AND ${where}`, {
    replacements: { ...replacements, holdIds: ids(old, 'id') },
    type: QueryTypes.BULKDELETE,
  });
}
