import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ExtendRequest, HoldStatus, LatePayment, OrderWorkflowStatus, PaymentSettled } from './types';
import type { HoldView, OrderView } from './views';

/** Answers once the hold's stock is reserved (or refused): the API's POST /api/holds waits on it. */
export const reserveUpdate = defineUpdate<HoldView>('reserve');
/** Turns the hold into an order; rejected by the validator unless the hold is still held. */
export const placeOrderUpdate = defineUpdate<OrderView>('placeOrder');
/** Early release by the client or an operator. */
export const releaseHoldUpdate = defineUpdate<HoldView>('releaseHold');
/** Moves a held hold's expiry later (POST /api/holds/{id}/extend); the database decides, the timer follows. */
export const extendHoldUpdate = defineUpdate<HoldView, [ExtendRequest]>('extendHold');
export const holdStatusQuery = defineQuery<HoldStatus>('status');

/** Sent by the payment webhook after the database has recorded the event. */
export const paymentSettledSignal = defineSignal<[PaymentSettled]>('paymentSettled');
export const orderStatusQuery = defineQuery<OrderWorkflowStatus>('status');
/** From the hold's workflow once its own events are delivered: the order's may go out now (in order per hold). */
export const holdEventsDeliveredSignal = defineSignal('holdEventsDelivered');
/** Sent (with start, if the order's run has closed) by the webhook after the database recorded a late payment. */
export const latePaymentSignal = defineSignal<[LatePayment]>('latePayment');
/** Sent by the admin endpoint once an owed refund is paid back. */
export const refundClosedSignal = defineSignal('refundClosed');
