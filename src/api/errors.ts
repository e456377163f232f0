import { FailureType } from '../shared/types';
import {
  OTHER_CUSTOMER_MESSAGE,
  customerLimitMessage,
  extendRefusalMessage,
  extensionDisabledMessage,
  insufficientStockMessage,
  orderRefusalMessage,
  releaseRefusalMessage,
} from '../shared/refusals';
import type { ErrorCode } from './error-codes';

/** An answer the contract names: status, code, message and optional headers. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export type FieldErrors = Record<string, string[]>;

/** 422 with Laravel's body: the first message, a count of the rest, and every message per field. */
export class ValidationError extends Error {
  constructor(
    readonly errors: FieldErrors,
    readonly code: ErrorCode = 'validation_failed',
  ) {
    super(summarize(errors));
  }
}

export function summarize(errors: FieldErrors): string {
  const all = Object.values(errors).flat();
  const more = all.length - 1;
  if (more <= 0) return all[0] ?? 'The given data was invalid.';
  return `${all[0]} (and ${more} more ${more === 1 ? 'error' : 'errors'})`;
}

/** The words of the answers every route can give; the OpenAPI document quotes them from here. */
export const GENERIC_MESSAGES = {
  internal: 'Internal server error',
  unavailable: 'Service temporarily unavailable',
  routeNotFound: 'Route not found',
  methodNotAllowed: 'Method not allowed',
  payloadTooLarge: 'Payload too large',
  malformedJson: 'Malformed JSON body',
  malformedBody: 'Malformed request body',
  unsupportedEncoding: 'Unsupported content encoding',
  unauthorized: 'Unauthorized',
  rateLimited: 'Too many requests',
} as const;

export const notFound = (what: string) => new HttpError(404, 'not_found', `${what} not found`);
export const routeNotFound = () => new HttpError(404, 'not_found', GENERIC_MESSAGES.routeNotFound);
export const unavailable = () =>
  new HttpError(503, 'unavailable', GENERIC_MESSAGES.unavailable, { 'Retry-After': '1' });
export const internalError = () => new HttpError(500, 'internal_error', GENERIC_MESSAGES.internal);
export const malformedJson = () => new HttpError(400, 'malformed_json', GENERIC_MESSAGES.malformedJson);
export const payloadTooLarge = () => new HttpError(413, 'payload_too_large', GENERIC_MESSAGES.payloadTooLarge);
export const methodNotAllowed = (allow: string[]) =>
  new HttpError(405, 'method_not_allowed', GENERIC_MESSAGES.methodNotAllowed, { Allow: allow.join(', ') });
export const unauthorized = (headers: Record<string, string> = {}) =>
  new HttpError(401, 'unauthorized', GENERIC_MESSAGES.unauthorized, headers);
export const rateLimited = (seconds: number) =>
  new HttpError(429, 'rate_limited', GENERIC_MESSAGES.rateLimited, { 'Retry-After': String(seconds) });

/** Which code each way a hold can be refused carries, whatever the verb's wording. */
const HOLD_REFUSAL_CODES: Partial<Record<FailureType, ErrorCode>> = {
  [FailureType.HoldExpired]: 'hold_expired',
  [FailureType.HoldReleased]: 'hold_released',
  [FailureType.HoldUsed]: 'hold_used',
  [FailureType.ExtensionLimit]: 'extension_limit',
};
const holdRefusal = (messages: Record<string, string>, reason: FailureType) =>
  new HttpError(400, HOLD_REFUSAL_CODES[reason] ?? 'validation_failed', messages[reason]);

/** The business refusals of holds, orders and payments, each with its code. */
export const refusal = {
  insufficientStock: (available: number) =>
    new HttpError(400, 'insufficient_stock', insufficientStockMessage(available)),
  customerLimit: (max: number) => new HttpError(400, 'customer_limit', customerLimitMessage(max)),
  otherCustomer: () => new HttpError(403, 'forbidden', OTHER_CUSTOMER_MESSAGE),
  order: (reason: FailureType) => holdRefusal(orderRefusalMessage, reason),
  release: (reason: FailureType) => holdRefusal(releaseRefusalMessage, reason),
  extend: (reason: FailureType) => holdRefusal(extendRefusalMessage, reason),
  extensionDisabled: () => new HttpError(400, 'extension_disabled', extensionDisabledMessage),
};
