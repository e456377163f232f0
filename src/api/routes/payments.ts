import Router from '@koa/router';
import type { Context } from 'koa';
import type { Settlement } from '../../db/payments';
import type { Logger } from '../../logger';
import { createPaymentDesk } from '../../sale/payments';
import type { ApiDeps, ApiState } from '../context';
import { HttpError, ValidationError } from '../errors';
import { jsonBody } from '../middleware';
import { success } from '../respond';
import { verifySignature } from '../../signature';
import { paymentWebhookRequest } from '../schemas/requests';
import { check, ensureValid, exists, selectedInvalid } from '../validation';

export const PAYMENT_MESSAGES = {
  invalidSignature: 'Invalid signature',
  eventReused: 'Event id has already been used for another order',
  notPending: 'Order is not in pending state',
  processed: 'Payment processed',
  replayed: 'Webhook already processed',
  late: 'Late payment recorded',
} as const;

/** The webhook's refusals, each with its code. */
export const paymentRefusal = {
  invalidSignature: () => new HttpError(401, 'invalid_signature', PAYMENT_MESSAGES.invalidSignature),
  eventReused: () => new HttpError(409, 'event_conflict', PAYMENT_MESSAGES.eventReused),
  notPending: () => new HttpError(400, 'order_not_pending', PAYMENT_MESSAGES.notPending),
};

export function paymentRoutes(deps: ApiDeps) {
  const { webhookSecret } = deps;
  const router = new Router<ApiState>();
  const desk = createPaymentDesk(deps);

  router.post('/api/payments/webhook', jsonBody(), async (ctx) => {
    if (webhookSecret && !verifySignature(webhookSecret, ctx.get('X-Signature'), ctx.state.rawBody)) {
      throw paymentRefusal.invalidSignature();
    }
    const checked = check(paymentWebhookRequest, ctx.state.body);
    await exists(checked, 'order_id', desk.orderExists);
    const { event_id: eventId, order_id: orderId, status } = ensureValid(checked);
    const event = { eventId, orderId, status };
    const log = ctx.state.log.child({ order_id: event.orderId, event_id: event.eventId });

    const result = await desk.settle(event, log);
    if (result.kind === 'unknown-order') throw new ValidationError({ order_id: [selectedInvalid('order_id')] });
    answerSettlement(ctx, event.orderId, result, log);
  });

  return router;
}

/**
 * The answer to a settled payment event, the same for every route that takes them (this webhook, Stripe's): each
 * route answers an unknown order its own way, and everything else here.
 */
export function answerSettlement(
  ctx: Context,
  orderId: number,
  result: Exclude<Settlement, { kind: 'unknown-order' }>,
  log: Logger,
): void {
  switch (result.kind) {
    case 'event-reused':
      throw paymentRefusal.eventReused();
    case 'not-pending':
      throw paymentRefusal.notPending();
    case 'replayed':
      log.info({ order_status: result.orderStatus }, 'payment webhook replayed');
      return success(ctx, 200, { order_id: orderId, status: result.orderStatus }, PAYMENT_MESSAGES.replayed);
    case 'processed':
      return success(ctx, 200, { order_id: orderId, status: result.orderStatus }, PAYMENT_MESSAGES.processed);
    case 'late-paid':
      // Sold again under LATE_PAYMENT_POLICY=honour_if_available: an ordinary processed payment to the provider.
      if (result.outcome === 'honoured') {
        return success(ctx, 200, { order_id: orderId, status: 'completed' }, PAYMENT_MESSAGES.processed);
      }
      return success(
        ctx,
        200,
        { order_id: orderId, status: result.orderStatus, refund_due: true },
        PAYMENT_MESSAGES.late,
      );
  }
}
