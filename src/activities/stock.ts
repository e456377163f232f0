import { ApplicationFailure } from '@temporalio/activity';
import { createReserver, type ReserveOutcome } from '../db/reserve';
import { readHold } from '../db/holds';
import { noFaults } from '../faults';
import { FailureType, type HoldWorkflowInput } from '../shared/types';
import type { HoldView } from '../shared/views';
import type { ActivityDeps } from './deps';

/** The hold workflow hands its own input to the reservation: one type from the API to the SQL. */
export type ReserveStockInput = HoldWorkflowInput;

/** How late a reservation may run behind the expiry the API announced before the hold's life starts from it. */
export const LATE_RESERVATION_MS = 1_000;

/** Names a reservation's mark in the product cache (its retries share it). */
const writeId = (holdId: number) => `hold-${holdId}`;

/** The reservation's answers that take nothing: the product's write mark ends, as no stock write follows. */
const takesNothing = (o: ReserveOutcome) =>
  o.available === null || o.already || o.abandoned || o.customerLimit !== null;

type Reserver = ReturnType<typeof createReserver>;

export async function loadHold(db: ActivityDeps['db'], holdId: number): Promise<HoldView> {
  const hold = await readHold(db, holdId);
  if (!hold) throw ApplicationFailure.nonRetryable(`hold ${holdId} does not exist`, FailureType.HoldMissing);
  return hold;
}

/**
 * Takes stock for a new hold under the product's row lock. Safe to retry: the hold id is fixed by the
 * workflow, so a retry after a commit finds its own hold instead of taking the stock twice.
 */
async function reserveStock(
  { db, cache, log, faults = noFaults }: ActivityDeps,
  reserve: Reserver,
  input: ReserveStockInput,
): Promise<HoldView> {
  const { holdId, productId, quantity, ttlSeconds, gateEpoch } = input;
  const customerId = input.customerId ?? null;
  const now = new Date();
  // A hold lives its whole TTL from the moment its stock is taken. holdWorkflowV2 brings the expiry the API set in
  // its search attributes at the start; a reservation that runs later than that (a worker down, starved or
  // restarted) moves it on rather than create a hold that is born expired. v1 histories bring none.
  const fullTtl = now.getTime() + ttlSeconds * 1000;
  const expiresAt = new Date(
    input.expiresAt ? Math.max(Date.parse(input.expiresAt), fullTtl - LATE_RESERVATION_MS) : fullTtl,
  );
  await faults.at('reserve.beforeCommit');
  const outcome = await reserve({
    holdId,
    productId,
    quantity,
    now,
    expiresAt,
    customerId,
    answerBy: input.answerBy,
  });
  await faults.at('reserve.afterCommit');
  if (takesNothing(outcome)) {
    // An earlier attempt may have died between its commit and its cache update: do it now (idempotent).
    if (outcome.already) await cache.invalidate([productId]);
    await cache.endStockWrite(productId, writeId(holdId));
  }
  if (outcome.available === null) {
    throw ApplicationFailure.nonRetryable(`product ${productId} does not exist`, FailureType.UnknownProduct);
  }
  if (outcome.already) {
    log.info({ hold_id: holdId, product_id: productId }, 'hold already reserved by an earlier attempt');
    return loadHold(db, holdId);
  }
  if (outcome.abandoned) {
    // The API answered without this hold (its deadline passed, or abandonHold barred it): nothing was taken.
    log.info({ hold_id: holdId, product_id: productId }, 'reservation refused: its caller is gone');
    throw ApplicationFailure.nonRetryable(`hold ${holdId} was abandoned by its caller`, FailureType.CallerGone);
  }
  if (outcome.customerLimit !== null) {
    // The customer's refusal, not the product's: the sold-out gate learns nothing from it.
    throw ApplicationFailure.nonRetryable('customer limit reached', FailureType.CustomerLimit, {
      max: outcome.customerLimit,
    });
  }
  // Only a figure for the whole product, read under the locks, may move the sold-out gate; a shard's own count
  // just drops the cached product.
  const gate = outcome.exact ? gateEpoch : undefined;
  if (!outcome.reserved) {
    // Read under the lock: the gate may answer later requests for this many units without the database.
    await cache.noteStock(productId, outcome.available, gate, false, writeId(holdId), { holdId, quantity });
    throw ApplicationFailure.nonRetryable('insufficient stock', FailureType.InsufficientStock, {
      available: outcome.available,
    });
  }
  // The hold's units leave the in-flight count in the same step as they leave the gate's figure.
  await cache.noteStock(productId, outcome.available - quantity, gate, true, writeId(holdId), { holdId, quantity });
  log.info({ hold_id: holdId, product_id: productId, quantity }, 'stock reserved');
  return {
    id: holdId,
    product_id: productId,
    quantity,
    customer_id: customerId,
    hold_expires_at: expiresAt.toISOString(),
    released_at: null,
    used_at: null,
    created_at: now.toISOString(),
    updated_at: now.toISOString(),
  };
}

export function createStockActivities(deps: ActivityDeps) {
  const { db, cache } = deps;
  // The cache is told before each reservation is sent: a worker killed while its batch waits on the row lock cannot
  // invalidate after the server commits it.
  const reserve = createReserver(db, (productId, holdId) => cache.beginStockWrite(productId, writeId(holdId)));

  return {
    /** Takes stock for a new hold under the product's row lock (reserveStock above: safe to retry). */
    reserveStock: (input: ReserveStockInput): Promise<HoldView> => reserveStock(deps, reserve, input),
  };
}
