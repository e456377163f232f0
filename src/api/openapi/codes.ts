/**
 * The `code` of every documented error answer, filled in from the same table the error mapping uses
 * (src/api/error-codes.ts), so the document cannot promise a code the service does not send. Each error response's
 * schema is narrowed to the codes its examples can carry, and each example shows its code.
 */
import { ERROR_CODES, errorCodeFor, type ErrorCode } from '../error-codes';
import { JSON_TYPE, schema, type Json } from './build';

const ERROR_SCHEMAS = new Set(['#/components/schemas/Error', '#/components/schemas/ValidationErrors']);
const RESPONSES = '#/components/responses/';

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Adds the code to an error response's examples and narrows its schema to those codes. */
function codeResponse(res: Json, status: number): void {
  const media = (res.content as Json | undefined)?.[JSON_TYPE] as Json | undefined;
  const ref = (media?.schema as Json | undefined)?.$ref;
  if (!media || typeof ref !== 'string' || !ERROR_SCHEMAS.has(ref)) return;
  const codes = new Set<ErrorCode>();
  for (const example of Object.values((media.examples as Json | undefined) ?? {})) {
    const value = (example as Json).value as Json | undefined;
    if (!value || typeof value.message !== 'string') continue;
    const code = errorCodeFor(status, value.message);
    codes.add(code);
    const { message, ...rest } = value;
    (example as Json).value =
      'status' in rest ? { status: rest.status, message, code, ...rest } : { message, code, ...rest };
  }
  if (codes.size === 0) codes.add(errorCodeFor(status, ''));
  media.schema = { allOf: [schema(ref.split('/').pop()!), { properties: { code: { enum: [...codes] } } }] };
  res.description = `${res.description as string} Code: ${[...codes].map((c) => `\`${c}\``).join(', ')}.`;
}

/** Fills in the codes of every error answer in `doc`, in place (operations first: they tell shared answers' status). */
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
