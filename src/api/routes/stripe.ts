import Router from '@koa/router';
import Stripe from 'stripe';
import { createPaymentDesk } from '../../sale/payments';
import { meaningOfStripeEvent } from '../../sale/stripe-events';
import type { ApiDeps, ApiState } from '../context';
import { HttpError, notFound } from '../errors';
import { jsonBody } from '../middleware';
import { success } from '../respond';
import { answerSettlement, PAYMENT_MESSAGES } from './payments';

/** How old a signed event may be (the `t=` of Stripe-Signature), as Stripe's own libraries default to. */
export const STRIPE_SIGNATURE_TOLERANCE_SECONDS = 300;
/**
 * Stripe sends whole objects; a PaymentIntent or Checkout Session with its 50 metadata keys of 500 characters passes
 * 16 KiB, and a 413 would have Stripe retry for days while the order times out.
 */
export const STRIPE_BODY_LIMIT_BYTES = 64 * 1024;
export const STRIPE_MESSAGES = { ignored: 'Event ignored' } as const;

/**
 * POST /api/payments/stripe: Stripe's events as Stripe sends them, verified with the official package over the raw
 * body, then settled as the payment webhook settles its events (src/sale/payments.ts), with the same answers. Without
 * STRIPE_WEBHOOK_SECRET the route is not there at all (404, as any unknown route).
 */
export function stripeRoutes(deps: ApiDeps) {
  const router = new Router<ApiState>();
  const secret = deps.stripeWebhookSecret;
  if (!secret) return router;
  const desk = createPaymentDesk(deps);

  router.post('/api/payments/stripe', jsonBody(STRIPE_BODY_LIMIT_BYTES), async (ctx) => {
    let event: Stripe.Event;
    try {
      event = Stripe.webhooks.constructEvent(
        ctx.state.rawBody,
        ctx.get('Stripe-Signature'),
        secret,
        STRIPE_SIGNATURE_TOLERANCE_SECONDS,
      );
    } catch (err) {
      if (!(err instanceof Stripe.errors.StripeSignatureVerificationError)) throw err;
      ctx.state.log.info({ reason: err.message }, 'stripe event refused: signature');
      throw new HttpError(400, 'invalid_signature', PAYMENT_MESSAGES.invalidSignature);
    }
    const log = ctx.state.log.child({ stripe_event_id: event.id, stripe_event_type: event.type });
    const meaning = meaningOfStripeEvent(event);
    if (meaning.kind === 'ignored') {
      log.debug('stripe event ignored');
      return success(ctx, 200, { event_id: event.id, type: event.type }, STRIPE_MESSAGES.ignored);
    }
    if (meaning.kind === 'no-such-order') throw notFound('Order');

    const { payment } = meaning;
    const paymentLog = log.child({ order_id: payment.orderId, event_id: payment.eventId });
    const result = await desk.settle(payment, paymentLog);
    if (result.kind === 'unknown-order') throw notFound('Order');
    answerSettlement(ctx, payment.orderId, result, paymentLog);
  });

  return router;
}
