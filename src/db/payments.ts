import { iso, sqlTime } from './time';
import { QueryTypes, UniqueConstraintError, type Sequelize, type Transaction } from 'sequelize';
import type { OrderFacts } from '../shared/order-run';
import type { OrderStatus } from '../shared/views';
import { markRefundDue, retakeCancelledHold, type LatePaymentPolicy } from './late-payments';
import { releaseHoldStock, selectOne } from './transitions';
import { noFaults, type FaultPoints } from '../faults';

export interface PaymentEvent {
  eventId: string;
  orderId: number;
  status: 'paid' | 'failed';
}

export type Settlement =
  | { kind: 'processed'; orderStatus: OrderStatus; order: OrderFacts; stockReturned: boolean }
  | { kind: 'replayed'; orderStatus: OrderStatus; late: boolean }
  | { kind: 'not-pending'; orderStatus: OrderStatus }
  /** A late `paid`: the units were sold again (`honoured`) or a refund is owed (`refund-due`). */
  | {
      kind: 'late-paid';
      outcome: 'honoured' | 'refund-due';
      orderStatus: OrderStatus;
      holdId: number;
      productId: number;
    }
  | { kind: 'event-reused' }
  | { kind: 'unknown-order' };

/**
 * Settles a payment in one transaction under the order's row lock: the event id is recorded once,
 * the order moves out of `pending` once, and a failure gives the hold's stock back in the same commit.
 * An event for an order no longer pending is recorded too (`late`), so the provider's retries find it: a late `paid`
 * owes a refund or, by policy, sells the units again; a late `failed` changes nothing.
 */
export interface SettleOptions {
  policy?: LatePaymentPolicy;
  faults?: FaultPoints;
}

/** The order row a payment settles, with what its workflow starts from. */
interface OrderSettled {
  status: OrderStatus;
  hold_id: number;
  product_id: number;
  quantity: number;
  customer_id: string | null;
  created_at: Date | string;
}

const orderFacts = (orderId: number, o: OrderSettled): OrderFacts => ({
  orderId,
  holdId: Number(o.hold_id),
  productId: Number(o.product_id),
  quantity: Number(o.quantity),
  createdAt: iso(o.created_at),
  ...(o.customer_id === null ? {} : { customerId: o.customer_id }),
});

export async function settlePayment(
  db: Sequelize,
  e: PaymentEvent,
  { policy = 'refund', faults = noFaults }: SettleOptions = {},
): Promise<Settlement> {
  for (let attempt = 0; ; attempt++) {
    try {
      const settled = await db.transaction(async (t) => {
        const order = await selectOne<OrderSettled>(
          db,
          `SELECT o.status, o.hold_id, o.created_at, h.product_id, h.quantity, h.customer_id
           FROM orders o JOIN holds h ON h.id = o.hold_id WHERE o.id = :orderId FOR UPDATE`,
          { orderId: e.orderId },
          t,
        );
        if (!order) return { kind: 'unknown-order' } as const;
        const seen = await selectOne<{ order_id: number; status: string; late: number }>(
          db,
          'SELECT order_id, status, late FROM payment_events WHERE event_id = :eventId',
          { eventId: e.eventId },
          t,
        );
        if (seen) {
          if (Number(seen.order_id) !== e.orderId) return { kind: 'event-reused' } as const;
          // A late `failed` was refused when it came, and is again.
          if (seen.late && seen.status === 'failed') return { kind: 'not-pending', orderStatus: order.status } as const;
          return { kind: 'replayed', orderStatus: order.status, late: Boolean(seen.late) } as const;
        }
        const now = new Date();
        if (order.status !== 'pending') return settleLate(db, t, e, order, now, { policy, faults });

        const orderStatus: OrderStatus = e.status === 'paid' ? 'completed' : 'cancelled';
        await db.query(
          'INSERT INTO payment_events (event_id, order_id, status, created_at) VALUES (:eventId, :orderId, :status, :now)',
          { replacements: { ...e, now: sqlTime(now) }, transaction: t, type: QueryTypes.INSERT },
        );
        await db.query(
          `UPDATE orders SET status = :orderStatus, payment_idempotency_key = :eventId, updated_at = :now
           WHERE id = :orderId AND status = 'pending'`,
          {
            replacements: { orderStatus, eventId: e.eventId, now: sqlTime(now), orderId: e.orderId },
            transaction: t,
            type: QueryTypes.UPDATE,
          },
        );
        const stockReturned =
          orderStatus === 'cancelled' &&
          (await releaseHoldStock(db, t, Number(order.hold_id), now, 'payment_failed', true, faults));
        await faults.at('payment.beforeCommit');
        return {
          kind: 'processed',
          orderStatus,
          order: orderFacts(e.orderId, order),
          stockReturned,
        } as const;
      });
      // Committed, not yet signalled to the order's workflow nor answered (chaos: the API killed mid-webhook).
      if (settled.kind === 'processed') await faults.at('payment.afterCommit');
      return settled;
    } catch (err) {
      // The same event id committed for another order between our check and insert: decide again.
      if (err instanceof UniqueConstraintError && attempt < 2) continue;
      throw err;
    }
  }
}

/** A new event for an order that is no longer pending, inside settlePayment's transaction. */
async function settleLate(
  db: Sequelize,
  t: Transaction,
  e: PaymentEvent,
  order: { status: OrderStatus; hold_id: number; product_id: number },
  now: Date,
  { policy, faults }: Required<SettleOptions>,
): Promise<Settlement> {
  await db.query(
    `INSERT INTO payment_events (event_id, order_id, status, late, created_at) VALUES (:eventId, :orderId, :status, 1, :now)`,
    { replacements: { ...e, now: sqlTime(now) }, transaction: t, type: QueryTypes.INSERT },
  );
  if (e.status === 'failed') return { kind: 'not-pending', orderStatus: order.status };
  const holdId = Number(order.hold_id);
  const productId = Number(order.product_id);
  // Only a cancelled order can be sold again; a completed one paid twice owes the second payment back.
  if (
    policy === 'honour_if_available' &&
    order.status === 'cancelled' &&
    (await retakeCancelledHold(db, t, holdId, now, faults))
  ) {
    await db.query(
      `UPDATE orders SET status = 'completed', payment_idempotency_key = :eventId, updated_at = :now WHERE id = :orderId`,
      {
        replacements: { eventId: e.eventId, now: sqlTime(now), orderId: e.orderId },
        transaction: t,
        type: QueryTypes.UPDATE,
      },
    );
    return { kind: 'late-paid', outcome: 'honoured', orderStatus: 'completed', holdId, productId };
  }
  await markRefundDue(db, t, e.orderId, now);
  return { kind: 'late-paid', outcome: 'refund-due', orderStatus: order.status, holdId, productId };
}
