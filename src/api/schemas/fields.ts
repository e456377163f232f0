/**
 * The kinds of request field, as zod 4 schemas that speak Laravel's English (the contract's wording): each kind says
 * what it must be, and `boundsMessage` words the limits every kind shares. A field's limits are written once, here or
 * in ./requests.ts: the validator enforces them and the OpenAPI document prints them (z.toJSONSchema).
 */
import { z } from 'zod';

/** Integer fields are 32-bit signed (the columns' range). */
export const INT32_MAX = 2 ** 31 - 1;
const INT32_MIN = -(2 ** 31);

type Issue = z.core.$ZodRawIssue;

/** Laravel's attribute name: the snake_case field name read with spaces. */
export const label = (field: PropertyKey) => String(field).replace(/_/g, ' ');
const fieldOf = (iss: Issue) => label(iss.path?.[iss.path.length - 1] ?? 'value');

export const requiredMessage = (field: string) => `The ${label(field)} field is required.`;
/** A value that names no allowed choice or no existing row. */
export const selectedInvalid = (field: string) => `The selected ${label(field)} is invalid.`;

/** "is required" when the field is absent, otherwise what a value of this kind must be (bounds: boundsMessage). */
const mustBe =
  (what: string) =>
  (iss: Issue): string | undefined => {
    if (iss.code !== 'invalid_type') return undefined;
    return iss.input === undefined
      ? `The ${fieldOf(iss)} field is required.`
      : `The ${fieldOf(iss)} field must be ${what}.`;
  };

/** The words of the bounds of any kind; passed to every parse, a field's own words come first. */
export function boundsMessage(iss: Issue): string | undefined {
  const field = fieldOf(iss);
  if (iss.code === 'too_small') return `The ${field} field must be at least ${iss.minimum}.`;
  if (iss.code === 'custom' && iss.params?.decimals !== undefined) {
    return `The ${field} field must have 0-${iss.params.decimals} decimal places.`;
  }
  if (iss.code === 'too_big') {
    const unit = iss.origin === 'string' ? ' characters' : '';
    return `The ${field} field must not be greater than ${iss.maximum}${unit}.`;
  }
  return undefined;
}

/** A JSON integer, or a string of one, within 32-bit range; anything else is null. */
export function toInteger(v: unknown): number | null {
  if (typeof v === 'number') return Number.isInteger(v) && v <= INT32_MAX && v >= INT32_MIN ? v : null;
  if (typeof v === 'string' && /^\s*[-+]?\d+\s*$/.test(v)) {
    const n = Number(v.trim());
    return n <= INT32_MAX && n >= INT32_MIN ? n : null;
  }
  return null;
}

/** A finite JSON number, or a string of one; anything else is null. */
export function toNumber(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' && /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(v)) {
    const n = Number(v.trim());
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

/** Absent stays absent (required or optional is the object's business); a value that is not one becomes NaN. */
const reading = (read: (v: unknown) => number | null) => (v: unknown) => (v === undefined ? v : (read(v) ?? NaN));

const INTEGER_TEXT =
  'A JSON integer; a string holding one (`"5"`) is accepted as that integer. Decimals (`5.5`), other strings, booleans and values beyond the bounds answer 422.';

/**
 * An integer as Laravel's `integer` rule reads it: `5` and `"5"` are 5; `5.5`, `"abc"`, `true` and anything past
 * 2^31-1 are not integers. Bounds are checked in order, the first failing one is the field's message.
 */
export function integer({ min, max = INT32_MAX, description }: { min: number; max?: number; description?: string }) {
  const value = z
    .int({ error: mustBe('an integer') })
    .min(min, { abort: true })
    .max(max);
  return z.preprocess(reading(toInteger), value).meta({ description: joined(description, INTEGER_TEXT) });
}

/** Decimal places as written: `0.30000000000000004` and `"1.500"` have more than two, whatever they round to. */
const decimalPlaces = (v: unknown) => (String(v).trim().split('.')[1] ?? '').length;

/** A number as Laravel's `numeric` rule reads it (a numeric string counts), with at most two decimals as written. */
export function money({ max, description }: { max: number; description?: string }) {
  const decimals = (iss: Issue) => `The ${fieldOf(iss)} field must have 0-2 decimal places.`;
  const value = z
    .number({ error: mustBe('a number') })
    .min(0, { abort: true })
    .max(max, { abort: true })
    // States the rule in the JSON Schema; the decimals as written are checked on the way in, below.
    .multipleOf(0.01, { error: decimals });
  // Bounds first, as Laravel lists the rules: only a number within them is told about its decimals.
  const reader = (v: unknown, ctx: { issues: z.core.$ZodRawIssue[] }) => {
    const n = reading(toNumber)(v);
    if (typeof n === 'number' && n >= 0 && n <= max && decimalPlaces(v) > 2) {
      ctx.issues.push({ code: 'custom', input: v, params: { decimals: 2 } });
    }
    return n;
  };
  return z.preprocess(reader, value).meta({ description });
}

/** A string of 1 to `max` characters (Unicode code points, as Laravel's `max` counts them). */
export function text({ max, description, examples }: { max: number; description?: string; examples?: string[] }) {
  return z
    .string({ error: mustBe('a string') })
    .refine((s) => [...s].length <= max, {
      error: (iss) => `The ${fieldOf(iss)} field must not be greater than ${max} characters.`,
    })
    .meta({ minLength: 1, maxLength: max, description, examples });
}

/** One of a fixed list of strings (Laravel's `in`). */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T, description?: string) {
  return z
    .enum(values, {
      error: (iss) => (iss.input === undefined ? `The ${fieldOf(iss)} field is required.` : selectedInvalidOf(iss)),
    })
    .meta({ description });
}
const selectedInvalidOf = (iss: Issue) => `The selected ${fieldOf(iss)} is invalid.`;

const joined = (...parts: (string | undefined)[]) => parts.filter(Boolean).join(' ');
