import { type HttpError, malformedJson } from '../errors';
import { customerQuery } from '../schemas/requests';
import {
  envelope,
  errorResponse,
  jsonBodyOf,
  jsonResponse,
  parameter,
  queryParameter,
  requestId,
  response,
  schema,
  withDependencies,
  type Json,
} from './build';

/** The shop's API keys (src/api/api-keys.ts): needed by holds and orders once `API_KEYS` is configured. */
export const apiKeySecuritySchemes = {
  apiKey: {
    type: 'http',
    scheme: 'bearer',
    description:
      '`Authorization: Bearer <key>`, one of `API_KEYS` (or `API_KEYS_FILE`). Needed by every hold and order operation once keys are configured; without keys (local development) these operations are open. Products, `GET /api`, the signed webhook and the admin API (its own token) never need one. See docs/integration.md.',
  },
};

export const customerParameters = { customer_id: queryParameter(customerQuery, 'customer_id') };

/**
 * A hold or order operation as API keys see it: a key when keys are configured (401 without), and for writes the
 * rate limits (429); lists take the `customer_id` filter.
 */
export function keyed<T extends Json>(op: T, opts: { write?: boolean; list?: boolean } = {}): T {
  const parameters = [...((op.parameters as Json[] | undefined) ?? [])];
  if (opts.list) parameters.splice(parameters.length - 1, 0, parameter('customer_id'));
  return {
    ...op,
    security: [{ apiKey: [] }, {}],
    parameters,
    responses: {
      ...(op.responses as Json),
      '401': response('ApiKeyRequired'),
      ...(opts.write ? { '429': response('RateLimited') } : {}),
    },
  };
}

/** A keyed create (POST /api/holds, POST /api/orders): what the two share, from the Idempotency-Key to the 422. */
export interface KeyedCreate {
  tag: string;
  operationId: string;
  summary: string;
  description: string;
  request: string;
  created: { description: string; schema: string; links: Json };
  /** What the 400 covers besides malformed JSON, and one example message per refusal. */
  refusals: { description: string; examples: Record<string, HttpError> };
  /** Answers this operation alone has (e.g. 403). */
  more?: Json;
}

export function keyedCreate(c: KeyedCreate): Json {
  return keyed(
    {
      tags: [c.tag],
      operationId: c.operationId,
      summary: c.summary,
      description: `${c.description} See "Idempotency-Key" above for retries.`,
      parameters: [parameter('Idempotency-Key'), requestId],
      requestBody: jsonBodyOf(c.request),
      responses: {
        '201': {
          ...jsonResponse(c.created.description, envelope(schema(c.created.schema)), {
            headers: ['Idempotent-Replayed'],
          }),
          links: c.created.links,
        },
        '400': errorResponse(
          `Malformed JSON, or ${c.refusals.description} (a replay of an earlier refusal carries \`Idempotent-Replayed\`).`,
          { malformed_json: malformedJson(), ...c.refusals.examples },
          ['Idempotent-Replayed'],
        ),
        ...c.more,
        '413': response('PayloadTooLarge'),
        '422': response('ValidationFailed'),
        ...withDependencies,
      },
    },
    { write: true },
  );
}
