import { QueryTypes, type Sequelize } from 'sequelize';
import { sqlTime } from './time';

export type DeliveryStatus = 'retrying' | 'delivered' | 'undeliverable';

/**
 * Records how an outbound event's delivery stands, for /metrics and operators. `delivered` is final: a late report of
 * an earlier failed attempt (activities run at least once) never turns it back.
 */
export async function recordDelivery(
  db: Sequelize,
  d: { eventId: string; type: string; status: DeliveryStatus; attempts: number; error?: string },
): Promise<void> {
  await db.query(
    `INSERT INTO event_deliveries (event_id, type, status, attempts, last_error, updated_at)
     VALUES (:eventId, :type, :status, :attempts, :error, :now)
     ON DUPLICATE KEY UPDATE
       status = IF(status = 'delivered', status, VALUES(status)),
       attempts = GREATEST(attempts, VALUES(attempts)),
       last_error = IF(status = 'delivered', last_error, VALUES(last_error)),
       updated_at = VALUES(updated_at)`,
    {
      replacements: { ...d, error: d.error?.slice(0, 255) ?? null, now: sqlTime(new Date()) },
      type: QueryTypes.INSERT,
    },
  );
}

/** Deliveries by status, for the metrics gauge. */
export async function deliveryCounts(db: Sequelize): Promise<Record<DeliveryStatus, number>> {
  const rows = await db.query<{ status: DeliveryStatus; n: number }>(
    'SELECT status, COUNT(*) AS n FROM event_deliveries GROUP BY status',
    { type: QueryTypes.SELECT },
  );
  const counts = { retrying: 0, delivered: 0, undeliverable: 0 };
  for (const r of rows) counts[r.status] = Number(r.n);
  return counts;
}
