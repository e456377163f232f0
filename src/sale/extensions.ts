import { orderRefusal } from '../shared/refusals';
import { FailureType } from '../shared/types';
import type { HoldView } from '../shared/views';
import { WorkflowClosed, WorkflowRefusal } from '../temporal/holds';
import { belongsToAnother } from './customers';
import type { SaleDeps } from './deps';
import { holdFinder } from './find-hold';

export type ExtendOutcome =
  | { kind: 'extended'; hold: HoldView }
  | { kind: 'disabled' }
  | { kind: 'not-found' }
  /** The hold was made for another customer than the request names. */
  | { kind: 'other-customer' }
  | { kind: 'refused'; reason: FailureType };

/** Why a hold as the database shows it cannot be extended: the order's reasons, in the contract's order. */
const refusalOf = (h: HoldView, nowMs = Date.now()) =>
  orderRefusal(
    { expiresAtMs: Date.parse(h.hold_expires_at), released: h.released_at !== null, used: h.used_at !== null },
    nowMs,
  );

const REFUSALS = new Set<string>([
  FailureType.HoldExpired,
  FailureType.HoldReleased,
  FailureType.HoldUsed,
  FailureType.ExtensionLimit,
]);

/**
 * Hold extension (HOLD_MAX_EXTENSION_SECONDS): the hold's workflow runs it, so its timer and the database's expiry
 * move together; the database decides under the hold's row lock.
 */
export function createExtensionDesk({ models, holds }: SaleDeps) {
  const maxTotalSeconds = holds.settings?.maxExtensionSeconds ?? 0;
  const findHold = holdFinder({ models });

  async function extend(holdId: number, seconds: number, customerId?: string): Promise<ExtendOutcome> {
    const hold = await findHold(holdId);
    // A hold's customer never changes: the row settles it, before anything else is said of the hold.
    if (hold && belongsToAnother(hold, customerId)) return { kind: 'other-customer' };
    if (!maxTotalSeconds) return { kind: 'disabled' };
    if (!hold) return { kind: 'not-found' };
    const early = refusalOf(hold);
    if (early) return { kind: 'refused', reason: early };
    try {
      return { kind: 'extended', hold: await holds.extend(holdId, { seconds, maxTotalSeconds }) };
    } catch (err) {
      if (err instanceof WorkflowRefusal && err.type !== null && REFUSALS.has(err.type)) {
        return { kind: 'refused', reason: err.type };
      }
      // A hold started before extension existed (holdWorkflow v1) has no handler for it.
      if (err instanceof WorkflowRefusal) return { kind: 'disabled' };
      if (!(err instanceof WorkflowClosed)) throw err;
      // The workflow ended meanwhile (expired, ordered or released): the database says which.
      const latest = await findHold(holdId);
      return { kind: 'refused', reason: (latest && refusalOf(latest)) || FailureType.HoldExpired };
    }
  }

  return { extend };
}
