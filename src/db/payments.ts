import { sqlTime } from './time';
import { QueryTypes, UniqueConstraintError, type Sequelize } from 'sequelize';
import type { OrderStatus } from '../shared/views';
import { releaseHoldStock, selectOne } from './transitions';
import { faultPoint } from '../faults';

export interface PaymentEvent {
  eventId: string;
  orderId: number;
  status: 'paid' | 'failed';
}

export type Settlement =
  | { kind: 'processed'; orderStatus: OrderStatus; holdId: number; productId: number; stockReturned: boolean }
  | { kind: 'replayed'; orderStatus: OrderStatus }
  | { kind: 'not-pending'; orderStatus: OrderStatus }
  | { kind: 'event-reused' }
  | { kind: 'unknown-order' };

/**
 * Settles a payment in one transaction under the order's row lock: the event id is recorded once,
 * the order moves out of `pending` once, and a failure gives the hold's stock back in the same commit.
 */
export async function settlePayment(db: Sequelize, e: PaymentEvent): Promise<Settlement> {
  for (let attempt = 0; ; attempt++) {
    try {
      const settled = await db.transaction(async (t) => {
        const order = await selectOne<{ status: OrderStatus; hold_id: number; product_id: number }>(
          db,
          `SELECT o.status, o.hold_id, h.product_id FROM orders o JOIN holds h ON h.id = o.hold_id
           WHERE o.id = :orderId FOR UPDATE`,
          { orderId: e.orderId },
          t,
        );
        if (!order) return { kind: 'unknown-order' } as const;
        const seen = await selectOne<{ order_id: number }>(
          db,
          'SELECT order_id FROM payment_events WHERE event_id = :eventId',
          { eventId: e.eventId },
          t,
        );
        if (seen) {
          return Number(seen.order_id) === e.orderId
            ? ({ kind: 'replayed', orderStatus: order.status } as const)
            : ({ kind: 'event-reused' } as const);
        }
        if (order.status !== 'pending') return { kind: 'not-pending', orderStatus: order.status } as const;

        const now = new Date();
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
          (await releaseHoldStock(db, t, Number(order.hold_id), now, 'payment_failed', true));
        await faultPoint('payment.beforeCommit');
        return {
          kind: 'processed',
          orderStatus,
          holdId: Number(order.hold_id),
          productId: Number(order.product_id),
          stockReturned,
        } as const;
      });
      // Committed, not yet signalled to the order's workflow nor answered (chaos: the API killed mid-webhook).
      if (settled.kind === 'processed') await faultPoint('payment.afterCommit');
      return settled;
    } catch (err) {
      // The same event id committed for another order between our check and insert: decide again.
      if (err instanceof UniqueConstraintError && attempt < 2) continue;
      throw err;
    }
  }
}
