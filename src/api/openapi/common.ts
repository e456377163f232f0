import {
  ValidationError,
  internalError,
  payloadTooLarge,
  rateLimited,
  refusal,
  unauthorized,
  unavailable,
} from '../errors';
import { IDEMPOTENCY_KEY_MAX_LENGTH, IDEMPOTENCY_KEY_REUSED, IDEMPOTENCY_TTL_HOURS } from '../idempotency';
import { SANE_REQUEST_ID } from '../middleware';
import { createHoldRequest, pageQuery } from '../schemas/requests';
import { check, ensureValid, selectedInvalid } from '../validation';
import { BODY_LIMIT } from './intro';
import { codeProperty } from './codes';
import { errorResponse, idPath, jsonResponse, queryParameter, schema } from './build';

/** A 422 body exactly as the service answers it. */
const validationExample = ({ message, code, errors }: ValidationError) => ({ value: { message, code, errors } });

/** The 422 the validator gives `body` on POST /api/holds. */
function holdValidation(body: unknown): ValidationError {
  try {
    ensureValid(check(createHoldRequest(), body));
  } catch (err) {
    if (err instanceof ValidationError) return err;
  }
  throw new Error(`no 422 for ${JSON.stringify(body)}`);
}

/** Parameters, headers, answers and schemas that several resources share. */
export const commonParameters = {
  ProductId: idPath('product'),
  HoldId: idPath('hold'),
  OrderId: idPath('order'),
  limit: queryParameter(pageQuery, 'limit'),
  after_id: queryParameter(pageQuery, 'after_id'),
  'Idempotency-Key': {
    name: 'Idempotency-Key',
    in: 'header',
    required: false,
    description: `Makes retries safe for ${IDEMPOTENCY_TTL_HOURS} h: the same key with the same parameters replays the first answer (\`Idempotent-Replayed: true\`); with different parameters, 422. 1–${IDEMPOTENCY_KEY_MAX_LENGTH} visible ASCII characters, otherwise 422 on \`idempotency_key\`. An empty value counts as absent.`,
    schema: { type: 'string', minLength: 1, maxLength: IDEMPOTENCY_KEY_MAX_LENGTH, pattern: '^[!-~]+$' },
  },
  'X-Request-Id': {
    name: 'X-Request-Id',
    in: 'header',
    required: false,
    description:
      "The client's request id, echoed back and written to every log line of the request. Kept when it is 1–128 characters of `A-Z a-z 0-9 . _ : -`; otherwise replaced by a UUID.",
    schema: { type: 'string', maxLength: 128 },
  },
};

export const commonHeaders = {
  'X-Request-Id': {
    description: "The request id: the client's own when sane, otherwise a UUID made by the service.",
    required: true,
    schema: { type: 'string', pattern: SANE_REQUEST_ID.source },
  },
  Link: {
    description: 'Present when more rows remain: `<path?limit=N&after_id=LAST>; rel="next"`.',
    required: false,
    schema: { type: 'string', pattern: '^<[^>]+>; rel="next"$' },
  },
  'Retry-After': {
    description: 'Seconds to wait before retrying.',
    required: true,
    schema: { type: 'string', pattern: '^[0-9]+$' },
  },
  'Idempotent-Replayed': {
    description: 'Present (`true`) when this answer is the stored answer to an earlier request with the same key.',
    required: false,
    schema: { type: 'string', enum: ['true'] },
  },
};

export const commonResponses = {
  PayloadTooLarge: errorResponse(`The body is larger than ${BODY_LIMIT}.`, { too_large: payloadTooLarge() }),
  ValidationFailed: jsonResponse('Validation failed.', schema('ValidationErrors'), {
    examples: {
      required: validationExample(holdValidation({ quantity: 0 })),
      unknown: validationExample(new ValidationError({ product_id: [selectedInvalid('product_id')] })),
      idempotency: validationExample(
        new ValidationError({ idempotency_key: [IDEMPOTENCY_KEY_REUSED] }, 'idempotency_conflict'),
      ),
    },
  }),
  ApiKeyRequired: errorResponse(
    'With `API_KEYS` configured: no `Authorization: Bearer <key>`, or not one of the keys (`WWW-Authenticate: Bearer`).',
    { unauthorized: unauthorized() },
  ),
  OtherCustomer: errorResponse("The body's `customer_id` is not the hold's customer; nothing changed.", {
    other_customer: refusal.otherCustomer(),
  }),
  RateLimited: errorResponse(
    'Past the budget of this API key, customer or client address for the window (docs/integration.md sizes them).',
    { rate_limited: rateLimited(1) },
    ['Retry-After'],
  ),
  InternalError: errorResponse('An unexpected failure; the details are in the log under the request id.', {
    internal: internalError(),
  }),
  Unavailable: errorResponse(
    'MariaDB, Redis or Temporal did not answer in time; nothing was changed that a retry would repeat.',
    { unavailable: unavailable() },
    ['Retry-After'],
  ),
};

export const commonSchemas = {
  Timestamp: {
    type: 'string',
    format: 'date-time',
    description: 'UTC, ISO-8601 with milliseconds.',
    examples: ['2026-11-24T10:02:00.000Z'],
  },
  Id: { type: 'integer', minimum: 1 },
  Error: {
    type: 'object',
    required: ['status', 'message', 'code', 'timestamp'],
    additionalProperties: false,
    properties: {
      status: { const: 'error' },
      message: { type: 'string', minLength: 1 },
      code: codeProperty,
      timestamp: schema('Timestamp'),
    },
  },
  ValidationErrors: {
    type: 'object',
    required: ['message', 'code', 'errors'],
    additionalProperties: false,
    properties: {
      message: {
        type: 'string',
        description: 'The first error, then ` (and N more error|errors)` when there are more.',
      },
      code: { ...codeProperty, enum: ['validation_failed', 'idempotency_conflict'] },
      errors: {
        type: 'object',
        minProperties: 1,
        description: 'Messages per field (snake_case field names; `idempotency_key` for the header).',
        additionalProperties: { type: 'array', minItems: 1, items: { type: 'string' } },
      },
    },
  },
};
