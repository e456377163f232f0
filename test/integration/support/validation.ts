import type { HttpClient } from '../../../harness/http';
import { expect422, type Errors } from './answers';

/** The values and messages of the request-validation checks (validation-*.test.ts), as the contract states them. */
export const INT_MAX = 2147483647;
export const UNKNOWN_ID = INT_MAX; // a valid integer that names no row

export const required = (f: string) => `The ${f} field is required.`;
export const integer = (f: string) => `The ${f} field must be an integer.`;
export const atLeast1 = (f: string) => `The ${f} field must be at least 1.`;
export const invalid = (f: string) => `The selected ${f} is invalid.`;

/** Values the contract says are not integers, and what Laravel answers for each. */
export const notIntegers: [string, unknown][] = [
  ['5.5', 5.5],
  ['"5.5"', '5.5'],
  ['"abc"', 'abc'],
  ['"1abc"', '1abc'],
  ['"1e1"', '1e1'],
  ['true', true],
  ['false', false],
  ['2^31', INT_MAX + 1],
  ['"2^31"', String(INT_MAX + 1)],
  ['1e20', 1e20],
  ['an array', [1]],
  ['an empty array', []],
  ['an object', { value: 1 }],
];
export const missing: [string, unknown][] = [
  ['absent', undefined],
  ['null', null],
  ['""', ''],
  ['"   "', '   '],
];

/**
 * The refusals of one endpoint: `state()` is read before each test; `refused(body, errors)` posts `body` to `path`,
 * expects the 422 with exactly `errors` and `state()` as it was before (matching `expected`, when given).
 */
export function refusalsOf<T>(http: () => HttpClient, path: string, state: () => Promise<T>, expected?: Partial<T>) {
  let before: T;
  beforeEach(async () => {
    before = await state();
  });
  const refused = async (body: unknown, errors: Errors) => {
    const res = await http().post(path, body);
    expect422(res, errors);
    expect(await state()).toEqual(before);
    if (expected) expect(before).toMatchObject(expected);
    return res;
  };
  return { refused, before: () => before };
}

export const atLeast = (f: string, n: number) => `The ${f} field must be at least ${n}.`;
export const atMost = (f: string, limit: number | string) => `The ${f} field must not be greater than ${limit}.`;
export const mustBe = (f: string, what: string) => `The ${f} field must be ${what}.`;
