import { QueryTypes, type Sequelize } from 'sequelize';
import { orderRefusal } from '../shared/refusals';
import { FailureType } from '../shared/types';
import { sqlTime } from './time';
import { selectOne } from './transitions';

export interface Extension {
  holdId: number;
  seconds: number;
  maxTotalSeconds: number;
  /** The expiry the hold's workflow knows: the new one is this plus `seconds`, so a retry never extends twice. */
  fromExpiresAt: string;
}

export type ExtensionOutcome = { extended: true } | { extended: false; refusal: FailureType };

/**
 * Moves a held hold's expiry later in one transaction under its row lock. The lock orders it against the timer's
 * release, the sweep's and an order: whichever commits first decides, and an expired hold (now at or past its
 * expiry) is never extended. The hold's own workflow is the only caller, one extension at a time.
 */
export async function extendHold(db: Sequelize, x: Extension, now = new Date()): Promise<ExtensionOutcome> {
  const from = new Date(x.fromExpiresAt);
  const to = new Date(from.getTime() + x.seconds * 1000);
  return db.transaction(async (t) => {
    const hold = await selectOne<{
      hold_expires_at: Date;
      released_at: Date | null;
      used_at: Date | null;
      extended_seconds: number;
    }>(
      db,
      'SELECT hold_expires_at, released_at, used_at, extended_seconds FROM holds WHERE id = :holdId FOR UPDATE',
      { holdId: x.holdId },
      t,
    );
    if (!hold) return { extended: false, refusal: FailureType.HoldMissing };
    const expiresAtMs = new Date(hold.hold_expires_at).getTime();
    // An earlier attempt of this very extension committed and died before reporting.
    if (expiresAtMs === to.getTime() && hold.released_at === null && hold.used_at === null) return { extended: true };
    const refusal = orderRefusal(
      { expiresAtMs, released: hold.released_at !== null, used: hold.used_at !== null },
      now.getTime(),
    );
    if (refusal) return { extended: false, refusal };
    // A workflow that knows another expiry than the database is out of step: refused rather than guessed at.
    if (Number(hold.extended_seconds) + x.seconds > x.maxTotalSeconds || expiresAtMs !== from.getTime()) {
      return { extended: false, refusal: FailureType.ExtensionLimit };
    }
    await db.query(
      `UPDATE holds SET hold_expires_at = :to, extended_seconds = extended_seconds + :seconds, updated_at = :now
       WHERE id = :holdId`,
      {
        replacements: { to: sqlTime(to), seconds: x.seconds, now: sqlTime(now), holdId: x.holdId },
        transaction: t,
        type: QueryTypes.UPDATE,
      },
    );
    return { extended: true };
  });
}
