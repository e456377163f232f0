import { holdView } from '../db/views';
import type { HoldView } from '../shared/views';
import type { SaleDeps } from './deps';

/** A hold as the database has it now, or null: the one read every desk starts from. */
export const holdFinder =
  ({ models }: Pick<SaleDeps, 'models'>) =>
  async (id: number): Promise<HoldView | null> => {
    const row = await models.Hold.findByPk(id, { raw: true });
    return row ? holdView(row as unknown as Record<string, unknown>) : null;
  };
