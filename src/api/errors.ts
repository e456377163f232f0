/** An answer the contract names: status, message and optional headers. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export type FieldErrors = Record<string, string[]>;

/** 422 with Laravel's body: the first message, a count of the rest, and every message per field. */
export class ValidationError extends Error {
  constructor(readonly errors: FieldErrors) {
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
} as const;

export const notFound = (what: string) => new HttpError(404, `${what} not found`);
export const unavailable = () => new HttpError(503, GENERIC_MESSAGES.unavailable, { 'Retry-After': '1' });
