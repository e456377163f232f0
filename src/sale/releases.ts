import { releaseRefusal } from '../shared/refusals';
import { FailureType } from '../shared/types';
import type { HoldView } from '../shared/views';
import { WorkflowClosed, WorkflowRefusal } from '../temporal/holds';
import { belongsToAnother } from './customers';
import type { SaleDeps } from './deps';
import { holdFinder } from './find-hold';

export type ReleaseOutcome =
  | { kind: 'released'; hold: HoldView }
  | { kind: 'refused'; reason: FailureType }
  | { kind: 'not-found' }
  /** The hold was made for another customer than the request names. */
  | { kind: 'other-customer' };

const releaseRefusalOf = (h: HoldView, nowMs = Date.now()) =>
  releaseRefusal(
    { expiresAtMs: Date.parse(h.hold_expires_at), released: h.released_at !== null, used: h.used_at !== null },
    nowMs,
  );

const isReleaseRefusal = (type: FailureType | null): type is FailureType =>
  type === FailureType.HoldUsed || type === FailureType.HoldReleased;

/** A buyer's early release: the hold's workflow gives its stock back; the database answers for a hold that moved on. */
export function createReleaseDesk({ models, holds }: Pick<SaleDeps, 'models' | 'holds'>) {
  const findHold = holdFinder({ models });

  async function release(holdId: number, customerId?: string): Promise<ReleaseOutcome> {
    const hold = await findHold(holdId);
    if (!hold) return { kind: 'not-found' };
    if (belongsToAnother(hold, customerId)) return { kind: 'other-customer' };
    const early = releaseRefusalOf(hold);
    if (early) return { kind: 'refused', reason: early };
    try {
      return { kind: 'released', hold: await holds.release(hold.id) };
    } catch (err) {
      if (err instanceof WorkflowRefusal && isReleaseRefusal(err.type)) return { kind: 'refused', reason: err.type };
      if (!(err instanceof WorkflowClosed)) throw err;
      // The workflow ended meanwhile (ordered or expired): the database says which.
      const latest = await findHold(holdId);
      if (!latest) return { kind: 'not-found' };
      return { kind: 'refused', reason: releaseRefusalOf(latest) ?? FailureType.HoldReleased };
    }
  }

  return { release, findHold };
}
