/**
 * The `code` of every documented error answer: each example is an error the service raises (src/api/errors.ts) and
 * carries that error's code, so the document cannot promise a code the service does not send. Each error response's
 * schema is narrowed to the codes its examples carry.
 */
import { ERROR_CODES, statusCode, type ErrorCode } from '../error-codes';
import { JSON_TYPE, schema, type Json } from './build';

const ERROR_SCHEMAS = new Set(['#/components/schemas/Error', '#/components/schemas/ValidationErrors']);
const RESPONSES = '#/components/responses/';

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Narrows an error response's schema to the codes of its examples. */
function codeResponse(res: Json, status: number): void {
  const media = (res.content as Json | undefined)?.[JSON_TYPE] as Json | undefined;
  const ref = (media?.schema as Json | undefined)?.$ref;
  if (!media || typeof ref !== 'string' || !ERROR_SCHEMAS.has(ref)) return;
  const codes = new Set<ErrorCode>();
  for (const example of Object.values((media.examples as Json | undefined) ?? {})) {
    const value = (example as Json).value as Json | undefined;
    if (value && typeof value.code === 'string') codes.add(value.code as ErrorCode);
  }
  if (codes.size === 0) codes.add(statusCode(status));
  media.schema = { allOf: [schema(ref.split('/').pop()!), { properties: { code: { enum: [...codes] } } }] };
  res.description = `${res.description as string} Code: ${[...codes].map((c) => `\`${c}\``).join(', ')}.`;
}

/** Narrows every error answer in `doc` to its codes, in place (operations first: they tell shared answers' status). */
export function withErrorCodes<T>(doc: T): T {
  const d = doc as Json;
  const sharedStatus = new Map<string, number>();
  for (const item of Object.values(d.paths as Json)) {
    for (const op of Object.values(item as Json)) {
      if (!isObject(op) || !isObject(op.responses)) continue;
      for (const [status, res] of Object.entries(op.responses)) {
        if (!/^[45]\d\d$/.test(status) || !isObject(res)) continue;
        if (typeof res.$ref === 'string' && res.$ref.startsWith(RESPONSES)) {
          sharedStatus.set(res.$ref.slice(RESPONSES.length), Number(status));
        } else {
          codeResponse(res, Number(status));
        }
      }
    }
  }
  const shared = (d.components as Json).responses as Json;
  for (const [name, status] of sharedStatus) codeResponse(shared[name] as Json, status);
  return doc;
}

/** The `code` property of the error bodies: every value the service may send. */
export const codeProperty = {
  type: 'string',
  enum: [...ERROR_CODES],
  description:
    'A stable, machine-readable reason (the message is for people). Each answer below lists the codes it can carry.',
};
