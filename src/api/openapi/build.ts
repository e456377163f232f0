/**
 * The pieces every resource's part of the OpenAPI document is built from: references, the answer envelopes and the
 * parameters and answers most operations share. Limits and words come from the code that enforces them.
 */
import { z } from 'zod';
import { type HttpError, malformedJson, notFound } from '../errors';

export type Json = Record<string, unknown>;

export const JSON_TYPE = 'application/json';
/** The timestamp every example answer carries. */
const EXAMPLE_TIME = '2026-11-24T10:02:00.000Z';

export const schema = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
export const response = (name: string): Json => ({ $ref: `#/components/responses/${name}` });
export const parameter = (name: string): Json => ({ $ref: `#/components/parameters/${name}` });
export const header = (name: string): Json => ({ $ref: `#/components/headers/${name}` });

/** Every answer carries the request id; `extra` adds more headers (Link, Retry-After, Idempotent-Replayed). */
export const headers = (...extra: string[]): Json =>
  Object.fromEntries([['X-Request-Id', header('X-Request-Id')], ...extra.map((h) => [h, header(h)])]);

export function jsonResponse(
  description: string,
  body: Json,
  opts: { headers?: string[]; examples?: Json } = {},
): Json {
  return {
    description,
    headers: headers(...(opts.headers ?? [])),
    content: { [JSON_TYPE]: { schema: body, ...(opts.examples ? { examples: opts.examples } : {}) } },
  };
}

/** `{"status":"error","message":…,"code":…,"timestamp":…}` with named examples: the errors the service raises. */
export function errorResponse(
  description: string,
  errors: Record<string, Pick<HttpError, 'code' | 'message'>>,
  extraHeaders: string[] = [],
): Json {
  return jsonResponse(description, schema('Error'), {
    headers: extraHeaders,
    examples: Object.fromEntries(
      Object.entries(errors).map(([name, { message, code }]) => [
        name,
        { value: { status: 'error', message, code, timestamp: EXAMPLE_TIME } },
      ]),
    ),
  });
}

/** The JSON Schema of a request schema (src/api/schemas/requests.ts): what a client may send. */
export function requestSchema(request: z.ZodType): Json {
  const jsonSchema = z.toJSONSchema(request, { io: 'input' }) as Json;
  delete jsonSchema.$schema;
  return jsonSchema;
}

/** The schema of one query parameter of a request schema, with its description beside it. */
export function queryParameter(query: z.ZodObject, name: string): Json {
  const field = query.shape[name] as z.ZodType;
  const { description, ...fieldSchema } = requestSchema(field);
  // zod 4 leaves a preprocessed field's default out of its JSON Schema: the value an absent parameter takes.
  const fallback = field.safeParse(undefined).data;
  if (fallback !== undefined) fieldSchema.default = fallback;
  return { name, in: 'query', required: false, description, schema: fieldSchema };
}

/** `{"status":"success","timestamp":…,"data":…}`; the webhook's envelope adds `message`. */
export function envelope(data: Json, message?: Json): Json {
  return {
    type: 'object',
    required: message ? ['status', 'message', 'timestamp', 'data'] : ['status', 'timestamp', 'data'],
    additionalProperties: false,
    properties: {
      status: { const: 'success' },
      ...(message ? { message } : {}),
      timestamp: schema('Timestamp'),
      data,
    },
  };
}

/** A JSON body whose schema is a named component. */
export const jsonBodyOf = (name: string): Json => ({
  required: true,
  content: { [JSON_TYPE]: { schema: schema(name) } },
});

/** A path id as `parsePathId` reads it. */
export const idPath = (what: string): Json => ({
  name: 'id',
  in: 'path',
  required: true,
  description: `The ${what} id: a canonical positive integer. Anything else (\`01\`, \`1abc\`, \`abc\`, \`-1\`, numbers beyond 2^53) matches no ${what} and answers 404.`,
  schema: { type: 'string', pattern: '^[1-9][0-9]*$', examples: ['1'] },
});

export const notFoundResponse = (what: string): Json =>
  errorResponse(`No such ${what.toLowerCase()}, or a non-canonical id.`, { not_found: notFound(what) });

/** Answers every body-reading operation can give before its own checks run. */
export const bodyErrors = (
  badRequest: Record<string, HttpError>,
  description = 'Malformed JSON, or a refusal.',
): Json => ({
  '400': errorResponse(description, { malformed_json: malformedJson(), ...badRequest }),
  '413': response('PayloadTooLarge'),
});

export const common = {
  '500': response('InternalError'),
};
export const withDependencies = {
  ...common,
  '503': response('Unavailable'),
};

export const requestId = parameter('X-Request-Id');

/** A paged list (src/api/pagination.ts): a bare array, `limit` and `after_id`, a Link header onwards. */
export const listOperation = (
  tag: string,
  operationId: string,
  summary: string,
  item: string,
  path: string,
  description: string,
): Json => ({
  tags: [tag],
  operationId,
  summary,
  description: `${description} Bare JSON array, ascending \`id\`. Paged by \`limit\` and \`after_id\`; when more remain, a \`Link\` header points at the next page (\`<${path}?limit=2&after_id=7>; rel="next"\`).`,
  parameters: [parameter('limit'), parameter('after_id'), requestId],
  responses: {
    '200': jsonResponse(`A page of ${tag}.`, { type: 'array', items: schema(item) }, { headers: ['Link'] }),
    '422': response('ValidationFailed'),
    ...withDependencies,
  },
});
