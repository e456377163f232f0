import { ApplicationFailure } from '@temporalio/activity';
import type { Activities } from '../../../src/activities';
import type { ReleaseResult } from '../../../src/activities/release';
import type { Extension } from '../../../src/db/extensions';
import type { OutboundEvent } from '../../../src/shared/events';
import { toMinorUnits } from '../../../src/shared/money';
import { orderRefusal } from '../../../src/shared/refusals';
import { FailureType, type HoldWorkflowInput, type SweepInput } from '../../../src/shared/types';
import type { HoldView, OrderStatus, OrderView } from '../../../src/shared/views';

/** The activities the workflows under test call; the fake runs them. */
const STUBBED = [
  'reserveStock',
  'releaseHold',
  'createOrder',
  'cancelUnpaidOrder',
  'sweepExpired',
  'extendHold',
  'readOrder',
  'deliverEvent',
  'markUndeliverable',
] as const;
type StubbedActivities = Pick<Activities, (typeof STUBBED)[number]>;

/** The one product's price, as MariaDB's DECIMAL reads: an order's amount is priced from it (src/db/order-amounts.ts). */
const PRICE = '10.50';
const iso = (ms: number) => new Date(ms).toISOString();
/** What orderRefusal (src/shared/refusals.ts) reads of a hold. */
const factsOf = (hold: HoldView) => ({
  expiresAtMs: Date.parse(hold.hold_expires_at),
  released: hold.released_at !== null,
  used: hold.used_at !== null,
});

/**
 * The database's rules in memory, for stub activities: every change is a conditional transition, as in
 * src/db/transitions.ts and src/db/extensions.ts, so a release, an expiry, an extension, the sweep and an order can
 * race and stock still moves once; and an events receiver that can be down. The one fake every workflow test uses.
 * `now` is the test server's clock (time skips), not the wall clock.
 */
export class FakeSale {
  readonly state;
  private nextOrderId = 1;
  /** Work that commits just before a hold's next release does (another path winning the race). */
  private beforeRelease = new Map<number, () => Promise<unknown>>();
  /** The release_reason column. */
  private releasedBy = new Map<number, string>();
  /** The extended_seconds column. */
  private extendedSeconds = new Map<number, number>();
  /** Transient database errors still to come for a hold's release (a lost connection: retried). */
  private releaseErrors = new Map<number, number>();
  /** Deliveries the receiver still refuses before it comes back. */
  private receiverDownFor = 0;
  /** The stub activities a test worker runs, bound to this sale. */
  readonly activities: StubbedActivities;

  constructor(
    private readonly now: () => Promise<number>,
    stock = 100,
  ) {
    this.state = {
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
    this.activities = Object.fromEntries(
      STUBBED.map((name) => [name, this[name].bind(this)]),
    ) as unknown as StubbedActivities;
  }

  async reserveStock(input: HoldWorkflowInput): Promise<HoldView> {
    const t = await this.now();
    this.state.calls.push(`reserve ${input.holdId}`);
    const existing = this.state.holds.get(input.holdId);
    if (existing) return existing;
    if (input.quantity > this.state.available) {
      throw ApplicationFailure.nonRetryable('insufficient stock', FailureType.InsufficientStock, {
        available: this.state.available,
      });
    }
    return this.addHold({
      id: input.holdId,
      product_id: input.productId,
      quantity: input.quantity,
      customer_id: input.customerId ?? null,
      hold_expires_at: input.expiresAt ?? iso(t + input.ttlSeconds * 1000),
      created_at: iso(t),
    });
  }

  async releaseHold(holdId: number, reason: 'expired' | 'released' | 'sweep'): Promise<ReleaseResult> {
    this.state.releaseAttempts.set(holdId, [...(this.state.releaseAttempts.get(holdId) ?? []), Date.now()]);
    const errors = this.releaseErrors.get(holdId) ?? 0;
    if (errors > 0) {
      this.releaseErrors.set(holdId, errors - 1);
      this.state.calls.push(`release ${holdId} ${reason} -> error`);
      throw new Error('connection lost');
    }
    const first = this.beforeRelease.get(holdId);
    this.beforeRelease.delete(holdId);
    await first?.();
    const released = this.releaseOnce(holdId, await this.now(), reason);
    // As src/activities/stock.ts: a retry of a client's release that had committed (a local activity runs again
    // when its workflow task is retried) still answers as done.
    const done = released || (reason === 'released' && this.releasedBy.get(holdId) === 'released');
    this.state.calls.push(`release ${holdId} ${reason} -> ${done}`);
    return { released: done, hold: this.state.holds.get(holdId)! };
  }

  async createOrder(holdId: number): Promise<OrderView> {
    const t = await this.now();
    const hold = this.state.holds.get(holdId);
    if (!hold) throw ApplicationFailure.nonRetryable(`hold ${holdId} does not exist`, FailureType.HoldMissing);
    const existing = [...this.state.orders.values()].find((o) => o.hold_id === holdId);
    if (existing) return existing;
    const refusal = orderRefusal(factsOf(hold), t);
    this.state.calls.push(`order ${holdId} -> ${refusal ?? 'ok'}`);
    if (refusal) throw ApplicationFailure.nonRetryable(`hold ${holdId} cannot be ordered`, refusal);
    hold.used_at = hold.updated_at = iso(t);
    return this.addOrder(hold, t);
  }

  async cancelUnpaidOrder(orderId: number, holdId: number): Promise<OrderStatus> {
    const order = this.state.orders.get(orderId)!;
    const cancelled = order.status === 'pending';
    if (cancelled) {
      const t = await this.now();
      order.status = 'cancelled';
      order.updated_at = iso(t);
      this.returnStock(holdId, t);
      this.state.stockReturns.push(`${holdId} payment_timeout`);
    }
    this.state.calls.push(`cancel ${orderId} -> ${cancelled}`);
    return order.status;
  }

  async extendHold(x: Extension): Promise<HoldView> {
    const t = await this.now();
    const hold = this.state.holds.get(x.holdId);
    if (!hold) throw ApplicationFailure.nonRetryable(`hold ${x.holdId} does not exist`, FailureType.HoldMissing);
    const to = iso(Date.parse(x.fromExpiresAt) + x.seconds * 1000);
    const free = hold.released_at === null && hold.used_at === null;
    // An earlier attempt of this very extension committed and died before reporting.
    if (hold.hold_expires_at === to && free) return hold;
    const facts = factsOf(hold);
    const extended = this.extendedSeconds.get(x.holdId) ?? 0;
    const refusal =
      orderRefusal(facts, t) ??
      (extended + x.seconds > x.maxTotalSeconds || facts.expiresAtMs !== Date.parse(x.fromExpiresAt)
        ? FailureType.ExtensionLimit
        : null);
    this.state.calls.push(`extend ${x.holdId} ${x.seconds} -> ${refusal ?? 'ok'}`);
    if (refusal) throw ApplicationFailure.nonRetryable(`hold ${x.holdId} cannot be extended`, refusal);
    this.extendedSeconds.set(x.holdId, extended + x.seconds);
    hold.hold_expires_at = to;
    hold.updated_at = iso(t);
    return hold;
  }

  async readOrder(orderId: number): Promise<OrderView> {
    return this.state.orders.get(orderId)!;
  }

  async deliverEvent(event: OutboundEvent): Promise<void> {
    if (this.receiverDownFor > 0) {
      this.receiverDownFor--;
      throw new Error('receiver down');
    }
    this.state.delivered.push(event);
  }

  async markUndeliverable(event: OutboundEvent): Promise<void> {
    this.state.calls.push(`undeliverable ${event.id}`);
  }

  async sweepExpired({ graceSeconds }: SweepInput) {
    const cutoff = (await this.now()) - graceSeconds * 1000;
    let holdsReleased = 0;
    for (const h of this.state.holds.values()) {
      if (Date.parse(h.hold_expires_at) < cutoff && this.releaseOnce(h.id, cutoff, 'sweep')) holdsReleased++;
    }
    this.state.calls.push(`sweep -> ${holdsReleased}`);
    return { holdsReleased, ordersCancelled: 0 };
  }

  /** `released_at IS NULL AND used_at IS NULL`: only one release of a hold ever gives its stock back. */
  private releaseOnce(holdId: number, t: number, reason: string): boolean {
    const hold = this.state.holds.get(holdId);
    if (!hold || hold.released_at !== null || hold.used_at !== null) return false;
    this.returnStock(holdId, t);
    this.releasedBy.set(holdId, reason);
    this.state.stockReturns.push(`${holdId} ${reason}`);
    return true;
  }

  private returnStock(holdId: number, t: number) {
    const hold = this.state.holds.get(holdId)!;
    hold.released_at = hold.updated_at = iso(t);
    this.state.available += hold.quantity;
  }

  /** The activity calls about this hold, in order: `release 7 expired -> true`. */
  callsOf(holdId: number) {
    return this.state.calls.filter((c) => c.split(' ')[1] === String(holdId));
  }

  /** Why this hold's stock came back, each time it did. */
  returnsOf(holdId: number) {
    return this.state.stockReturns.filter((r) => r.startsWith(`${holdId} `));
  }

  /** Conservation: the stock not held or sold, plus what holds and live orders keep, is what there was. */
  unitsAccountedFor() {
    return (
      this.state.available +
      [...this.state.holds.values()].filter((h) => h.released_at === null).reduce((n, h) => n + h.quantity, 0)
    );
  }

  /** A held hold in the database only (its workflow gone: terminated, or its history lost). */
  seedHold(holdId: number, quantity: number, expiresAtMs: number): HoldView {
    return this.addHold({
      id: holdId,
      product_id: 1,
      quantity,
      customer_id: null,
      hold_expires_at: iso(expiresAtMs),
      created_at: iso(expiresAtMs - 60_000),
    });
  }

  /** A hold and its pending order, as the hold's workflow leaves them when it starts the order's workflow. */
  seedOrder(holdId: number, quantity: number, createdAtMs: number): OrderView {
    const hold = this.seedHold(holdId, quantity, createdAtMs + 60_000);
    hold.used_at = hold.updated_at = iso(createdAtMs);
    return this.addOrder(hold, createdAtMs);
  }

  /** A new held hold, its units taken from the available stock. */
  private addHold(row: Omit<HoldView, 'released_at' | 'used_at' | 'updated_at'>): HoldView {
    const hold: HoldView = { ...row, released_at: null, used_at: null, updated_at: row.created_at };
    this.state.available -= hold.quantity;
    this.state.holds.set(hold.id, hold);
    return hold;
  }

  /** A new pending order for `hold`, priced from the product's price. */
  private addOrder(hold: HoldView, t: number): OrderView {
    const order: OrderView = {
      id: this.nextOrderId++,
      hold_id: hold.id,
      status: 'pending',
      payment_idempotency_key: null,
      refund_due: false,
      customer_id: hold.customer_id,
      amount: Number(toMinorUnits(PRICE, hold.quantity, 'usd')),
      currency: 'usd',
      created_at: iso(t),
      updated_at: iso(t),
    };
    this.state.orders.set(order.id, order);
    return order;
  }

  /** Runs `work` (e.g. the sweep) right before the next release of this hold, so that it gets there first. */
  beforeNextRelease(holdId: number, work: () => Promise<unknown>) {
    this.beforeRelease.set(holdId, work);
  }

  /** The next `attempts` releases of this hold fail as a lost database connection would (retryable). */
  failReleases(holdId: number, attempts: number) {
    this.releaseErrors.set(holdId, attempts);
  }

  /** The events receiver refuses the next `deliveries` deliveries, then accepts again. */
  receiverDown(deliveries: number) {
    this.receiverDownFor = deliveries;
  }
}
