import type { StockGate } from '../cache/product-cache';
import { createHoldIdAllocator } from '../db/ids';
import { releaseRefusal } from '../shared/refusals';
import { FailureType } from '../shared/types';
import type { HoldView } from '../shared/views';
import { WorkflowClosed, WorkflowRefusal } from '../temporal/holds';
import { belongsToAnother } from './customers';
import type { SaleDeps } from './deps';
import { holdFinder } from './find-hold';
import { createSoldOutGate } from './sold-out-gate';

/** What a hold request comes to; the route turns each into its HTTP answer. */
export type HoldOutcome =
  | { kind: 'held'; hold: HoldView }
  | { kind: 'sold-out'; available: number }
  /** The customer already has the product's max_per_customer units. */
  | { kind: 'customer-limit'; max: number }
  | { kind: 'unknown-product' }
  /** The reservation could not reach the database within its retry budget. */
  | { kind: 'unavailable' };

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

/** The gate, asked again after a wait for Temporal, found the product sold out: nothing was started. */
class SoldOutWhileQueued extends Error {
  constructor(readonly available: number) {
    super('sold out while queued');
  }
}

/** Holds: reserving stock through a hold's workflow behind the sold-out gate, and releasing early. */
export function createHoldDesk(deps: SaleDeps) {
  const { db, holds } = deps;
  const gate = createSoldOutGate(deps);
  const nextHoldId = createHoldIdAllocator(db, holds.settings?.holdIdBlockSize ?? 100);

  const findHold = holdFinder(deps);

  /** Starts the hold's workflow and waits for its reservation; refused early when the gate shows it sold out. */
  async function reserve(
    holdId: number,
    productId: number,
    quantity: number,
    seen: StockGate | null,
    customerId?: string,
  ): Promise<HoldOutcome> {
    const available = await gate.soldOut(seen, productId, quantity);
    if (available !== null) return { kind: 'sold-out', available };
    // A request that waited its turn for Temporal asks the gate again: after a sale's first burst sells out, the
    // queue behind it is answered "sold out" at once instead of starting a workflow each to be refused.
    const stillInStock = async () => {
      const fresh = await gate.read(productId);
      const left = await gate.soldOut(fresh, productId, quantity);
      if (left !== null) throw new SoldOutWhileQueued(left);
      return fresh?.epoch;
    };
    try {
      return {
        kind: 'held',
        hold: await holds.reserve(holdId, productId, quantity, seen?.epoch, customerId, stillInStock),
      };
    } catch (err) {
      if (err instanceof SoldOutWhileQueued) return { kind: 'sold-out', available: err.available };
      if (!(err instanceof WorkflowRefusal)) throw err;
      switch (err.type) {
        case FailureType.InsufficientStock:
          return { kind: 'sold-out', available: Number((err.details[0] as { available?: number })?.available ?? 0) };
        case FailureType.CustomerLimit:
          return { kind: 'customer-limit', max: Number((err.details[0] as { max?: number })?.max ?? 0) };
        case FailureType.ReservationFailed:
          return { kind: 'unavailable' };
        case FailureType.UnknownProduct:
          return { kind: 'unknown-product' };
      }
      throw err;
    }
  }

  /** Gives a held hold's stock back now, through its workflow; the database answers for a hold that has moved on. */
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

  return {
    nextHoldId,
    findHold,
    /** Reads the sold-out gate once per request: the epoch travels with the reservation. */
    readGate: gate.read,
    soldOut: gate.soldOut,
    reserve,
    release,
  };
}

const isReleaseRefusal = (type: FailureType | null): type is FailureType =>
  type === FailureType.HoldUsed || type === FailureType.HoldReleased;

export type HoldDesk = ReturnType<typeof createHoldDesk>;
