import { sqlTime } from '../db/time';
import { ApplicationFailure } from '@temporalio/activity';
import type { Pool } from 'mysql2/promise';
import { hotPathPool } from '../db/sequelize';
import { holdView } from '../db/views';
import { releaseHoldStock, selectOne } from '../db/transitions';
import { faultPoint } from '../faults';
import { FailureType } from '../shared/types';
import type { HoldView } from '../shared/views';
import type { ActivityDeps } from './deps';

export interface ReserveStockInput {
  holdId: number;
  productId: number;
  quantity: number;
  ttlSeconds: number;
  /** The sold-out gate epoch the API read before starting the hold (absent in older histories). */
  gateEpoch?: string;
}

export interface ReleaseResult {
  released: boolean;
  hold: HoldView;
}

const SELECT_HOLD = 'SELECT * FROM holds WHERE id = :holdId';

/**
 * The reservation as one round trip: the product row is locked, checked, decremented and the hold inserted, and
 * the transaction commits, all on the server, so the hot row is locked only for the server's own work, never
 * across network and event-loop waits. Session variables are reset first (a missing product leaves them NULL).
 * `already` makes a retry after a commit find its own hold instead of taking the stock twice.
 */
export const RESERVE_SQL = `SET @fs_avail = NULL, @fs_already = NULL, @fs_ok = 0;
START TRANSACTION;
SELECT available_stock INTO @fs_avail FROM products WHERE id = ? FOR UPDATE;
SELECT COUNT(*) INTO @fs_already FROM holds WHERE id = ?;
UPDATE products SET available_stock = available_stock - ?, updated_at = ?
  WHERE id = ? AND @fs_already = 0 AND @fs_avail >= ?;
SET @fs_ok = ROW_COUNT();
INSERT INTO holds (id, product_id, quantity, hold_expires_at, created_at, updated_at)
  SELECT ?, ?, ?, ?, ?, ? FROM DUAL WHERE @fs_ok = 1;
COMMIT;
SELECT @fs_avail AS available, @fs_already AS already, @fs_ok AS reserved`;

export const reserveParams = (holdId: number, productId: number, quantity: number, now: Date, expiresAt: Date) => {
  const at = sqlTime(now);
  return [
    productId,
    holdId,
    quantity,
    at,
    productId,
    quantity,
    holdId,
    productId,
    quantity,
    sqlTime(expiresAt),
    at,
    at,
  ];
};

export interface ReserveOutcome {
  available: number | null;
  already: boolean;
  reserved: boolean;
}

/** Runs RESERVE_SQL on a multi-statement pool; an error mid-way rolls the transaction back before release. */
export async function runReservation(pool: Pool, params: unknown[]): Promise<ReserveOutcome> {
  const conn = await pool.getConnection();
  let results: unknown[];
  try {
    [results] = (await conn.query(RESERVE_SQL, params)) as unknown as [unknown[]];
    conn.release();
  } catch (err) {
    // The batch stopped at the failing statement, possibly inside the transaction: never hand that back.
    try {
      await conn.query('ROLLBACK');
      conn.release();
    } catch {
      conn.destroy();
    }
    throw err;
  }
  const row = (results[results.length - 1] as Record<string, unknown>[])[0];
  return {
    available: row.available === null ? null : Number(row.available),
    already: Number(row.already) > 0,
    reserved: Number(row.reserved) === 1,
  };
}

export function createStockActivities({ db, cache, log }: ActivityDeps) {
  const pool = hotPathPool(db);

  const releaseReason = async (holdId: number) =>
    (await selectOne<{ r: string | null }>(db, 'SELECT release_reason AS r FROM holds WHERE id = :holdId', { holdId }))
      ?.r ?? null;

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
    async reserveStock({ holdId, productId, quantity, ttlSeconds, gateEpoch }: ReserveStockInput): Promise<HoldView> {
      const now = new Date();
      const expiresAt = new Date(now.getTime() + ttlSeconds * 1000);
      await faultPoint('reserve.beforeCommit');
      const outcome = await runReservation(pool, reserveParams(holdId, productId, quantity, now, expiresAt));
      await faultPoint('reserve.afterCommit');
      if (outcome.available === null) {
        throw ApplicationFailure.nonRetryable(`product ${productId} does not exist`, FailureType.UnknownProduct);
      }
      if (outcome.already) {
        log.info({ hold_id: holdId, product_id: productId }, 'hold already reserved by an earlier attempt');
        // That attempt may have died between its commit and its cache update: do it now (idempotent).
        await cache.invalidate([productId]);
        return loadHold(holdId);
      }
      if (!outcome.reserved) {
        // Read under the lock: the gate may answer later requests for this many units without the database.
        await cache.noteStock(productId, outcome.available, gateEpoch, false);
        throw ApplicationFailure.nonRetryable('insufficient stock', FailureType.InsufficientStock, {
          available: outcome.available,
        });
      }
      await cache.noteStock(productId, outcome.available - quantity, gateEpoch, true);
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
      await faultPoint('release.afterCommit');
      const hold = await loadHold(holdId);
      // A retry of an attempt that committed and died before reporting finds the hold already released. A client's
      // release was then this very release (only one runs at a time), so it still answers as done; and the cache
      // update that attempt may have missed is done again (idempotent).
      const done =
        released ||
        (reason === 'released' && hold.released_at !== null && (await releaseReason(holdId)) === 'released');
      if (hold.released_at !== null) await cache.invalidate([hold.product_id]);
      if (released) {
        log.info({ hold_id: holdId, product_id: hold.product_id, quantity: hold.quantity, reason }, 'hold released');
      }
      return { released: done, hold };
    },
  };
}
