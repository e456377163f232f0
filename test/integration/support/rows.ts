import { QueryTypes, type Sequelize } from 'sequelize';

/** The `n` of one `SELECT COUNT(*) AS n …` row, straight from MariaDB. */
export async function countRows(db: Sequelize, sql: string, ...replacements: unknown[]): Promise<number> {
  const [row] = await db.query<{ n: number }>(sql, { replacements, type: QueryTypes.SELECT });
  return Number(row.n);
}
