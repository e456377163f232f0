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
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];
