import type { HoldView, OrderStatus, OrderView } from './views';

/** A hold's life inside its workflow; the database row is the authority, this mirrors it for the UI. */
export type HoldState =
  'RESERVING' | 'REJECTED' | 'HELD' | 'ORDERING' | 'ORDERED' | 'RELEASING' | 'RELEASED' | 'EXPIRED';

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
}

/** What the webhook tells the order workflow after the database has settled the payment. */
export interface PaymentSettled {
  eventId: string;
  paymentStatus: 'paid' | 'failed';
  orderStatus: OrderStatus;
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
  /** An order or release reached a hold whose reservation never committed (or was refused). */
  HoldMissing: 'HoldMissing',
  /** The reservation failed for a reason that is not the customer's (retries exhausted). */
  ReservationFailed: 'ReservationFailed',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];
