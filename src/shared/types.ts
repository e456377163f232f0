import type { EventSettings } from './events';
import type { HoldView, OrderStatus, OrderView } from './views';

/** A hold's life inside its workflow; the database row is the authority, this mirrors it for the UI. */
export type HoldState =
  'RESERVING' | 'REJECTED' | 'HELD' | 'EXTENDING' | 'ORDERING' | 'ORDERED' | 'RELEASING' | 'RELEASED' | 'EXPIRED';

export interface HoldWorkflowInput {
  holdId: number;
  productId: number;
  quantity: number;
  ttlSeconds: number;
  paymentTimeoutSeconds: number;
  /**
   * When the hold ends (ISO), fixed by the API at the request so the workflow starts with its HoldExpiresAt search
   * attribute already set (no visibility write on the happy path). Absent in holdWorkflow (v1) histories, whose
   * reservation computed it.
   */
  expiresAt?: string;
  /** The sold-out gate's epoch the API read before the start (see cache/product-cache.ts); absent in older runs. */
  gateEpoch?: string;
  /** The shop's customer (POST /api/holds customer_id): stored on the hold, bound by the product's purchase limit. */
  customerId?: string;
  /** Outbound events (EVENTS_URL set at the API); absent: the workflow does no event work at all. */
  events?: EventSettings;
  /**
   * The API's deadline for its answer (ISO): a reservation that runs after it is refused (CallerGone), since its
   * caller has already been answered without the hold. Absent: no deadline (and in older histories).
   */
  answerBy?: string;
}

/** A buyer's hold request, one shape from the route to the SQL (the workflow input adds the hold's settings). */
export type HoldRequest = Pick<HoldWorkflowInput, 'holdId' | 'productId' | 'quantity' | 'customerId' | 'gateEpoch'>;

/** POST /api/holds/{id}/extend: the hold's workflow moves its timer once the database has moved the expiry. */
export interface ExtendRequest {
  seconds: number;
  /** HOLD_MAX_EXTENSION_SECONDS at the API: the most a hold may be extended by in total. */
  maxTotalSeconds: number;
}

export interface HoldStatus {
  state: HoldState;
  hold: HoldView | null;
  orderId: number | null;
  rejection: string | null;
}

export interface OrderWorkflowInput {
  orderId: number;
  holdId: number;
  productId: number;
  quantity: number;
  /** When the order was created (ISO); payment must arrive within the timeout from then. */
  createdAt: string;
  paymentTimeoutSeconds: number;
  /**
   * Outbound events: the order's own go out once its hold's workflow says the hold's events are out (`afterHold`),
   * so a receiver hears of a hold's life in order. Absent: no event work.
   */
  events?: EventSettings & { afterHold: boolean };
  /**
   * The order is already final in the database: this run only reports a late payment (started by the webhook with
   * signal-with-start after the order's first run had closed). Absent in shipped histories.
   */
  settled?: OrderStatus;
}

/** A payment that came after the order had left `pending`, as the database settled it (LATE_PAYMENT_POLICY). */
export interface LatePayment {
  eventId: string;
  /** `honoured`: the units were sold again and the order completed; `refund-due`: the money goes back. */
  outcome: 'honoured' | 'refund-due';
  order: OrderView;
}

/** What the webhook tells the order workflow after the database has settled the payment. */
export interface PaymentSettled {
  eventId: string;
  paymentStatus: 'paid' | 'failed';
  orderStatus: OrderStatus;
  /** The order as settled (for its outbound event); absent in shipped histories. */
  order?: OrderView;
}

export interface OrderWorkflowStatus {
  orderId: number;
  status: OrderStatus;
  eventId: string | null;
}

export interface SweepInput {
  graceSeconds: number;
  paymentTimeoutSeconds: number;
  batchSize: number;
  /** How long the run keeps looking (every second) after its first pass; absent: one pass. */
  watchSeconds?: number;
}

export interface SweepResult {
  holdsReleased: number;
  ordersCancelled: number;
}

export type PlacedOrder = OrderView;

/** ApplicationFailure types: business refusals, never retried, mapped to the contract's answers. */
export const FailureType = {
  InsufficientStock: 'InsufficientStock',
  UnknownProduct: 'UnknownProduct',
  HoldExpired: 'HoldExpired',
  HoldReleased: 'HoldReleased',
  HoldUsed: 'HoldUsed',
  /** An extension past HOLD_MAX_EXTENSION_SECONDS in total. */
  ExtensionLimit: 'ExtensionLimit',
  /** The customer already has the product's max_per_customer units (details: `{ max }`). */
  CustomerLimit: 'CustomerLimit',
  /** An order or release reached a hold whose reservation never committed (or was refused). */
  HoldMissing: 'HoldMissing',
  /**
   * The reservation's caller is gone: the API answered without the hold (its deadline passed, `answerBy`, or it
   * abandoned the hold: src/db/abandoned-holds.ts). Nothing was taken; never retried.
   */
  CallerGone: 'CallerGone',
  /** The reservation failed for a reason that is not the customer's (retries exhausted). */
  ReservationFailed: 'ReservationFailed',
  /** Outbound events: this worker has no EVENTS_URL/EVENTS_SECRET (never retried). */
  EventsOff: 'EventsOff',
  /** Outbound events: the receiver did not take the event (retried until the window closes). */
  DeliveryFailed: 'DeliveryFailed',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

const failureTypes = new Set<string>(Object.values(FailureType));
/** Whether an ApplicationFailure's type is one of ours (anything else is a bug, not a business answer). */
export const isFailureType = (type: string | null | undefined): type is FailureType =>
  type != null && failureTypes.has(type);

/** LATE_PAYMENT_POLICY: what a paid event for an order that is no longer pending does. */
export type LatePaymentPolicy = 'refund' | 'honour_if_available';
