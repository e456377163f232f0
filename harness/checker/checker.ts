import { availableStockSql } from '../../src/db/models';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import { answersKept, answersOf } from './answers';
import { holdHistory, holdLateness, holdRules, type HoldSeen } from './holds';
import { orderHistory, orderRules } from './orders';
import { phantoms } from './phantoms';
import { indexed, type EventRow, type HoldRow, type OrderRow, type ProductRow, type Snapshot } from './snapshot';
import { conservation } from './stock';
import type { CheckReport, CheckerOptions, SettledOptions } from './inputs';

export * from './inputs';

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
 *   timeout + grace, and (with `phantomBoundSeconds`) no phantom hold: every hold not given back is one a buyer was
 *   answered 201 for, every other gave its stock back within the bound of its buyer being told no.
 *
 * One function per invariant, in harness/checker/.
 */

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

  /** One consistent snapshot of the products in scope (and, for the phantom check, the keys that made holds). */
  private async snapshot(withKeys: boolean): Promise<Snapshot> {
    const scope = this.opts.productIds?.();
    try {
      const conn = await this.connection();
      await conn.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
      try {
        const inScope = scope ? (scope.length ? scope : [0]) : null;
        const where = (col: string) => (inScope ? `WHERE ${col} IN (${inScope.map(Number).join(',')})` : '');
        // NOW() and UNIX_TIMESTAMP() both use the session zone, so this is the epoch whatever that zone is.
        const [[clock]] = (await conn.query('SELECT ROUND(UNIX_TIMESTAMP(NOW(3)) * 1000) AS now')) as unknown as [
          [{ now: number | string }],
        ];
        const [products] = await conn.query<ProductRow[]>(
          `SELECT id, total_stock, ${availableStockSql('products')} AS available_stock FROM products ${where('id')}`,
        );
        const [holds] = await conn.query<HoldRow[]>(
          `SELECT id, product_id, quantity, hold_expires_at, released_at, used_at, release_reason, extended_seconds,
             created_at FROM holds ${where('product_id')}`,
        );
        const [orders] = await conn.query<OrderRow[]>(
          `SELECT o.id, o.hold_id, o.status, o.payment_idempotency_key, o.refund_due_at, o.created_at
           FROM orders o JOIN holds h ON h.id = o.hold_id ${where('h.product_id')}`,
        );
        const [events] = await conn.query<EventRow[]>(
          `SELECT e.event_id, e.order_id, e.status, e.late FROM payment_events e
           JOIN orders o ON o.id = e.order_id JOIN holds h ON h.id = o.hold_id ${where('h.product_id')}`,
        );
        const holdByKey = new Map<string, number>();
        if (withKeys) {
          const [keys] = await conn.query<RowDataPacket[]>(
            `SELECT k.idempotency_key, k.resource_id FROM idempotency_keys k JOIN holds h ON h.id = k.resource_id
             ${where('h.product_id') || 'WHERE TRUE'} AND k.scope = 'holds'`,
          );
          for (const k of keys) holdByKey.set(String(k.idempotency_key), Number(k.resource_id));
        }
        return indexed(Number(clock.now), scope, { products, holds, orders, events }, holdByKey);
      } finally {
        await conn.query('COMMIT').catch(() => undefined);
      }
    } catch (err) {
      // The checker's own connection is direct, never proxied: losing it is a harness problem, reported as such.
      await this.close();
      throw err;
    }
  }

  /** One snapshot, every invariant; `settled` adds the "nothing left open" checks (and, if asked, no phantom hold). */
  async check(settled?: SettledOptions): Promise<CheckReport> {
    const started = Date.now();
    // Acknowledgements are taken before the snapshot starts: an answer given is after its commit.
    const acks = this.opts.acks;
    const answers = answersOf(acks);
    const ledger = this.opts.ledger ?? acks?.stock ?? new Map<number, number>();
    // Stock certainly in the snapshot: put in and answered before it starts (the ledger only grows).
    const putInBefore = new Map(ledger);
    const unanswered = acks ? [...acks.unansweredHolds] : [];
    const withPhantoms = settled?.phantomBoundSeconds !== undefined;
    const s = await this.snapshot(withPhantoms);
    this.checks++;
    const holdProduct = (holdId: number) => this.holdsSeen.get(holdId)?.productId;
    const lateness = holdLateness(s, this.opts.lateness, settled);
    const orders = orderRules(s, this.opts.paymentTimeoutSeconds, settled);
    const v = [
      ...conservation(s, ledger, putInBefore, acks, this.productsSeen),
      ...holdRules(s, this.opts.sweepGraceSeconds),
      ...lateness.violations,
      ...holdHistory(s, this.holdsSeen),
      ...orders.violations,
      ...orderHistory(s, this.ordersSeen, holdProduct),
      ...answersKept(s, answers, holdProduct),
    ];
    if (withPhantoms) {
      const told = {
        holds: new Set(answers.holds.map(([id]) => id)),
        orderedHolds: new Set(answers.orders.map(([, o]) => o.holdId)),
      };
      const bound = { boundSeconds: settled!.phantomBoundSeconds!, downtime: this.opts.lateness?.downtime };
      v.push(...phantoms(s, told, unanswered, bound));
    }
    const at = new Date(s.nowMs).toISOString();
    for (const msg of v) if (!this.violations.has(msg)) this.violations.set(msg, at);
    return {
      at,
      violations: v,
      products: s.products.length,
      holds: s.holds.length,
      orders: s.orders.length,
      events: s.events.length,
      overdueHolds: lateness.overdue,
      overdueOrders: orders.overdue,
      openHolds: lateness.open,
      pendingOrders: orders.pending,
      ms: Date.now() - started,
    };
  }
}
