/**
 * The stable, machine-readable `code` of every error body (the contract's list, word for word). Messages are for
 * people and may gain detail (a count, a limit); a program branches on the code.
 */
export const ERROR_CODES = [
  'validation_failed',
  'malformed_json',
  'payload_too_large',
  'not_found',
  'method_not_allowed',
  'unauthorized',
  'forbidden',
  'invalid_signature',
  'rate_limited',
  'insufficient_stock',
  'customer_limit',
  'hold_expired',
  'hold_released',
  'hold_used',
  'extension_disabled',
  'extension_limit',
  'order_not_pending',
  'idempotency_conflict',
  'event_conflict',
  'unavailable',
  'internal_error',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * Refusals whose status is shared with others, told apart by their contract wording. Answers stored by the
 * idempotency layer before codes existed are replayed through this too, so a replay carries the same code.
 */
const BY_MESSAGE: [RegExp, ErrorCode][] = [
  [/^Insufficient stock available\./, 'insufficient_stock'],
  [/^Cannot create hold: limit of \d+ per customer reached$/, 'customer_limit'],
  [/Hold has expired$/, 'hold_expired'],
  [/Hold has (already )?been released$/, 'hold_released'],
  [/Hold is already associated with an order$/, 'hold_used'],
  [/^Hold extension is disabled$/, 'extension_disabled'],
  [/extension limit reached$/, 'extension_limit'],
  [/^Order is not in pending state$/, 'order_not_pending'],
  [/^Idempotency-Key reused with different parameters/, 'idempotency_conflict'],
  [/^Invalid signature$/, 'invalid_signature'],
  [/^Malformed (JSON|request) body$/, 'malformed_json'],
];

/** What each status means when its message says nothing more specific. */
const BY_STATUS: Record<number, ErrorCode> = {
  400: 'validation_failed',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'event_conflict',
  413: 'payload_too_large',
  // A body the service cannot read as JSON at all (an unknown Content-Encoding).
  415: 'malformed_json',
  422: 'validation_failed',
  429: 'rate_limited',
  503: 'unavailable',
};

/** The code for an error answer: its message's when the message is one of the contract's refusals, else its status's. */
export function errorCodeFor(status: number, message: string): ErrorCode {
  for (const [pattern, code] of BY_MESSAGE) if (pattern.test(message)) return code;
  return BY_STATUS[status] ?? (status >= 500 ? 'internal_error' : 'validation_failed');
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Adds `code` to an error body that lacks one, right after its message: `{status, message, timestamp}` and the 422
 * validation body `{message, errors}` alike. Other bodies (a success, /ready's own shape) are returned as they are.
 */
export function withErrorCode(status: number, body: unknown): unknown {
  if (status < 400 || !isRecord(body) || typeof body.message !== 'string' || 'code' in body) return body;
  const isErrorBody = body.status === 'error' || (status === 422 && isRecord(body.errors));
  if (!isErrorBody) return body;
  const { message, ...rest } = body;
  // The 422 body's first message may be an idempotency refusal rather than a field error.
  const code = errorCodeFor(status, message);
  return 'status' in rest ? { status: rest.status, message, code, ...rest } : { message, code, ...rest };
}
