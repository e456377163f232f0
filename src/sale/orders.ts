import { orderRefusal } from '../shared/refusals';
import { FailureType } from '../shared/types';
import type { HoldView, OrderView } from '../shared/views';
import { WorkflowClosed, WorkflowRefusal } from '../temporal/holds';
import type { SaleDeps } from './deps';
import { holdFinder } from './find-hold';

/** What an order request comes to; the route turns each into its HTTP answer. */
export type OrderOutcome =
  /** `earlier`: placed by a previous attempt of the same keyed request. */
  { kind: 'ordered'; order: OrderView; earlier?: boolean } | { kind: 'refused'; reason: FailureType };

const orderRefusalOf = (h: HoldView) =>
  orderRefusal(
    { expiresAtMs: Date.parse(h.hold_expires_at), released: h.released_at !== null, used: h.used_at !== null },
    Date.now(),
  );

const isOrderRefusal = (type: FailureType | null): type is FailureType =>
  type === FailureType.HoldExpired || type === FailureType.HoldReleased || type === FailureType.HoldUsed;

/** Orders: turning a held hold into a pending order through the hold's workflow. */
export function createOrderDesk({ models, holds }: Pick<SaleDeps, 'models' | 'holds'>) {
  const findHold = holdFinder({ models });

  /**
   * Places the order on an existing hold. `attempt` names the workflow update and is stable across retries of one
   * keyed request (`keyed`): a used hold may then have been ordered by this very request's earlier attempt (answered
   * 503 after the commit), and that order is the answer, not a refusal.
   */
  async function place(holdId: number, attempt: string, keyed: boolean): Promise<OrderOutcome> {
    const refused = async (reason: FailureType): Promise<OrderOutcome> => {
      if (reason === FailureType.HoldUsed && keyed) {
        const order = await holds.orderPlacedBy(holdId, attempt);
        if (order) return { kind: 'ordered', order, earlier: true };
      }
      return { kind: 'refused', reason };
    };
    // The database answers for holds that can no longer change; only a held hold needs its workflow.
    const early = orderRefusalOf((await findHold(holdId))!);
    if (early) return refused(early);
    try {
      return { kind: 'ordered', order: await holds.placeOrder(holdId, attempt) };
    } catch (err) {
      if (err instanceof WorkflowRefusal && isOrderRefusal(err.type)) return refused(err.type);
      if (!(err instanceof WorkflowClosed)) throw err;
      return refused(orderRefusalOf((await findHold(holdId))!) ?? FailureType.HoldUsed);
    }
  }

  return { findHold, place };
}

export type OrderDesk = ReturnType<typeof createOrderDesk>;
