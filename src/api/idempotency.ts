import { createHash } from 'node:crypto';
import type { IdempotencyKeyRow, IdempotencyKeys } from '../db/idempotency-keys';
import { WorkflowClosed } from '../sale/gateway-failures';
import { IDEMPOTENCY_KEY_TTL_HOURS } from '../shared/retention';
import { HttpError, ValidationError } from './errors';

export interface StoredAnswer {
  status: number;
  body: unknown;
}

// The purge (src/activities/purge.ts) deletes keys past the same age.
export const IDEMPOTENCY_TTL_HOURS = IDEMPOTENCY_KEY_TTL_HOURS;
const TTL_MS = IDEMPOTENCY_TTL_HOURS * 60 * 60 * 1000;
export const IDEMPOTENCY_KEY_MAX_LENGTH = 255;
const KEY_PATTERN = new RegExp(`^[\\x21-\\x7e]{1,${IDEMPOTENCY_KEY_MAX_LENGTH}}$`);
export const IDEMPOTENCY_KEY_REUSED = 'Idempotency-Key reused with different parameters';

/** Attempts of a keyed request are named `key-…` (stable across its retries); unkeyed ones `once-…`. */
export const isKeyedAttempt = (attempt: string) => attempt.startsWith('key-');

export interface IdempotentCall {
  scope: 'holds' | 'orders';
  key: string | undefined;
  params: Record<string, unknown>;
  /** The resource the call acts on (a new hold id, or the hold being ordered). */
  resourceId: () => Promise<number>;
  /** Does the work; `attempt` is stable across retries with one key, so it can name Temporal updates. */
  run: (resourceId: number, attempt: string) => Promise<StoredAnswer>;
  /** Waits are bounded: how long a retry may wait for a first attempt that is still answering. */
  waitMs?: number;
  /**
   * A 503 lets the key's retry start afresh with a new resource (holds: the hold the 503 abandoned can never reserve,
   * so a retry attached to it would be refused for the key's whole 24 h).
   */
  freshAfterUnavailable?: boolean;
}

/**
 * Idempotency-Key: a retry with the same key and body gets the first answer again and does no more work;
 * concurrent retries attach to the same workflow run and update, so they reserve once.
 */
export function createIdempotency(keys: IdempotencyKeys) {
  const find = keys.find;

  const replay = (row: IdempotencyKeyRow): StoredAnswer => ({
    status: row.response_status!,
    body: JSON.parse(row.response_body!),
  });

  async function waitForAnswer(scope: string, key: string, deadline: number): Promise<StoredAnswer | null> {
    for (let delay = 25; Date.now() < deadline; delay = Math.min(delay * 2, 250)) {
      const row = await find(scope, key);
      if (row?.response_status) return replay(row);
      await new Promise((r) => setTimeout(r, delay));
    }
    return null;
  }

  return async function idempotent(call: IdempotentCall): Promise<StoredAnswer & { replayed: boolean }> {
    const { scope, key } = call;
    if (key === undefined) {
      return { ...(await call.run(await call.resourceId(), `once-${Date.now()}-${Math.random()}`)), replayed: false };
    }
    if (!KEY_PATTERN.test(key)) {
      throw new ValidationError({
        idempotency_key: [
          `The Idempotency-Key header must be 1 to ${IDEMPOTENCY_KEY_MAX_LENGTH} visible ASCII characters.`,
        ],
      });
    }
    const hash = createHash('sha256').update(JSON.stringify(call.params)).digest('hex');
    let row = await find(scope, key);
    if (row && Date.now() - new Date(row.created_at).getTime() > TTL_MS) {
      await keys.forget(scope, key, row.created_at);
      row = null;
    }
    if (!row) {
      const resourceId = await call.resourceId();
      await keys.claim(scope, key, hash, resourceId);
      row = await find(scope, key);
    }
    if (!row) throw new Error('idempotency record vanished');
    if (row.request_hash !== hash) {
      throw new ValidationError({ idempotency_key: [IDEMPOTENCY_KEY_REUSED] }, 'idempotency_conflict');
    }
    if (row.response_status) return { ...replay(row), replayed: true };

    let answer: StoredAnswer;
    try {
      // Stable across retries with this key and body, and distinct between keys: it names the Temporal update.
      const attempt = `key-${createHash('sha256').update(`${scope}\n${key}\n${hash}`).digest('hex').slice(0, 32)}`;
      answer = await call.run(Number(row.resource_id), attempt);
    } catch (err) {
      if (call.freshAfterUnavailable && err instanceof HttpError && err.status === 503) {
        await keys.forgetPending(scope, key, Number(row.resource_id));
      }
      if (!(err instanceof WorkflowClosed)) throw err;
      // The first attempt finished its workflow but has not stored its answer yet.
      const stored = await waitForAnswer(scope, key, Date.now() + (call.waitMs ?? 5_000));
      if (!stored) throw err;
      return { ...stored, replayed: true };
    }
    // Only final answers are kept: a 5xx may be retried and must then do the work.
    if (answer.status < 500) {
      await keys.storeAnswer(scope, key, answer.status, JSON.stringify(answer.body));
      const stored = await find(scope, key);
      if (stored?.response_status) return { ...replay(stored), replayed: false };
    }
    return { ...answer, replayed: false };
  };
}

export type Idempotent = ReturnType<typeof createIdempotency>;
