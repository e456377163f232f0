/**
 * How long the service keeps what it no longer needs, and the cut-offs of one purge run (src/activities/purge.ts).
 * Shared by the API (the Idempotency-Key promise), the purge and the namespace set-up, so each value is stated once.
 */

/** An Idempotency-Key replays its first answer this long; the purge deletes it after that. */
export const IDEMPOTENCY_KEY_TTL_HOURS = 24;

/**
 * The Temporal namespace's retention of closed workflow histories, for every set-up path (npm start, npm test, the
 * bench, the chaos suite, Docker Compose, npm run setup-temporal). Holds and orders close within minutes (an order's
 * outbound events within EVENTS_RETRY_HOURS); their records stay in MariaDB for RETENTION_DAYS.
 */
export const NAMESPACE_RETENTION_DAYS = 3;

/** What one purge run is given: the settings, as the Schedule's input (workflows cannot read the environment). */
export interface PurgeInput {
  /** Closed holds and orders (and undeliverable events) are kept this many days: RETENTION_DAYS. */
  retentionDays: number;
  /** Delivered outbound events are kept this many days: DELIVERY_RETENTION_DAYS. */
  deliveryRetentionDays: number;
  /** Rows deleted per statement (and per transaction): PURGE_BATCH_SIZE. */
  batchSize: number;
}

export interface PurgeResult {
  idempotencyKeys: number;
  deliveries: number;
  orders: number;
  holds: number;
}

export interface PurgeCutoffs {
  /** Idempotency keys created before this are past their promise. */
  keysBefore: Date;
  /** Delivered events last updated before this go. */
  deliveredBefore: Date;
  /** Holds and orders closed (and last changed) before this go; undeliverable events too. */
  closedBefore: Date;
}

const HOUR_MS = 3_600_000;

/** The instants one run compares against, from the moment it starts. */
export function purgeCutoffs(
  now: Date,
  input: Pick<PurgeInput, 'retentionDays' | 'deliveryRetentionDays'>,
): PurgeCutoffs {
  const ago = (hours: number) => new Date(now.getTime() - hours * HOUR_MS);
  return {
    keysBefore: ago(IDEMPOTENCY_KEY_TTL_HOURS),
    deliveredBefore: ago(input.deliveryRetentionDays * 24),
    closedBefore: ago(input.retentionDays * 24),
  };
}
