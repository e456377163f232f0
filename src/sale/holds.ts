import { abandonHold } from '../db/abandoned-holds';
import { createHoldIdAllocator } from '../db/ids';
import { FailureType, type HoldRequest } from '../shared/types';
import type { HoldView } from '../shared/views';
import { CallerGone, TemporalUnavailable, WorkflowClosed, WorkflowRefusal } from '../temporal/holds';
import type { SaleDeps } from './deps';
import { createSoldOutGate, type GateVerdict } from './sold-out-gate';

/** What a hold request comes to; the route turns each into its HTTP answer. */
export type HoldOutcome =
  | { kind: 'held'; hold: HoldView }
  | { kind: 'sold-out'; available: number }
  /** The customer already has the product's max_per_customer units. */
  | { kind: 'customer-limit'; max: number }
  | { kind: 'unknown-product' }
  /** No answer in time (Temporal or the database): the buyer is told 503 and owns nothing. */
  | { kind: 'unavailable' };

/** The gate, asked again after a wait for Temporal, found the product sold out: nothing was started. */
class SoldOutWhileQueued extends Error {
  constructor(readonly available: number) {
    super('sold out while queued');
  }
}

const refusalOutcome = (err: WorkflowRefusal): HoldOutcome | null => {
  const detail = (err.details[0] ?? {}) as { available?: number; max?: number };
  switch (err.type) {
    case FailureType.InsufficientStock:
      return { kind: 'sold-out', available: Number(detail.available ?? 0) };
    case FailureType.CustomerLimit:
      return { kind: 'customer-limit', max: Number(detail.max ?? 0) };
    case FailureType.UnknownProduct:
      return { kind: 'unknown-product' };
    case FailureType.ReservationFailed:
    case FailureType.CallerGone:
      return { kind: 'unavailable' };
  }
  return null;
};

/** A new hold: stock reserved through the hold's workflow, behind the sold-out gate (early releases: releases.ts). */
export class HoldDesk {
  readonly nextHoldId: () => Promise<number>;
  private readonly gate: ReturnType<typeof createSoldOutGate>;

  constructor(private readonly deps: SaleDeps) {
    const settings = deps.holds.settings;
    // A reservation is in flight at most its wait for a slot plus its call's deadline; a count left by an API process
    // that died lapses a little after that.
    const queueMs = settings?.maxInFlight ? (settings.queueTimeoutMs ?? settings.callTimeoutMs) : 0;
    this.gate = createSoldOutGate(deps, { lapseMs: queueMs + (settings?.callTimeoutMs ?? 10_000) + 5_000 });
    this.nextHoldId = createHoldIdAllocator(deps.db, deps.holds.settings?.holdIdBlockSize ?? 100);
  }

  /**
   * The sold-out gate's look at a request that has no hold id yet: refused at once when the stock it knows, less the
   * units being reserved, is below the request (the database confirms), without Temporal or a locked transaction.
   */
  soldOut = async (productId: number, quantity: number): Promise<number | null> =>
    (await this.gate.check(productId, quantity, null)).soldOut;

  /**
   * Starts the hold's workflow and waits for its reservation. Its units count as being reserved from the gate's check
   * until the outcome, so buyers behind it are told "sold out" at once when every unit is held or being reserved.
   */
  async reserve(request: HoldRequest, gone?: AbortSignal): Promise<HoldOutcome> {
    const { productId, quantity, holdId } = request;
    const verdict: GateVerdict = await this.gate.check(productId, quantity, holdId);
    if (verdict.soldOut !== null) return { kind: 'sold-out', available: verdict.soldOut };
    // A request that waited its turn for Temporal asks the gate again (its own units aside): after a sale's first
    // burst sells out, the queue behind it is answered "sold out" at once instead of starting a workflow each.
    const stillInStock = async () => {
      const again = await this.gate.check(productId, quantity, holdId);
      if (again.soldOut !== null) throw new SoldOutWhileQueued(again.soldOut);
      return again.epoch;
    };
    try {
      const hold = await this.deps.holds.reserve(
        { ...request, gateEpoch: verdict.epoch },
        { gone, afterQueue: stillInStock },
      );
      return { kind: 'held', hold };
    } catch (err) {
      if (err instanceof SoldOutWhileQueued) return { kind: 'sold-out', available: err.available };
      if (err instanceof TemporalUnavailable || err instanceof CallerGone) return this.abandon(request.holdId, err);
      const refused = err instanceof WorkflowRefusal ? refusalOutcome(err) : null;
      if (refused) return refused;
      throw err;
    } finally {
      // Held (the stock note took its units off already), refused, or abandoned: either way no longer in flight.
      await this.gate.release(productId, holdId, quantity);
    }
  }

  /**
   * The call gave up (its deadline, Temporal down, or its client hung up) after the start was sent: the buyer must
   * own nothing. The database decides, serialised with the reservation: either the hold is barred from ever
   * reserving, or it had already reserved, and then a caller still listening is answered with it (201) and one that
   * hung up has it released. Should even that write fail, the reservation still refuses once past its `answerBy`.
   */
  private async abandon(holdId: number, gaveUp: TemporalUnavailable | CallerGone): Promise<HoldOutcome> {
    const { db, log } = this.deps;
    if (!gaveUp.sent) return { kind: 'unavailable' };
    let reserved: HoldView | null;
    try {
      reserved = await abandonHold(db, holdId);
    } catch (err) {
      log?.error({ hold_id: holdId, err: (err as Error).message }, 'hold not abandoned: its answerBy bars it');
      return { kind: 'unavailable' };
    }
    if (!reserved) {
      log?.info({ hold_id: holdId, reason: gaveUp.message }, 'hold abandoned before it reserved');
      return { kind: 'unavailable' };
    }
    if (gaveUp instanceof CallerGone) {
      log?.info({ hold_id: holdId }, 'caller hung up after its hold reserved: releasing it');
      void this.releaseForGoneCaller(holdId);
      return { kind: 'unavailable' };
    }
    return { kind: 'held', hold: reserved };
  }

  /** Best effort, a few tries: the hold's own TTL (and the sweep) stay the backstop. */
  private async releaseForGoneCaller(holdId: number) {
    for (let attempt = 1; attempt <= 5; attempt++) {
      try {
        await this.deps.holds.release(holdId);
        return;
      } catch (err) {
        if (err instanceof WorkflowRefusal || err instanceof WorkflowClosed) return;
        await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** attempt));
      }
    }
    this.deps.log?.warn({ hold_id: holdId }, 'hold of a caller that hung up not released: it lapses at its TTL');
  }
}
