import { sqlTime } from '../db/time';
import { ApplicationFailure } from '@temporalio/activity';
import { QueryTypes } from 'sequelize';
import { holdView } from '../db/views';
import { releaseHoldStock, selectOne } from '../db/transitions';
import { FailureType } from '../shared/types';
import type { HoldView } from '../shared/views';
import type { ActivityDeps } from './deps';

export interface ReserveStockInput {
  holdId: number;
  productId: number;
  quantity: number;
  ttlSeconds: number;
}

export interface ReleaseResult {
  released: boolean;
  hold: HoldView;
}

const SELECT_HOLD = 'SELECT * FROM holds WHERE id = :holdId';

export function createStockActivities({ db, cache, log }: ActivityDeps) {
  async function loadHold(holdId: number): Promise<HoldView> {
    const row = await selectOne<Record<string, unknown>>(db, SELECT_HOLD, { holdId });
    if (!row) throw ApplicationFailure.nonRetryable(`hold ${holdId} does not exist`, 'HoldMissing');
    return holdView(row);
  }

  return {
    /**
     * Takes stock for a new hold under the product's row lock. Safe to retry: the hold id is fixed by the
     * workflow, so a retry after a commit finds its own hold instead of taking the stock twice.
     */
    async reserveStock({ holdId, productId, quantity, ttlSeconds }: ReserveStockInput): Promise<HoldView> {
      const now = new Date();
      const expiresAt = new Date(now.getTime() + ttlSeconds * 1000);
      const outcome = await db.transaction(async (t) => {
        const locked = await selectOne<{ available_stock: number; already: number }>(
          db,
          `SELECT available_stock, (SELECT COUNT(*) FROM holds WHERE id = :holdId) AS already
           FROM products WHERE id = :productId FOR UPDATE`,
          { holdId, productId },
          t,
        );
        if (!locked) {
          throw ApplicationFailure.nonRetryable(`product ${productId} does not exist`, FailureType.UnknownProduct);
        }
        if (Number(locked.already) > 0) return 'existing' as const;
        const available = Number(locked.available_stock);
        if (available < quantity) {
          throw ApplicationFailure.nonRetryable('insufficient stock', FailureType.InsufficientStock, {
            available,
          });
        }
        await db.query(
          `UPDATE products SET available_stock = available_stock - :quantity, updated_at = :now WHERE id = :productId`,
          { replacements: { quantity, now: sqlTime(now), productId }, transaction: t, type: QueryTypes.UPDATE },
        );
        await db.query(
          `INSERT INTO holds (id, product_id, quantity, hold_expires_at, created_at, updated_at)
           VALUES (:holdId, :productId, :quantity, :expiresAt, :now, :now)`,
          {
            replacements: { holdId, productId, quantity, expiresAt: sqlTime(expiresAt), now: sqlTime(now) },
            transaction: t,
            type: QueryTypes.INSERT,
          },
        );
        return 'reserved' as const;
      });
      if (outcome === 'existing') {
        log.info({ hold_id: holdId, product_id: productId }, 'hold already reserved by an earlier attempt');
        return loadHold(holdId);
      }
      await cache.invalidate([productId]);
      log.info({ hold_id: holdId, product_id: productId, quantity }, 'stock reserved');
      return {
        id: holdId,
        product_id: productId,
        quantity,
        hold_expires_at: expiresAt.toISOString(),
        released_at: null,
        used_at: null,
        created_at: now.toISOString(),
        updated_at: now.toISOString(),
      };
    },

    /** Gives a held hold's stock back, exactly once, whoever (timer, sweep, client) gets there first. */
    async releaseHold(holdId: number, reason: 'expired' | 'released' | 'sweep'): Promise<ReleaseResult> {
      const now = new Date();
      const released = await db.transaction((t) => releaseHoldStock(db, t, holdId, now, reason, false));
      const hold = await loadHold(holdId);
      if (released) {
        await cache.invalidate([hold.product_id]);
        log.info({ hold_id: holdId, product_id: hold.product_id, quantity: hold.quantity, reason }, 'hold released');
      }
      return { released, hold };
    },
  };
}
