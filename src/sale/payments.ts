import { settlePayment, type PaymentEvent, type Settlement } from '../db/payments';
import { readOrderWithStock } from '../db/orders';
import type { Logger } from '../logger';
import { TemporalUnavailable } from './gateway-failures';
import type { SaleDeps } from './deps';

/**
 * Payments: the database settles an event once (src/db/payments.ts); afterwards the cached product is dropped when
 * stock moved, and the order's workflow is told so it can finish now instead of at its payment timeout (or, for a
 * late payment, so the refund shows in the Web UI and the order's events go out).
 */
export function createPaymentDesk({ db, models, cache, holds, faults }: SaleDeps) {
  const orderExists = async (id: number) => (await models.Order.count({ where: { id } })) > 0;
  const policy = holds.settings?.latePaymentPolicy ?? 'refund';

  /** The order as it now is, with what a new run of its workflow needs. */
  const loadOrder = async (orderId: number) => (await readOrderWithStock(db, orderId))!;

  /**
   * A late `paid` is only safe once its order's workflow knows (the refund is then visible and reported): when
   * Temporal cannot be told, the answer is a 503 and the provider's retry (a replay) tells it again.
   */
  async function reportLate(event: PaymentEvent, outcome: 'honoured' | 'refund-due', log: Logger) {
    const { view, productId, quantity } = await loadOrder(event.orderId);
    try {
      await holds.notifyLatePayment(
        {
          orderId: view.id,
          holdId: view.hold_id,
          productId,
          quantity,
          createdAt: view.created_at,
        },
        { eventId: event.eventId, outcome, order: view },
      );
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'late payment recorded; order workflow not told (503, to be retried)');
      throw new TemporalUnavailable((err as Error).message);
    }
  }

  async function settle(event: PaymentEvent, log: Logger): Promise<Settlement> {
    const result = await settlePayment(db, event, { policy, faults });
    if (result.kind === 'late-paid') {
      if (result.outcome === 'honoured') await cache.invalidate([result.productId]);
      log.warn({ hold_id: result.holdId, outcome: result.outcome }, 'late payment recorded');
      await reportLate(event, result.outcome, log);
      return result;
    }
    if (result.kind === 'replayed' && result.late && event.status === 'paid') {
      // The first answer may have been a 503 (Temporal not told): telling it again is harmless (deduped by event id);
      // a refund already closed is not reopened.
      const { view } = await loadOrder(event.orderId);
      if (view.refund_due) await reportLate(event, 'refund-due', log);
      else if (view.payment_idempotency_key === event.eventId) await reportLate(event, 'honoured', log);
      return result;
    }
    if (result.kind !== 'processed') return result;
    if (result.stockReturned) await cache.invalidate([result.order.productId]);
    log.info(
      { hold_id: result.order.holdId, order_status: result.orderStatus, payment_status: event.status },
      'payment processed',
    );
    await holds
      .notifyPayment(result.order, {
        eventId: event.eventId,
        paymentStatus: event.status,
        orderStatus: result.orderStatus,
        // The order's outbound event carries it; without events the workflow needs nothing more.
        ...(holds.settings?.events ? { order: (await loadOrder(event.orderId)).view } : {}),
      })
      .catch((err: Error) =>
        log.warn({ err: err.message }, 'order workflow not signalled; its timeout will reconcile'),
      );
    return result;
  }

  return { orderExists, settle };
}
