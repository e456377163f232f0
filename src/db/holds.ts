import type { Sequelize } from 'sequelize';
import type { HoldView } from '../shared/views';
import { selectOne } from './transitions';
import { holdView } from './views';

/** A hold as the API shows it, or null. */
export async function readHold(db: Sequelize, holdId: number): Promise<HoldView | null> {
  const row = await selectOne<Record<string, unknown>>(db, 'SELECT * FROM holds WHERE id = :holdId', { holdId });
  return row ? holdView(row) : null;
}

/** Why a released hold was released ('released', 'expired', 'sweep', ...), or null while it is not. */
export async function holdReleaseReason(db: Sequelize, holdId: number): Promise<string | null> {
  const row = await selectOne<{ r: string | null }>(db, 'SELECT release_reason AS r FROM holds WHERE id = :holdId', {
    holdId,
  });
  return row?.r ?? null;
}
