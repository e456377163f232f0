import type Stripe from 'stripe';
import type { PaymentEvent } from '../db/payments';
import { parseId } from '../shared/ids';

/** What a verified Stripe event means for the sale. */
export type StripeEventMeaning =
  /** A payment outcome for one order: settled like the payment webhook's event of the same id. */
  | { kind: 'payment'; payment: PaymentEvent }
  /** A type the sale does not act on, or an object that names no order (`metadata.order_id` absent). */
  | { kind: 'ignored' }
  /** `metadata.order_id` is there but is no order id at all (not a positive whole number). */
  | { kind: 'no-such-order' };

/**
 * The shop puts its order's id in the metadata of the PaymentIntent (or of the Checkout Session) it creates for the
 * order; Stripe sends it back on every event of that object.
 */
function paymentFor(
  event: Stripe.Event,
  metadata: Stripe.Metadata | null | undefined,
  status: PaymentEvent['status'],
): StripeEventMeaning {
  const orderId = metadata?.order_id;
  if (orderId === undefined || orderId === '') return { kind: 'ignored' };
  // Order ids as the API writes them (the same rule as a path id).
  const id = parseId(orderId);
  if (id === null) return { kind: 'no-such-order' };
  // Stripe's event id is the payment event's id: a redelivery of the same event is a replay, and changes nothing.
  return { kind: 'payment', payment: { eventId: event.id, orderId: id, status } };
}

/**
 * The Stripe events that settle an order: a PaymentIntent that succeeded or failed, and a Checkout Session completed
 * with its payment collected (a session completed with `payment_status: unpaid` is a delayed payment method still
 * in progress, and is ignored). Every other type is ignored.
 */
export function meaningOfStripeEvent(event: Stripe.Event): StripeEventMeaning {
  switch (event.type) {
    case 'payment_intent.succeeded':
      return paymentFor(event, event.data.object.metadata, 'paid');
    case 'payment_intent.payment_failed':
      return paymentFor(event, event.data.object.metadata, 'failed');
    case 'checkout.session.completed':
      if (event.data.object.payment_status !== 'paid') return { kind: 'ignored' };
      return paymentFor(event, event.data.object.metadata, 'paid');
    default:
      return { kind: 'ignored' };
  }
}
