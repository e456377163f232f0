import { settlePayment, type PaymentEvent, type Settlement } from '../db/payments';
import type { Logger } from '../logger';
import type { SaleDeps } from './deps';

/**
 * Payments: the database settles an event once (src/db/payments.ts); afterwards the cached product is dropped when
 * stock came back, and the order's workflow is told so it can finish now instead of at its payment timeout.
 */
export function createPaymentDesk({ db, models, cache, holds }: SaleDeps) {
  const orderExists = async (id: number) => (await models.Order.count({ where: { id } })) > 0;

  async function settle(event: PaymentEvent, log: Logger): Promise<Settlement> {
    const result = await settlePayment(db, event);
    if (result.kind !== 'processed') return result;
    if (result.stockReturned) await cache.invalidate([result.productId]);
    log.info(
      { hold_id: result.holdId, order_status: result.orderStatus, payment_status: event.status },
      'payment processed',
    );
    await holds
      .notifyPayment(event.orderId, {
        eventId: event.eventId,
        paymentStatus: event.status,
        orderStatus: result.orderStatus,
      })
      .catch((err: Error) =>
        log.warn({ err: err.message }, 'order workflow not signalled; its timeout will reconcile'),
      );
    return result;
  }

  return { orderExists, settle };
}
