import { holdReleaseReason } from '../db/holds';
import { releaseHoldStock } from '../db/transitions';
import { noFaults } from '../faults';
import type { HoldView } from '../shared/views';
import type { ActivityDeps } from './deps';
import { loadHold } from './stock';

export interface ReleaseResult {
  released: boolean;
  hold: HoldView;
}

/** A hold's stock given back: at its expiry, by its buyer, or by the backup sweep. */
export function createReleaseActivities({ db, cache, log, faults = noFaults }: ActivityDeps) {
  return {
    /** Gives a held hold's stock back, exactly once, whoever (timer, sweep, client) gets there first. */
    async releaseHold(holdId: number, reason: 'expired' | 'released' | 'sweep'): Promise<ReleaseResult> {
      const now = new Date();
      const released = await db.transaction((t) => releaseHoldStock(db, t, holdId, now, reason, false, faults));
      await faults.at('release.afterCommit');
      const hold = await loadHold(db, holdId);
      // A retry of an attempt that committed and died before reporting finds the hold already released. A client's
      // release was then this very release (only one runs at a time), so it still answers as done; and the cache
      // update that attempt may have missed is done again (idempotent).
      const done =
        released ||
        (reason === 'released' && hold.released_at !== null && (await holdReleaseReason(db, holdId)) === 'released');
      if (hold.released_at !== null) await cache.invalidate([hold.product_id]);
      if (released) {
        log.info({ hold_id: holdId, product_id: hold.product_id, quantity: hold.quantity, reason }, 'hold released');
      }
      return { released: done, hold };
    },
  };
}
