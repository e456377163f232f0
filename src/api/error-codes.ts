/**
 * The stable, machine-readable `code` of every error body (the contract's list, word for word). Messages are for
 * people and may be reworded; a program branches on the code. Each error is raised with its code (src/api/errors.ts);
 * nothing here reads a message.
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
 * The code of an answer that carries only a status: an error Koa or the router raised (405, 413, 415), and an error
 * body stored by the idempotency layer before bodies carried their code (it is replayed with its status's code).
 */
const BY_STATUS: Partial<Record<number, ErrorCode>> = {
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

export function statusCode(status: number): ErrorCode {
  return BY_STATUS[status] ?? (status >= 500 ? 'internal_error' : 'validation_failed');
}
