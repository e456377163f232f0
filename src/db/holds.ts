import type { Sequelize } from 'sequelize';
import type { HoldView } from '../shared/views';
import { selectOne } from './transitions';
import { holdView } from './views';

export async function readHold(db: Sequelize, holdId: number): Promise<HoldView | null> {
  const row = await selectOne<Record<string, unknown>>(db, 'SELECT * FROM holds WHERE id = :holdId', { holdId });
  return row ? holdView(row) : null;
}
