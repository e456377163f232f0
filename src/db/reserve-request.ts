import type { Sequelize } from 'sequelize';
import { sqlTime } from './time';

/** One reservation as the hold workflow asks for it; its field names are the SQL's placeholders (`:productId`, …). */
export interface ReserveRequest {
  holdId: number;
  productId: number;
  quantity: number;
  now: Date;
  expiresAt: Date;
  /** The shop's customer (POST /api/holds customer_id); null or absent: no purchase limit applies. */
  customerId?: string | null;
  /**
   * The API's deadline for its answer (ISO); absent: none. A reservation that runs after it would only create a hold
   * its caller was never told of (the caller had a 503), so it is refused (`abandoned`).
   */
  answerBy?: string | null;
}

export interface ReserveOutcome {
  /** Stock before this reservation: exact for the product when `exact`, else only the row that was locked. */
  available: number | null;
  already: boolean;
  reserved: boolean;
  /** The product's shard count when the database said (null: not read in this path). */
  shards: number | null;
  /** `available` is the whole product's stock, read under every lock that could change it. */
  exact: boolean;
  /** The refusal covered only part of the product's stock: reserve across every shard instead. */
  partial: boolean;
  /** The product's max_per_customer when the customer's limit refused the hold (a final answer), else null. */
  customerLimit: number | null;
  /**
   * The caller is gone: the hold was abandoned (src/db/abandoned-holds.ts) or the reservation ran past `answerBy`.
   * Nothing was taken; a final answer. Never set when `already` (a hold that exists is the answer).
   */
  abandoned: boolean;
}

/**
 * Called with a connection in hand, right before a reservation's transaction is sent: from then on it may commit
 * whatever becomes of this process (the product cache uses it to stop caching the product meanwhile).
 */
export type BeforeStockWrite = (productId: number, holdId: number) => Promise<void>;

/** What every reservation path needs: the database and the hook it calls before sending. */
export interface ReservationDb {
  db: Sequelize;
  beforeSend?: BeforeStockWrite;
}

/** The request's values as the SQL reads them: the same names, times as DATETIME(3) literals. */
export function sqlValues(r: ReserveRequest) {
  const answerBy = r.answerBy ? Date.parse(r.answerBy) : null;
  return {
    holdId: r.holdId,
    productId: r.productId,
    quantity: r.quantity,
    customerId: r.customerId ?? null,
    now: sqlTime(r.now),
    expiresAt: sqlTime(r.expiresAt),
    /** 1 when the caller has already been answered (its deadline passed before this reservation's `now`). */
    pastAnswerBy: answerBy !== null && r.now.getTime() > answerBy ? 1 : 0,
  };
}
