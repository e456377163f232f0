import { ApplicationFailure } from '@temporalio/activity';
import type { Activities } from '../../../src/activities';
import type { ReleaseResult } from '../../../src/activities/stock';
import type { Extension } from '../../../src/db/extensions';
import type { OutboundEvent } from '../../../src/shared/events';
import { toMinorUnits } from '../../../src/shared/money';
import { orderRefusal } from '../../../src/shared/refusals';
import { FailureType, type HoldWorkflowInput, type SweepInput } from '../../../src/shared/types';
import type { HoldView, OrderStatus, OrderView } from '../../../src/shared/views';

type StubbedActivities = Pick<
  Activities,
  | 'reserveStock'
  | 'releaseHold'
  | 'createOrder'
  | 'cancelUnpaidOrder'
  | 'sweepExpired'
  | 'extendHold'
  | 'readOrder'
  | 'deliverEvent'
  | 'markUndeliverable'
>;

/** The one product's price, as MariaDB's DECIMAL reads: an order's amount is priced from it (src/db/order-amounts.ts). */
const PRICE = '10.50';
const priced = (quantity: number) => ({ amount: Number(toMinorUnits(PRICE, quantity, 'usd')), currency: 'usd' });

/**
 * The database's rules in memory, for stub activities: every change is a conditional transition, as in
 * src/db/transitions.ts and src/db/extensions.ts, so a release, an expiry, an extension, the sweep and an order can
 * race and stock still moves once; and an events receiver that can be down. The one fake every workflow test uses.
 * `now` is the test server's clock (time skips), not the wall clock.
 */
export function createFakeSale(now: () => Promise<number>, stock = 100) {
  const state = {
    available: stock,
    holds: new Map<number, HoldView>(),
    orders: new Map<number, OrderView>(),
    /** Every activity call, in order: `release 7 expired -> true` (a local activity may run again on a retried task). */
    calls: [] as string[],
    /** Each time a hold's stock actually came back, and why: `7 expired`. The rules say at most once per hold. */
    stockReturns: [] as string[],
    /** What the events receiver accepted, in order. */
    delivered: [] as OutboundEvent[],
    /** The wall-clock instant of each attempt to release a hold (retries of a local activity run in the worker). */
    releaseAttempts: new Map<number, number[]>(),
  };
  let nextOrderId = 1;
  /** Work that commits just before a hold's next release does (another path winning the race). */
  const beforeRelease = new Map<number, () => Promise<unknown>>();
  /** The release_reason column. */
  const releasedBy = new Map<number, string>();
  /** The extended_seconds column. */
  const extendedSeconds = new Map<number, number>();
  /** Transient database errors still to come for a hold's release (a lost connection: retried). */
  const releaseErrors = new Map<number, number>();
  /** Deliveries the receiver still refuses before it comes back. */
  let receiverDownFor = 0;
  const iso = (ms: number) => new Date(ms).toISOString();

  const activities: StubbedActivities = {
    async reserveStock(input: HoldWorkflowInput): Promise<HoldView> {
      const t = await now();
      state.calls.push(`reserve ${input.holdId}`);
      const existing = state.holds.get(input.holdId);
      if (existing) return existing;
      if (input.quantity > state.available) {
        throw ApplicationFailure.nonRetryable('insufficient stock', FailureType.InsufficientStock, {
          available: state.available,
        });
      }
      state.available -= input.quantity;
      const hold: HoldView = {
        id: input.holdId,
        product_id: input.productId,
        quantity: input.quantity,
        customer_id: input.customerId ?? null,
        hold_expires_at: input.expiresAt ?? iso(t + input.ttlSeconds * 1000),
        released_at: null,
        used_at: null,
        created_at: iso(t),
        updated_at: iso(t),
      };
      state.holds.set(hold.id, hold);
      return hold;
    },

    async releaseHold(holdId: number, reason: 'expired' | 'released' | 'sweep'): Promise<ReleaseResult> {
      state.releaseAttempts.set(holdId, [...(state.releaseAttempts.get(holdId) ?? []), Date.now()]);
      const errors = releaseErrors.get(holdId) ?? 0;
      if (errors > 0) {
        releaseErrors.set(holdId, errors - 1);
        state.calls.push(`release ${holdId} ${reason} -> error`);
        throw new Error('connection lost');
      }
      const first = beforeRelease.get(holdId);
      beforeRelease.delete(holdId);
      await first?.();
      const released = releaseOnce(holdId, await now(), reason);
      // As src/activities/stock.ts: a retry of a client's release that had committed (a local activity runs again
      // when its workflow task is retried) still answers as done.
      const done = released || (reason === 'released' && releasedBy.get(holdId) === 'released');
      state.calls.push(`release ${holdId} ${reason} -> ${done}`);
      return { released: done, hold: state.holds.get(holdId)! };
    },

    async createOrder(holdId: number): Promise<OrderView> {
      const t = await now();
      const hold = state.holds.get(holdId);
      if (!hold) throw ApplicationFailure.nonRetryable(`hold ${holdId} does not exist`, FailureType.HoldMissing);
      const existing = [...state.orders.values()].find((o) => o.hold_id === holdId);
      if (existing) return existing;
      const refusal = orderRefusal(
        {
          expiresAtMs: Date.parse(hold.hold_expires_at),
          released: hold.released_at !== null,
          used: hold.used_at !== null,
        },
        t,
      );
      state.calls.push(`order ${holdId} -> ${refusal ?? 'ok'}`);
      if (refusal) throw ApplicationFailure.nonRetryable(`hold ${holdId} cannot be ordered`, refusal);
      hold.used_at = hold.updated_at = iso(t);
      const order: OrderView = {
        id: nextOrderId++,
        hold_id: holdId,
        status: 'pending',
        payment_idempotency_key: null,
        refund_due: false,
        customer_id: hold.customer_id,
        ...priced(hold.quantity),
        created_at: iso(t),
        updated_at: iso(t),
      };
      state.orders.set(order.id, order);
      return order;
    },

    async cancelUnpaidOrder(orderId: number, holdId: number): Promise<OrderStatus> {
      const order = state.orders.get(orderId)!;
      const cancelled = order.status === 'pending';
      if (cancelled) {
        const t = await now();
        order.status = 'cancelled';
        order.updated_at = iso(t);
        returnStock(holdId, t);
        state.stockReturns.push(`${holdId} payment_timeout`);
      }
      state.calls.push(`cancel ${orderId} -> ${cancelled}`);
      return order.status;
    },

    async extendHold(x: Extension): Promise<HoldView> {
      const t = await now();
      const hold = state.holds.get(x.holdId);
      if (!hold) throw ApplicationFailure.nonRetryable(`hold ${x.holdId} does not exist`, FailureType.HoldMissing);
      const to = iso(Date.parse(x.fromExpiresAt) + x.seconds * 1000);
      const free = hold.released_at === null && hold.used_at === null;
      // An earlier attempt of this very extension committed and died before reporting.
      if (hold.hold_expires_at === to && free) return hold;
      const expiresAtMs = Date.parse(hold.hold_expires_at);
      const extended = extendedSeconds.get(x.holdId) ?? 0;
      const refusal =
        orderRefusal({ expiresAtMs, released: hold.released_at !== null, used: hold.used_at !== null }, t) ??
        (extended + x.seconds > x.maxTotalSeconds || expiresAtMs !== Date.parse(x.fromExpiresAt)
          ? FailureType.ExtensionLimit
          : null);
      state.calls.push(`extend ${x.holdId} ${x.seconds} -> ${refusal ?? 'ok'}`);
      if (refusal) throw ApplicationFailure.nonRetryable(`hold ${x.holdId} cannot be extended`, refusal);
      extendedSeconds.set(x.holdId, extended + x.seconds);
      hold.hold_expires_at = to;
      hold.updated_at = iso(t);
      return hold;
    },

    async readOrder(orderId: number): Promise<OrderView> {
      return state.orders.get(orderId)!;
    },

    async deliverEvent(event: OutboundEvent): Promise<void> {
      if (receiverDownFor > 0) {
        receiverDownFor--;
        throw new Error('receiver down');
      }
      state.delivered.push(event);
    },

    async markUndeliverable(event: OutboundEvent): Promise<void> {
      state.calls.push(`undeliverable ${event.id}`);
    },

    async sweepExpired({ graceSeconds }: SweepInput) {
      const cutoff = (await now()) - graceSeconds * 1000;
      let holdsReleased = 0;
      for (const h of state.holds.values()) {
        if (Date.parse(h.hold_expires_at) < cutoff && releaseOnce(h.id, cutoff, 'sweep')) holdsReleased++;
      }
      state.calls.push(`sweep -> ${holdsReleased}`);
      return { holdsReleased, ordersCancelled: 0 };
    },
  };

  /** `released_at IS NULL AND used_at IS NULL`: only one release of a hold ever gives its stock back. */
  function releaseOnce(holdId: number, t: number, reason: string): boolean {
    const hold = state.holds.get(holdId);
    if (!hold || hold.released_at !== null || hold.used_at !== null) return false;
    returnStock(holdId, t);
    releasedBy.set(holdId, reason);
    state.stockReturns.push(`${holdId} ${reason}`);
    return true;
  }

  function returnStock(holdId: number, t: number) {
    const hold = state.holds.get(holdId)!;
    hold.released_at = hold.updated_at = iso(t);
    state.available += hold.quantity;
  }

  /** Conservation: the stock not held or sold, plus what holds and live orders keep, is what there was. */
  const unitsAccountedFor = () =>
    state.available +
    [...state.holds.values()].filter((h) => h.released_at === null).reduce((n, h) => n + h.quantity, 0);

  /** A held hold in the database only (its workflow gone: terminated, or its history lost). */
  function seedHold(holdId: number, quantity: number, expiresAtMs: number): HoldView {
    const at = iso(expiresAtMs - 60_000);
    state.available -= quantity;
    const hold: HoldView = {
      id: holdId,
      product_id: 1,
      quantity,
      customer_id: null,
      hold_expires_at: iso(expiresAtMs),
      released_at: null,
      used_at: null,
      created_at: at,
      updated_at: at,
    };
    state.holds.set(holdId, hold);
    return hold;
  }

  /** A hold and its pending order, as the hold's workflow leaves them when it starts the order's workflow. */
  function seedOrder(holdId: number, quantity: number, createdAtMs: number): OrderView {
    const hold = seedHold(holdId, quantity, createdAtMs + 60_000);
    hold.used_at = hold.updated_at = iso(createdAtMs);
    const order: OrderView = {
      id: nextOrderId++,
      hold_id: holdId,
      status: 'pending',
      payment_idempotency_key: null,
      refund_due: false,
      customer_id: null,
      ...priced(quantity),
      created_at: iso(createdAtMs),
      updated_at: iso(createdAtMs),
    };
    state.orders.set(order.id, order);
    return order;
  }

  /** Runs `work` (e.g. the sweep) right before the next release of this hold, so that it gets there first. */
  function beforeNextRelease(holdId: number, work: () => Promise<unknown>) {
    beforeRelease.set(holdId, work);
  }

  /** The next `attempts` releases of this hold fail as a lost database connection would (retryable). */
  function failReleases(holdId: number, attempts: number) {
    releaseErrors.set(holdId, attempts);
  }

  /** The events receiver refuses the next `deliveries` deliveries, then accepts again. */
  function receiverDown(deliveries: number) {
    receiverDownFor = deliveries;
  }

  return {
    state,
    activities,
    unitsAccountedFor,
    seedHold,
    seedOrder,
    beforeNextRelease,
    failReleases,
    receiverDown,
  };
}

export type FakeSale = ReturnType<typeof createFakeSale>;
