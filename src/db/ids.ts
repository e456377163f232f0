import { QueryTypes, type Sequelize } from 'sequelize';

/** A fresh hold id from the database sequence, known before the hold's workflow starts. */
export async function nextHoldId(db: Sequelize): Promise<number> {
  const [row] = await db.query<{ id: number | string }>('SELECT NEXTVAL(hold_ids) AS id', { type: QueryTypes.SELECT });
  return Number(row.id);
}
