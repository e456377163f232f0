import { ApplicationFailure } from '@temporalio/activity';
import { extendHold, type Extension } from '../db/extensions';
import { readHold } from '../db/holds';
import type { HoldView } from '../shared/views';
import type { ActivityDeps } from './deps';

export function createExtensionActivities({ db, log }: ActivityDeps) {
  return {
    /** Moves the hold's expiry in the database (the authority); a refusal is a non-retryable business failure. */
    async extendHold(x: Extension): Promise<HoldView> {
      const outcome = await extendHold(db, x);
      if (!outcome.extended) {
        throw ApplicationFailure.nonRetryable(`hold ${x.holdId} cannot be extended`, outcome.refusal);
      }
      const hold = (await readHold(db, x.holdId))!;
      log.info({ hold_id: x.holdId, seconds: x.seconds, hold_expires_at: hold.hold_expires_at }, 'hold extended');
      return hold;
    },
  };
}
