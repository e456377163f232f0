import { sqlTime } from './time';
import type { Sequelize } from 'sequelize';
import { QueryTypes } from 'sequelize';

/** The contract's sample data: product 1. Running it again changes nothing. */
export async function seed(db: Sequelize): Promise<void> {
  const now = new Date();
  await db.query(
    `INSERT IGNORE INTO products (id, name, total_stock, available_stock, price, created_at, updated_at)
     VALUES (1, 'Limited Edition Flash Sale Item', 200, 100, 99.99, :now, :now)`,
    { replacements: { now: sqlTime(now) }, type: QueryTypes.INSERT },
  );
}
