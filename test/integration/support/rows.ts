import { QueryTypes, type Sequelize } from 'sequelize';

/** The `n` of one `SELECT COUNT(*) AS n …` row, straight from MariaDB. */
export async function countRows(db: Sequelize, sql: string, ...replacements: unknown[]): Promise<number> {
  const [row] = await db.query<{ n: number }>(sql, { replacements, type: QueryTypes.SELECT });
  return Number(row.n);
}

/** How many holds and orders there are in all, in one read: a refusal must change neither. */
export async function holdAndOrderCounts(db: Sequelize) {
  const [row] = await db.query<{ holds: number; orders: number }>(
    'SELECT (SELECT COUNT(*) FROM holds) AS holds, (SELECT COUNT(*) FROM orders) AS orders',
    { type: QueryTypes.SELECT },
  );
  return { holds: Number(row.holds), orders: Number(row.orders) };
}

/** How many holds of a product are not released yet (ordered or not). */
export const unreleasedHolds = (db: Sequelize, productId: number) =>
  countRows(db, 'SELECT COUNT(*) AS n FROM holds WHERE product_id = ? AND released_at IS NULL', productId);
