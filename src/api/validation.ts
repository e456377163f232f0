/**
 * Runs a request schema (src/api/schemas/requests.ts) the way Laravel validates: one message per failing field (its
 * first failing rule), absent and blank values alike count as missing, and "The selected X is invalid." for an id
 * that names no row, checked against the database only once the field's shape is right. Errors come out in the
 * schema's field order as a 422 (ValidationError).
 */
import type { z } from 'zod';
import { ValidationError, type FieldErrors } from './errors';
import { boundsMessage, selectedInvalid } from './schemas/fields';
import { parseId } from '../shared/ids';

export { INT32_MAX, selectedInvalid, toInteger } from './schemas/fields';

type Schema = z.ZodObject;

export interface Checked<S extends Schema> {
  schema: S;
  /** The fields given, blank ones left out. */
  input: Record<string, unknown>;
  data: z.output<S> | undefined;
  errors: FieldErrors;
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isBlank = (v: unknown) => v === null || (typeof v === 'string' && v.trim() === '');

/** Checks a parsed body or query against a schema (a body that is not an object is read as `{}`). */
export function check<S extends Schema>(schema: S, body: unknown): Checked<S> {
  const input = Object.fromEntries(Object.entries(isRecord(body) ? body : {}).filter(([, v]) => !isBlank(v)));
  const result = schema.safeParse(input, { error: boundsMessage });
  const errors: FieldErrors = {};
  for (const issue of result.error?.issues ?? []) {
    const field = String(issue.path[0] ?? '_');
    errors[field] ??= [issue.message];
  }
  return { schema, input, data: result.data, errors };
}

/** Adds "The selected X is invalid." when an id field that passed its checks names no existing row. */
export async function exists<S extends Schema>(
  checked: Checked<S>,
  field: keyof z.output<S> & string,
  lookup: (id: number) => Promise<boolean>,
): Promise<void> {
  if (checked.errors[field] || checked.input[field] === undefined) return;
  const id = (checked.schema.shape[field] as z.ZodType).safeParse(checked.input[field]).data as number;
  if (!(await lookup(id))) checked.errors[field] = [selectedInvalid(field)];
}

/** The checked values, or a 422 with every field's message in the schema's order. */
export function ensureValid<S extends Schema>({ schema, errors, data }: Checked<S>): z.output<S> {
  if (Object.keys(errors).length === 0) return data!;
  const ordered: FieldErrors = {};
  for (const f of [...Object.keys(schema.shape), ...Object.keys(errors)])
    if (errors[f] && !ordered[f]) ordered[f] = errors[f];
  throw new ValidationError(ordered);
}

/** Canonical positive integer path ids only (shared/ids.ts: the same rule as a Stripe event's order id). */
export const parsePathId = (raw: string | undefined): number | null => parseId(raw);
