import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { HoldStatus, OrderWorkflowStatus, PaymentSettled } from './types';
import type { HoldView, OrderView } from './views';

/** Answers once the hold's stock is reserved (or refused): the API's POST /api/holds waits on it. */
export const reserveUpdate = defineUpdate<HoldView>('reserve');
/** Turns the hold into an order; rejected by the validator unless the hold is still held. */
export const placeOrderUpdate = defineUpdate<OrderView>('placeOrder');
/** Early release by the client or an operator. */
export const releaseHoldUpdate = defineUpdate<HoldView>('releaseHold');
export const holdStatusQuery = defineQuery<HoldStatus>('status');

/** Sent by the payment webhook after the database has recorded the event. */
export const paymentSettledSignal = defineSignal<[PaymentSettled]>('paymentSettled');
export const orderStatusQuery = defineQuery<OrderWorkflowStatus>('status');
