import { QueryTypes, type Sequelize } from 'sequelize';
import { sqlTime } from './time';

/** Pending orders created before `cutoff`, oldest first: the ones whose payment timer was missed. */
export const overdueOrders = (db: Sequelize, cutoff: Date, batchSize: number) =>
  db.query<{ id: number; hold_id: number; product_id: number }>(
    `SELECT o.id, o.hold_id, h.product_id FROM orders o JOIN holds h ON h.id = o.hold_id
     WHERE o.status = 'pending' AND o.created_at < :cutoff ORDER BY o.created_at LIMIT :batchSize`,
    { replacements: { cutoff: sqlTime(cutoff), batchSize }, type: QueryTypes.SELECT },
  );

/** Whether any hold that is still held expires before `horizon`. */
export async function holdsLapsingBefore(db: Sequelize, horizon: Date): Promise<boolean> {
  const rows = await db.query(
    `SELECT 1 FROM holds WHERE released_at IS NULL AND used_at IS NULL AND hold_expires_at < :horizon LIMIT 1`,
    { replacements: { horizon: sqlTime(horizon) }, type: QueryTypes.SELECT },
  );
  return rows.length > 0;
}
