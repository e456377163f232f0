import { ValidationError, type FieldErrors } from './errors';

/** Integer fields are 32-bit signed (the columns' range). */
export const INT32_MAX = 2 ** 31 - 1;
const INT32_MIN = -(2 ** 31);

/** Laravel's attribute name: snake_case field names read with spaces. */
const label = (field: string) => field.replace(/_/g, ' ');

export type Check = (value: unknown, field: string) => string | null;

/** A value that names no allowed choice or no existing row. */
export const selectedInvalid = (field: string) => `The selected ${label(field)} is invalid.`;

/** Each rule answers an error message, or null; the first failing rule ends a field's checks. */
export const rules = {
  integer: (): Check => (v, f) => (toInteger(v) === null ? `The ${label(f)} field must be an integer.` : null),
  min:
    (n: number): Check =>
    (v, f) =>
      Number(v) < n ? `The ${label(f)} field must be at least ${n}.` : null,
  max:
    (n: number): Check =>
    (v, f) =>
      Number(v) > n ? `The ${label(f)} field must not be greater than ${n}.` : null,
  string: (): Check => (v, f) => (typeof v !== 'string' ? `The ${label(f)} field must be a string.` : null),
  maxLength:
    (n: number): Check =>
    (v, f) =>
      [...String(v)].length > n ? `The ${label(f)} field must not be greater than ${n} characters.` : null,
  in:
    (allowed: string[]): Check =>
    (v, f) =>
      typeof v !== 'string' || !allowed.includes(v) ? selectedInvalid(f) : null,
  numeric: (): Check => (v, f) => (toNumber(v) === null ? `The ${label(f)} field must be a number.` : null),
  decimals:
    (max: number): Check =>
    (v, f) => {
      const frac = String(v).split('.')[1] ?? '';
      return frac.length > max ? `The ${label(f)} field must have 0-${max} decimal places.` : null;
    },
};

/** A JSON integer, or a string of one, within 32-bit range; anything else is null. */
export function toInteger(v: unknown): number | null {
  if (typeof v === 'number') return Number.isInteger(v) && v <= INT32_MAX && v >= INT32_MIN ? v : null;
  if (typeof v === 'string' && /^\s*[-+]?\d+\s*$/.test(v)) {
    const n = Number(v.trim());
    return n <= INT32_MAX && n >= INT32_MIN ? n : null;
  }
  return null;
}

export function toNumber(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' && /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(v)) {
    const n = Number(v.trim());
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

export interface FieldSpec {
  required?: boolean;
  checks: Check[];
}

const isMissing = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

export interface Checked {
  input: Record<string, unknown>;
  errors: FieldErrors;
  fields: string[];
}

/**
 * Checks a parsed body against field specs, collecting one message per failing field (absent optional
 * fields are skipped). Pass the result to `exists` checks, then to `ensureValid`.
 */
export function check(body: unknown, spec: Record<string, FieldSpec>): Checked {
  const input =
    body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  const errors: FieldErrors = {};
  for (const [field, { required, checks }] of Object.entries(spec)) {
    const value = input[field];
    if (isMissing(value)) {
      if (required) errors[field] = [`The ${label(field)} field is required.`];
      continue;
    }
    for (const check of checks) {
      const message = check(value, field);
      if (message) {
        errors[field] = [message];
        break;
      }
    }
  }
  return { input, errors, fields: Object.keys(spec) };
}

/** Adds "The selected X is invalid." when a field that passed its checks names no existing row. */
export async function exists(checked: Checked, field: string, lookup: (id: number) => Promise<boolean>) {
  if (checked.errors[field] || checked.input[field] === undefined) return;
  if (!(await lookup(toInteger(checked.input[field])!))) {
    checked.errors[field] = [selectedInvalid(field)];
  }
}

export function ensureValid({ errors, fields }: Checked): void {
  if (Object.keys(errors).length === 0) return;
  const ordered: FieldErrors = {};
  for (const f of [...fields, ...Object.keys(errors)]) if (errors[f] && !ordered[f]) ordered[f] = errors[f];
  throw new ValidationError(ordered);
}

/** Canonical positive integer path ids only: "01", "1abc", "-1" and overlong numbers are not ids. */
export function parsePathId(raw: string | undefined): number | null {
  if (!raw || !/^[1-9]\d{0,15}$/.test(raw)) return null;
  const n = Number(raw);
  return Number.isSafeInteger(n) ? n : null;
}
