/** What the invariant checker is told by its caller: what clients were answered, when the system was down, its bounds. */

export interface AckedHold {
  productId: number;
  quantity: number;
  expiresAt: string;
}

export interface AckedPayment {
  orderId: number;
  /** `paid` or `failed`, as sent. */
  sent: 'paid' | 'failed';
  /** The order status the webhook answered (`completed`, `cancelled`). */
  answered: string;
}

/** What clients were told; the harness fills it as answers arrive, the checker holds the database to it. */
export class Acks {
  holds = new Map<number, AckedHold>();
  orders = new Map<number, { holdId: number }>();
  /** By event id. */
  payments = new Map<string, AckedPayment>();
  /** Early releases answered 200, by hold id: the released_at answered. */
  releases = new Map<number, { releasedAt: string }>();
  /** The ledger: stock put in per product (created + restocks answered 200), kept by the harness. */
  stock = new Map<number, number>();
  /** Restocks sent and not yet answered, per product: the database may already show them (committed, unanswered). */
  restocking = new Map<number, number>();
  /** Hold requests whose buyer got no 201 (and no sold-out 400): the phantom check's candidates. */
  unansweredHolds: UnansweredHold[] = [];
}

/** A POST /api/holds its buyer got no 201 for: a 503, another error, a timeout, a cut connection. */
export interface UnansweredHold {
  productId: number;
  quantity: number;
  /** The Idempotency-Key sent, or null. */
  key: string | null;
  sentAt: number;
  answeredAt: number;
  /** The status (`503`), `timeout` or `cut`. */
  answer: string;
}

/** When the system was down (a fault made releases impossible): lateness bounds stretch by the overlap. */
export interface Downtime {
  /** Milliseconds the system was down between `from` and `to` (epoch ms). */
  overlap(from: number, to: number): number;
}

export interface LatenessOptions {
  /** SWEEP_INTERVAL_SECONDS + SWEEP_GRACE_SECONDS: by then the sweep has released what a timer missed. */
  boundSeconds: number;
  /** Scheduling slack on a busy machine, explicit. */
  slackSeconds: number;
  downtime?: Downtime;
}

export interface CheckerOptions {
  /** mysql://user:pass@host:port/database — straight to the server, never through a fault proxy. */
  url: string;
  /** Only these products (and their holds and orders); all products when absent. */
  productIds?: () => number[] | undefined;
  /**
   * Stock put in, per product, by the harness's own account (acks.stock when absent). Without a ledger entry a
   * product's total_stock is trusted (a product the harness did not create).
   */
  ledger?: Map<number, number>;
  acks?: Acks;
  /** Lateness at every snapshot; absent: only once settled. */
  lateness?: LatenessOptions;
  paymentTimeoutSeconds: number;
  /** Sweep grace: a sweep release is never earlier than expiry + this. */
  sweepGraceSeconds: number;
}

export interface SettledOptions {
  /** How long past its expiry (or payment deadline) a hold (order) may stay open once faults have healed. */
  graceSeconds: number;
  /**
   * Checks for phantom holds (harness/checker/phantoms.ts): a hold no buyer was answered 201 for must give its stock
   * back within this many seconds of its buyer being told no. Absent: not checked.
   */
  phantomBoundSeconds?: number;
}

export interface CheckReport {
  at: string;
  violations: string[];
  products: number;
  holds: number;
  orders: number;
  events: number;
  /** Holds still held past expiry (not yet a violation unless settled). */
  overdueHolds: number;
  overdueOrders: number;
  /** Holds neither released nor ordered, and pending orders: what is still in flight. */
  openHolds: number;
  pendingOrders: number;
  ms: number;
}
