import { QueryTypes, type Sequelize } from 'sequelize';
import { deliveryCounts } from './deliveries';
import { availableStockSql } from './models';

/** The sale's figures as MariaDB has them at this moment, for the metrics (read by one process per interval). */
export function createSaleFigures(db: Sequelize) {
  return {
    /** available_stock of the 1000 most recently changed products. */
    availableStock: () =>
      db.query<{ id: number; available_stock: number }>(
        `SELECT p.id, ${availableStockSql('p')} AS available_stock FROM products p ORDER BY p.updated_at DESC LIMIT 1000`,
        { type: QueryTypes.SELECT },
      ),

    /** Holds by state: held, ordered, or the reason they were released (null for a release without one). */
    holdsByState: () =>
      db.query<{ state: string | null; n: number }>(
        `SELECT CASE WHEN released_at IS NOT NULL THEN release_reason
                     WHEN used_at IS NOT NULL THEN 'ordered' ELSE 'held' END AS state, COUNT(*) AS n
         FROM holds GROUP BY state`,
        { type: QueryTypes.SELECT },
      ),

    /** Orders by status: pending, completed, cancelled (every status present, 0 when none). */
    async ordersByStatus(): Promise<Record<'pending' | 'completed' | 'cancelled', number>> {
      const rows = await db.query<{ status: 'pending' | 'completed' | 'cancelled'; n: number }>(
        'SELECT status, COUNT(*) AS n FROM orders GROUP BY status',
        { type: QueryTypes.SELECT },
      );
      const counts = { pending: 0, completed: 0, cancelled: 0 };
      for (const r of rows) counts[r.status] = Number(r.n);
      return counts;
    },

    /** Payment events that came after their order had left pending, by status. */
    latePaymentsByStatus: () =>
      db.query<{ status: string; n: number }>(
        'SELECT status, COUNT(*) AS n FROM payment_events WHERE late = 1 GROUP BY status',
        { type: QueryTypes.SELECT },
      ),

    /** Orders owing a refund for a late payment that no operator has closed yet. */
    async refundsDue(): Promise<number> {
      const [row] = await db.query<{ n: number }>(
        'SELECT COUNT(*) AS n FROM orders WHERE refund_due_at IS NOT NULL AND refunded_at IS NULL',
        { type: QueryTypes.SELECT },
      );
      return Number(row?.n ?? 0);
    },

    outboundEvents: () => deliveryCounts(db),
  };
}

export type SaleFigures = ReturnType<typeof createSaleFigures>;
