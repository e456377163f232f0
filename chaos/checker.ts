import { availableStockSql } from '../src/db/models';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';

/**
 * The oracle of the chaos suite: reads MariaDB in one consistent snapshot and reports every broken promise.
 *
 * Per snapshot (all rows of the products it is given, or of every product):
 * - conservation: available_stock + quantities of unreleased holds = stock put in, from the harness's own ledger
 *   of what it created and restocked (never read from the database under test), so a lost or a doubled give-back,
 *   or stock conjured in the database, shows at once;
 * - no negative counters, available_stock ≤ stock put in, hold quantities ≥ 1;
 * - a hold is ordered (used_at) exactly when it has an order, ordered before it expired, never both released and
 *   sold, released only when its order is cancelled or it had none, by a reason that fits, never before its
 *   expiry when the reason is expiry;
 * - an order has at most one on-time payment event; completed ⇔ one `paid` event (and the key recorded); cancelled
 *   after a `failed` event or by the payment timeout (never earlier than that); pending has no event;
 * - late payments (events recorded `late`): a late `paid` either owes a refund (`refund_due_at` set) or, honoured,
 *   completed its cancelled order with its own key and took the hold's units again (the only release ever undone);
 * - extensions: a hold's expiry only ever moves later, by exactly the seconds its `extended_seconds` grew;
 * - everything a client was told: every hold answered 201 exists as answered, every order answered 201 exists
 *   for its hold, every release answered 200 is released by the client as answered, every webhook answered 200 is
 *   applied with the status it answered;
 * - lateness, at every snapshot: no hold still held past expiry + sweep interval + sweep grace + slack + the time
 *   the system was down meanwhile (`lateness`);
 * - across snapshots: rows never vanish, a release or an order happens once and is never undone or rewritten,
 *   final order states stay final, total_stock never falls;
 * - once faults have healed (`settled`): no hold still held past expiry + grace, no order pending past its payment
 *   timeout + grace.
 */

export interface AckedHold {
  productId: number;
  quantity: number;
  expiresAt: string;
}

export interface AckedPayment {
  orderId: number;
  /** `paid` or `failed`, as sent. */
  sent: 'paid' | 'failed';
  /** The order status the webhook answered (`completed`, `cancelled`). */
  answered: string;
}

/** What clients were told; the harness fills it as answers arrive, the checker holds the database to it. */
export class Acks {
  holds = new Map<number, AckedHold>();
  orders = new Map<number, { holdId: number }>();
  /** By event id. */
  payments = new Map<string, AckedPayment>();
  /** Early releases answered 200, by hold id: the released_at answered. */
  releases = new Map<number, { releasedAt: string }>();
  /** The ledger: stock put in per product (created + restocks answered 200), kept by the harness. */
  stock = new Map<number, number>();
  /** Restocks sent and not yet answered, per product: the database may already show them (committed, unanswered). */
  restocking = new Map<number, number>();
}

/** When the system was down (a fault made releases impossible): lateness bounds stretch by the overlap. */
export interface Downtime {
  /** Milliseconds the system was down between `from` and `to` (epoch ms). */
  overlap(from: number, to: number): number;
}

export interface LatenessOptions {
  /** SWEEP_INTERVAL_SECONDS + SWEEP_GRACE_SECONDS: by then the sweep has released what a timer missed. */
  boundSeconds: number;
  /** Scheduling slack on a busy machine, explicit. */
  slackSeconds: number;
  downtime?: Downtime;
}

export interface CheckerOptions {
  /** mysql://user:pass@host:port/database — straight to the server, never through a fault proxy. */
  url: string;
  /** Only these products (and their holds and orders); all products when absent. */
  productIds?: () => number[] | undefined;
  /**
   * Stock put in, per product, by the harness's own account (acks.stock when absent). Without a ledger entry a
   * product's total_stock is trusted (a product the harness did not create).
   */
  ledger?: Map<number, number>;
  acks?: Acks;
  /** Lateness at every snapshot; absent: only once settled. */
  lateness?: LatenessOptions;
  paymentTimeoutSeconds: number;
  /** Sweep grace: a sweep release is never earlier than expiry + this. */
  sweepGraceSeconds: number;
}

export interface SettledOptions {
  /** How long past its expiry (or payment deadline) a hold (order) may stay open once faults have healed. */
  graceSeconds: number;
}

export interface CheckReport {
  at: string;
  violations: string[];
  products: number;
  holds: number;
  orders: number;
  events: number;
  /** Holds still held past expiry (not yet a violation unless settled). */
  overdueHolds: number;
  overdueOrders: number;
  /** Holds neither released nor ordered, and pending orders: what is still in flight. */
  openHolds: number;
  pendingOrders: number;
  ms: number;
}

interface HoldSeen {
  productId: number;
  quantity: number;
  expiresAt: number;
  extendedSeconds: number;
  releasedAt: number | null;
  usedAt: number | null;
}

interface ProductRow extends RowDataPacket {
  id: number;
  total_stock: number;
  available_stock: number;
}
interface HoldRow extends RowDataPacket {
  id: number;
  product_id: number;
  quantity: number;
  hold_expires_at: string;
  released_at: string | null;
  used_at: string | null;
  release_reason: string | null;
  extended_seconds: number;
  created_at: string;
}
interface OrderRow extends RowDataPacket {
  id: number;
  hold_id: number;
  status: string;
  payment_idempotency_key: string | null;
  refund_due_at: string | null;
  created_at: string;
}
interface EventRow extends RowDataPacket {
  event_id: string;
  order_id: number;
  status: string;
  late: number;
}

/** DATETIME(3) as stored (UTC, no zone) to epoch ms. */
const ms = (v: string | null): number | null => (v === null ? null : Date.parse(`${v.replace(' ', 'T')}Z`));
const EXPIRY_REASONS = new Set(['expired', 'released', 'sweep']);
const ORDER_REASONS = new Set(['payment_failed', 'payment_timeout', 'sweep_payment_timeout']);
/** Clock slack between the processes that write times (all on this machine, so small). */
const SLACK_MS = 5;

export class InvariantChecker {
  private conn: Connection | null = null;
  private holdsSeen = new Map<number, HoldSeen>();
  private ordersSeen = new Map<number, { holdId: number; status: string }>();
  private productsSeen = new Map<number, number>();
  checks = 0;
  /** Every distinct violation seen so far, with the first time it was seen. */
  readonly violations = new Map<string, string>();

  constructor(private readonly opts: CheckerOptions) {}

  /** Narrows (or, with undefined, widens back) the products checked from now on. */
  scope(productIds: (() => number[] | undefined) | undefined): void {
    this.opts.productIds = productIds;
  }

  private async connection(): Promise<Connection> {
    if (this.conn) return this.conn;
    const conn = await createConnection({ uri: this.opts.url, dateStrings: true, supportBigNumbers: true });
    conn.on('error', () => undefined);
    await conn.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    this.conn = conn;
    return conn;
  }

  async close(): Promise<void> {
    await this.conn?.end().catch(() => undefined);
    this.conn = null;
  }

  /** One snapshot, every invariant; `settled` adds the "nothing left open" checks. */
  async check(settled?: SettledOptions): Promise<CheckReport> {
    const started = Date.now();
    let conn: Connection;
    let products: ProductRow[], holds: HoldRow[], orders: OrderRow[], events: EventRow[], nowMs: number;
    // Acknowledgements are taken before the snapshot starts: an answer given is after its commit.
    const acks = this.opts.acks;
    const ackedHolds = acks ? [...acks.holds] : [];
    const ackedOrders = acks ? [...acks.orders] : [];
    const ackedPayments = acks ? [...acks.payments] : [];
    const ackedReleases = acks ? [...acks.releases] : [];
    const ledger = this.opts.ledger ?? acks?.stock ?? new Map<number, number>();
    // Stock certainly in the snapshot: put in and answered before it starts (the ledger only grows).
    const putInBefore = new Map(ledger);
    const scope = this.opts.productIds?.();
    try {
      conn = await this.connection();
      await conn.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
      try {
        const inScope = scope ? (scope.length ? scope : [0]) : null;
        const where = (col: string) => (inScope ? `WHERE ${col} IN (${inScope.map(Number).join(',')})` : '');
        // NOW() and UNIX_TIMESTAMP() both use the session zone, so this is the epoch whatever that zone is.
        const [[clock]] = (await conn.query('SELECT ROUND(UNIX_TIMESTAMP(NOW(3)) * 1000) AS now')) as unknown as [
          [{ now: number | string }],
        ];
        nowMs = Number(clock.now);
        [products] = await conn.query<ProductRow[]>(
          `SELECT id, total_stock, ${availableStockSql('products')} AS available_stock FROM products ${where('id')}`,
        );
        [holds] = await conn.query<HoldRow[]>(
          `SELECT id, product_id, quantity, hold_expires_at, released_at, used_at, release_reason, extended_seconds,
             created_at FROM holds ${where('product_id')}`,
        );
        [orders] = await conn.query<OrderRow[]>(
          `SELECT o.id, o.hold_id, o.status, o.payment_idempotency_key, o.refund_due_at, o.created_at
           FROM orders o JOIN holds h ON h.id = o.hold_id ${where('h.product_id')}`,
        );
        [events] = await conn.query<EventRow[]>(
          `SELECT e.event_id, e.order_id, e.status, e.late FROM payment_events e
           JOIN orders o ON o.id = e.order_id JOIN holds h ON h.id = o.hold_id ${where('h.product_id')}`,
        );
      } finally {
        await conn.query('COMMIT').catch(() => undefined);
      }
    } catch (err) {
      // The checker's own connection is direct, never proxied: losing it is a harness problem, reported as such.
      await this.close();
      throw err;
    }
    this.checks++;
    const v: string[] = [];
    const num = Number;

    const holdsByProduct = new Map<number, number>();
    const holdById = new Map<number, HoldRow>();
    for (const h of holds) {
      holdById.set(num(h.id), h);
      if (h.released_at === null) {
        holdsByProduct.set(num(h.product_id), (holdsByProduct.get(num(h.product_id)) ?? 0) + num(h.quantity));
      }
    }
    const productIds = new Set<number>();
    for (const p of products) {
      const id = num(p.id);
      productIds.add(id);
      const total = num(p.total_stock);
      const available = num(p.available_stock);
      // Stock possibly in the snapshot: also what was answered since, and restocks still unanswered.
      const putIn = ledger.get(id) ?? total;
      const atLeast = putInBefore.get(id) ?? putIn;
      const atMost = putIn + (acks?.restocking.get(id) ?? 0);
      const held = holdsByProduct.get(id) ?? 0;
      if (available < 0) v.push(`product ${id}: available_stock ${available} is negative`);
      if (total < 0) v.push(`product ${id}: total_stock ${total} is negative`);
      if (available + held < atLeast || available + held > atMost) {
        const putInText = atLeast === atMost ? `${atMost}` : `${atLeast} to ${atMost} (restocks in flight)`;
        v.push(`product ${id}: conservation broken: available ${available} + held ${held} != put in ${putInText}`);
      }
      const before = this.productsSeen.get(id);
      if (before !== undefined && total < before) v.push(`product ${id}: total_stock fell from ${before} to ${total}`);
      this.productsSeen.set(id, total);
    }
    for (const id of this.productsSeen.keys()) {
      if (!productIds.has(id) && (!scope || scope.includes(id))) v.push(`product ${id}: vanished`);
    }

    // On-time events settle a pending order; late ones (after it left pending) are kept apart.
    const eventsByOrder = new Map<number, EventRow[]>();
    const lateByOrder = new Map<number, EventRow[]>();
    const eventById = new Map<string, EventRow>();
    for (const e of events) {
      const byOrder = num(e.late) ? lateByOrder : eventsByOrder;
      const list = byOrder.get(num(e.order_id)) ?? [];
      list.push(e);
      byOrder.set(num(e.order_id), list);
      eventById.set(e.event_id, e);
    }
    /** A late `paid` that completed its cancelled order (LATE_PAYMENT_POLICY=honour_if_available). */
    const honouredBy = (o: OrderRow) =>
      o.status === 'completed'
        ? (lateByOrder.get(num(o.id)) ?? []).find(
            (e) => e.status === 'paid' && e.event_id === o.payment_idempotency_key,
          )
        : undefined;
    const orderByHold = new Map<number, OrderRow>();
    const orderById = new Map<number, OrderRow>();
    for (const o of orders) {
      orderByHold.set(num(o.hold_id), o);
      orderById.set(num(o.id), o);
    }

    let overdueHolds = 0;
    let overdueOrders = 0;
    let openHolds = 0;
    let pendingOrders = 0;
    const graceMs = settled ? settled.graceSeconds * 1000 : 0;
    const late = this.opts.lateness;
    const lateMs = late ? (late.boundSeconds + late.slackSeconds) * 1000 : 0;
    for (const h of holds) {
      const id = num(h.id);
      const expires = ms(h.hold_expires_at)!;
      const released = ms(h.released_at);
      const used = ms(h.used_at);
      const created = ms(h.created_at)!;
      const order = orderByHold.get(id);
      const reason = h.release_reason;
      if (!productIds.has(num(h.product_id))) v.push(`hold ${id}: product ${h.product_id} missing`);
      if (num(h.quantity) < 1) v.push(`hold ${id}: quantity ${h.quantity}`);
      if ((used !== null) !== (order !== undefined)) {
        v.push(`hold ${id}: used_at ${h.used_at ?? 'null'} but ${order ? `order ${order.id}` : 'no order'}`);
      }
      if (used !== null && used >= expires)
        v.push(`hold ${id}: ordered at ${h.used_at}, at/after expiry ${h.hold_expires_at}`);
      const bornExpired = created > expires + SLACK_MS;
      if (bornExpired) {
        // The API announces the expiry at the request; a reservation that only ran after it made a hold that was never
        // usable (and that the sweep, stamping its pass's start, may record as released before it was created).
        v.push(
          `hold ${id}: created ${h.created_at}, after its own expiry ${h.hold_expires_at} (its reservation ran late)`,
        );
      }
      if (released !== null) {
        if (released + SLACK_MS < created && !bornExpired) v.push(`hold ${id}: released before it was created`);
        if (order) {
          if (order.status !== 'cancelled') v.push(`hold ${id}: released and its order ${order.id} is ${order.status}`);
          if (!reason || !ORDER_REASONS.has(reason)) v.push(`hold ${id}: ordered hold released for "${reason}"`);
        } else {
          if (!reason || !EXPIRY_REASONS.has(reason)) v.push(`hold ${id}: held hold released for "${reason}"`);
          if (reason === 'expired' && released + SLACK_MS < expires) {
            v.push(`hold ${id}: expired at ${h.released_at}, before its expiry ${h.hold_expires_at}`);
          }
          if (reason === 'sweep' && released + SLACK_MS < expires + this.opts.sweepGraceSeconds * 1000) {
            v.push(`hold ${id}: swept at ${h.released_at}, before expiry + grace (${h.hold_expires_at})`);
          }
        }
      } else if (order?.status === 'cancelled') {
        v.push(`hold ${id}: order ${order.id} cancelled but the stock was not given back`);
      }
      if (released === null && used === null) openHolds++;
      if (late && released === null && used === null && nowMs > expires + lateMs) {
        const down = late.downtime?.overlap(expires, nowMs) ?? 0;
        if (nowMs > expires + lateMs + down) {
          v.push(
            `hold ${id}: unreleased ${Math.round((nowMs - expires) / 1000)} s past its expiry (bound ${late.boundSeconds} s + slack ${late.slackSeconds} s + ${Math.round(down / 1000)} s down)`,
          );
        }
      }
      if (released === null && used === null && expires < nowMs - graceMs) {
        overdueHolds++;
        if (settled) v.push(`hold ${id}: still held ${Math.round((nowMs - expires) / 1000)} s past its expiry`);
      }

      const seen = this.holdsSeen.get(id);
      if (seen) {
        // An extension moves the expiry later by exactly the seconds it adds to extended_seconds.
        const extendedBy = (num(h.extended_seconds) - seen.extendedSeconds) * 1000;
        if (seen.productId !== num(h.product_id) || seen.quantity !== num(h.quantity)) {
          v.push(`hold ${id}: product or quantity rewritten`);
        }
        if (expires !== seen.expiresAt + extendedBy || extendedBy < 0) {
          v.push(`hold ${id}: expiry moved from ${new Date(seen.expiresAt).toISOString()} to ${h.hold_expires_at}`);
        }
        const retaken = released === null && order !== undefined && honouredBy(order) !== undefined;
        if (seen.releasedAt !== null && seen.releasedAt !== released && !retaken) {
          v.push(`hold ${id}: released_at changed from ${new Date(seen.releasedAt).toISOString()} to ${h.released_at}`);
        }
        if (seen.usedAt !== null && seen.usedAt !== used) v.push(`hold ${id}: used_at changed after the order`);
      }
      this.holdsSeen.set(id, {
        productId: num(h.product_id),
        quantity: num(h.quantity),
        expiresAt: expires,
        extendedSeconds: num(h.extended_seconds),
        releasedAt: released,
        usedAt: used,
      });
    }

    for (const o of orders) {
      const id = num(o.id);
      const list = eventsByOrder.get(id) ?? [];
      const hold = holdById.get(num(o.hold_id));
      if (!['pending', 'completed', 'cancelled'].includes(o.status)) v.push(`order ${id}: status "${o.status}"`);
      if (list.length > 1)
        v.push(`order ${id}: ${list.length} payment events (${list.map((e) => e.event_id).join(', ')})`);
      const event = list[0];
      const honoured = honouredBy(o);
      for (const e of lateByOrder.get(id) ?? []) {
        if (e.status === 'paid' && e !== honoured && o.refund_due_at === null) {
          v.push(`order ${id}: late payment ${e.event_id} neither honoured nor owed back`);
        }
      }
      if (honoured) {
        if (event) v.push(`order ${id}: honoured a late payment after its own event ${event.event_id}`);
        if (hold?.released_at) v.push(`order ${id}: completed by a late payment, its hold still released`);
      } else if (o.status === 'completed') {
        if (!event || event.status !== 'paid') v.push(`order ${id}: completed without a paid event`);
        else if (o.payment_idempotency_key !== event.event_id) v.push(`order ${id}: completed, key != its event id`);
      } else if (o.status === 'cancelled') {
        if (event && event.status !== 'failed') v.push(`order ${id}: cancelled but its event is "${event.status}"`);
        if (event && hold && hold.release_reason !== 'payment_failed') {
          v.push(`order ${id}: payment failed but the hold was released for "${hold.release_reason}"`);
        }
        if (!event && hold?.released_at) {
          const deadline = ms(o.created_at)! + this.opts.paymentTimeoutSeconds * 1000;
          if (ms(hold.released_at)! + SLACK_MS < deadline) {
            v.push(`order ${id}: cancelled for non-payment at ${hold.released_at}, before its deadline`);
          }
        }
      } else if (o.status === 'pending') {
        pendingOrders++;
        if (event) v.push(`order ${id}: pending with payment event ${event.event_id}`);
        const deadline = ms(o.created_at)! + this.opts.paymentTimeoutSeconds * 1000;
        if (deadline < nowMs - graceMs) {
          overdueOrders++;
          if (settled)
            v.push(`order ${id}: still pending ${Math.round((nowMs - deadline) / 1000)} s past its payment deadline`);
        }
      }
      const seen = this.ordersSeen.get(id);
      if (seen) {
        if (seen.holdId !== num(o.hold_id)) v.push(`order ${id}: hold changed`);
        if (seen.status !== 'pending' && seen.status !== o.status && !(seen.status === 'cancelled' && honoured))
          v.push(`order ${id}: final status ${seen.status} became ${o.status}`);
      }
      this.ordersSeen.set(id, { holdId: num(o.hold_id), status: o.status });
    }
    for (const [id, seen] of this.holdsSeen) {
      if (!holdById.has(id) && (!scope || scope.includes(seen.productId))) v.push(`hold ${id}: vanished`);
    }
    for (const [id, seen] of this.ordersSeen) {
      if (!orderById.has(id)) {
        const hold = this.holdsSeen.get(seen.holdId);
        if (!scope || (hold && scope.includes(hold.productId))) v.push(`order ${id}: vanished`);
      }
    }

    const inScopeProduct = (productId: number) => !scope || scope.includes(productId);
    for (const [holdId, a] of ackedHolds) {
      if (!inScopeProduct(a.productId)) continue;
      const h = holdById.get(holdId);
      if (!h) v.push(`hold ${holdId}: answered 201 but does not exist`);
      else if (
        num(h.product_id) !== a.productId ||
        num(h.quantity) !== a.quantity ||
        ms(h.hold_expires_at) !== Date.parse(a.expiresAt) + num(h.extended_seconds) * 1000
      ) {
        v.push(
          `hold ${holdId}: answered ${a.quantity} × product ${a.productId} until ${a.expiresAt}, stored otherwise`,
        );
      }
    }
    for (const [orderId, a] of ackedOrders) {
      const h = this.holdsSeen.get(a.holdId);
      if (scope && (!h || !scope.includes(h.productId))) continue;
      const o = orderById.get(orderId);
      if (!o) v.push(`order ${orderId}: answered 201 but does not exist`);
      else if (num(o.hold_id) !== a.holdId)
        v.push(`order ${orderId}: answered for hold ${a.holdId}, stored for ${o.hold_id}`);
    }
    for (const [holdId, a] of ackedReleases) {
      const h = holdById.get(holdId);
      if (!h) {
        if (!scope) v.push(`hold ${holdId}: release answered 200 but the hold does not exist`);
        continue;
      }
      if (h.released_at === null || h.release_reason !== 'released' || orderByHold.has(holdId)) {
        v.push(
          `hold ${holdId}: release answered 200, stored released_at ${h.released_at ?? 'null'} for "${h.release_reason ?? '-'}"${orderByHold.has(holdId) ? ' with an order' : ''}`,
        );
      } else if (ms(h.released_at) !== Date.parse(a.releasedAt)) {
        v.push(`hold ${holdId}: release answered released_at ${a.releasedAt}, stored ${h.released_at}`);
      }
    }
    for (const [eventId, a] of ackedPayments) {
      const o = orderById.get(a.orderId);
      if (!o) {
        if (!scope) v.push(`payment ${eventId}: answered for order ${a.orderId}, which does not exist`);
        continue;
      }
      if (o.status !== a.answered)
        v.push(`payment ${eventId}: answered "${a.answered}", order ${a.orderId} is ${o.status}`);
      const e = eventById.get(eventId);
      if (!e) {
        // Answered "already processed" for an event this order never recorded would be a lie.
        v.push(`payment ${eventId}: answered 200 but no event recorded`);
      } else if (num(e.order_id) !== a.orderId) {
        v.push(`payment ${eventId}: recorded for order ${e.order_id}, answered for ${a.orderId}`);
      }
    }

    const at = new Date(nowMs).toISOString();
    for (const msg of v) if (!this.violations.has(msg)) this.violations.set(msg, at);
    return {
      at,
      violations: v,
      products: products.length,
      holds: holds.length,
      orders: orders.length,
      events: events.length,
      overdueHolds,
      overdueOrders,
      openHolds,
      pendingOrders,
      ms: Date.now() - started,
    };
  }
}
