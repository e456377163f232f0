import type Stripe from 'stripe';
import { meaningOfStripeEvent } from '../../../src/sale/stripe-events';

/** The parts of a Stripe event the mapping reads; the rest of Stripe's shape does not matter to it. */
const event = (type: string, object: Record<string, unknown>) =>
  ({ id: 'evt_123', object: 'event', type, data: { object } }) as unknown as Stripe.Event;
const withOrder = (orderId: string, extra: Record<string, unknown> = {}) => ({
  metadata: { order_id: orderId },
  ...extra,
});

describe('which Stripe events settle an order', () => {
  test.each([
    ['payment_intent.succeeded', withOrder('42'), 'paid'],
    ['payment_intent.payment_failed', withOrder('42'), 'failed'],
    ['checkout.session.completed', withOrder('42', { payment_status: 'paid' }), 'paid'],
  ])('%s is a %s event for metadata.order_id, under Stripe’s event id', (type, object, status) => {
    expect(meaningOfStripeEvent(event(type, object))).toEqual({
      kind: 'payment',
      payment: { eventId: 'evt_123', orderId: 42, status },
    });
  });

  test.each([
    ['checkout.session.completed', withOrder('42', { payment_status: 'unpaid' })],
    ['checkout.session.completed', withOrder('42', { payment_status: 'no_payment_required' })],
    ['charge.succeeded', withOrder('42')],
    ['payment_intent.created', withOrder('42')],
    ['checkout.session.async_payment_succeeded', withOrder('42', { payment_status: 'paid' })],
    ['payment_intent.succeeded', { metadata: {} }],
    ['checkout.session.completed', { metadata: null, payment_status: 'paid' }],
  ])('%s %j is ignored', (type, object) => {
    expect(meaningOfStripeEvent(event(type, object))).toEqual({ kind: 'ignored' });
  });

  test.each([['0'], ['01'], ['-1'], ['4.5'], ['abc'], ['99999999999999999']])(
    'metadata.order_id %j names no order',
    (orderId) => {
      expect(meaningOfStripeEvent(event('payment_intent.succeeded', withOrder(orderId)))).toEqual({
        kind: 'no-such-order',
      });
    },
  );
});
