import { QueryTypes, type Sequelize } from 'sequelize';
import type { HoldView } from '../shared/views';
import { lockWaitBounded } from './sequelize';
import { sqlTime } from './time';
import { readHold } from './holds';

/**
 * The API's deadline passed before the hold's reservation answered (its caller is told 503, or is gone): after this,
 * the caller owns the hold only if the reservation had already committed. The hold's tombstone is inserted first (it
 * commits on its own), then the hold is read: the hold when the reservation committed first (the caller can still be
 * answered with it), null when the tombstone bars it (every later reservation of this id is refused `abandoned`).
 *
 * Serialised against a concurrent reservation of the same id by the tombstone's key: the reservation reads it with a
 * locking read after it has locked its stock row and before it writes (src/db/reserve-batch.ts, CALLER_GONE_SQL).
 * Either that read came first, and this insert waits on its gap lock until the reservation commits, so the read
 * below sees its hold; or this insert came first, and the reservation's read waits for it and then sees the
 * tombstone. Never both a null here and a reserved hold. The insert's lock wait is bounded like the reservation's:
 * past it, this throws (the caller may call again; nothing is decided until it returns).
 */
export async function abandonHold(db: Sequelize, holdId: number, now = new Date()): Promise<HoldView | null> {
  await db.query(lockWaitBounded('INSERT IGNORE INTO abandoned_holds (hold_id, abandoned_at) VALUES (:holdId, :now)'), {
    replacements: { holdId, now: sqlTime(now) },
    type: QueryTypes.INSERT,
  });
  return readHold(db, holdId);
}

/**
 * Deletes up to `limit` tombstones abandoned before `cutoff`; returns how many. The candidates are found without locks
 * and deleted by primary key, so only their own records are locked: a range delete would lock the gaps that
 * reservations' tombstone reads and abandonHold's inserts use.
 */
export async function deleteOldTombstones(db: Sequelize, cutoff: Date, limit: number): Promise<number> {
  const old = await db.query<{ hold_id: number }>(
    'SELECT hold_id FROM abandoned_holds WHERE abandoned_at < :cutoff ORDER BY hold_id LIMIT :limit',
    { replacements: { cutoff: sqlTime(cutoff), limit }, type: QueryTypes.SELECT },
  );
  if (old.length === 0) return 0;
  await db.query('DELETE FROM abandoned_holds WHERE hold_id IN (:ids) AND abandoned_at < :cutoff', {
    replacements: { ids: old.map((t) => t.hold_id), cutoff: sqlTime(cutoff) },
    type: QueryTypes.DELETE,
  });
  return old.length;
}
