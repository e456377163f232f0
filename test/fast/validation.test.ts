import { z } from 'zod';
import { ValidationError, summarize } from '../../src/api/errors';
import { integer, money, oneOf, text, toInteger, toNumber } from '../../src/api/schemas/fields';
import { createHoldRequest } from '../../src/api/schemas/requests';
import { check, ensureValid, exists, parsePathId } from '../../src/api/validation';

/** The request rules (src/api/schemas) as the service words their 422s, run without any service. */
const holdSpec = createHoldRequest();
const one = (field: string, schema: z.ZodType) => z.looseObject({ [field]: schema });

/** The 422 body `ensureValid` would answer for these checks, or null when they pass. */
function failureOf(checked: ReturnType<typeof check>) {
  try {
    ensureValid(checked);
    return null;
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    const v = err as ValidationError;
    return { message: v.message, errors: v.errors };
  }
}
const answer = (body: unknown, spec: z.ZodObject = holdSpec) => failureOf(check(spec, body));

describe('toInteger', () => {
  test.each([
    [5, 5],
    [0, 0],
    [-3, -3],
    ['5', 5],
    [' 7 ', 7],
    ['-2', -2],
    [2147483647, 2147483647],
    ['2147483647', 2147483647],
    [-2147483648, -2147483648],
    [5.0, 5],
  ])('%j → %j', (input, expected) => expect(toInteger(input)).toBe(expected));

  test.each([
    [5.5],
    ['5.5'],
    ['abc'],
    ['1abc'],
    ['1e3'],
    ['0x10'],
    [''],
    [true],
    [false],
    [null],
    [undefined],
    [[5]],
    [{ v: 5 }],
    [2147483648],
    ['2147483648'],
    [-2147483649],
    [Number.NaN],
    [Number.POSITIVE_INFINITY],
    ['99999999999999999999'],
  ])('%j is not an integer', (input) => expect(toInteger(input)).toBeNull());
});

describe('toNumber', () => {
  test.each([
    [10.5, 10.5],
    ['10.50', 10.5],
    ['.5', 0.5],
    ['7', 7],
    ['1e2', 100],
    [-1, -1],
  ])('%j → %j', (input, expected) => expect(toNumber(input)).toBe(expected));

  test.each([['abc'], [''], [true], [null], [[1]], [{}], [Number.NaN], [Number.POSITIVE_INFINITY], ['1,5']])(
    '%j is not a number',
    (input) => expect(toNumber(input)).toBeNull(),
  );
});

/** The one message of `field` for `value`, or null when it passes. */
function messageOf(field: string, schema: z.ZodType, value: unknown): string | null {
  return answer({ [field]: value }, one(field, schema))?.errors[field]?.[0] ?? null;
}

describe('field kinds: Laravel wording, field names with spaces', () => {
  test('integer', () => {
    expect(messageOf('product_id', integer({ min: 1 }), 'x')).toBe('The product id field must be an integer.');
    expect(messageOf('product_id', integer({ min: 1 }), 3)).toBeNull();
    expect(messageOf('product_id', integer({ min: 1 }), undefined)).toBe('The product id field is required.');
  });
  test('min and max', () => {
    expect(messageOf('quantity', integer({ min: 1 }), 0)).toBe('The quantity field must be at least 1.');
    expect(messageOf('quantity', integer({ min: 1 }), 1)).toBeNull();
    expect(messageOf('limit', integer({ min: 1, max: 1000 }), 1001)).toBe(
      'The limit field must not be greater than 1000.',
    );
    expect(messageOf('limit', integer({ min: 1, max: 1000 }), '1000')).toBeNull();
  });
  test('string and its length (characters, not bytes)', () => {
    expect(messageOf('event_id', text({ max: 3 }), 12)).toBe('The event id field must be a string.');
    expect(messageOf('event_id', text({ max: 3 }), 'e')).toBeNull();
    expect(messageOf('event_id', text({ max: 3 }), 'abcd')).toBe(
      'The event id field must not be greater than 3 characters.',
    );
    expect(messageOf('event_id', text({ max: 3 }), 'ééé')).toBeNull();
    expect(messageOf('event_id', text({ max: 3 }), '😀😀😀')).toBeNull();
  });
  test('one of a list', () => {
    const status = oneOf(['paid', 'failed']);
    expect(messageOf('status', status, 'PAID')).toBe('The selected status is invalid.');
    expect(messageOf('status', status, 1)).toBe('The selected status is invalid.');
    expect(messageOf('status', status, ['paid'])).toBe('The selected status is invalid.');
    expect(messageOf('status', status, undefined)).toBe('The status field is required.');
    expect(messageOf('status', status, 'paid')).toBeNull();
  });
  test('money: a number, within bounds, two decimals', () => {
    const price = money({ max: 100 });
    expect(messageOf('price', price, 'ten')).toBe('The price field must be a number.');
    expect(messageOf('price', price, '10.5')).toBeNull();
    expect(messageOf('price', price, 10.123)).toBe('The price field must have 0-2 decimal places.');
    expect(messageOf('price', price, 10.12)).toBeNull();
    expect(messageOf('price', price, 0.29)).toBeNull();
    expect(messageOf('price', price, -1)).toBe('The price field must be at least 0.');
    expect(messageOf('price', price, 100.01)).toBe('The price field must not be greater than 100.');
    // Decimals as written, not as they round: a float artefact or a padded string is refused, not rounded.
    expect(messageOf('price', price, 0.1 + 0.2)).toBe('The price field must have 0-2 decimal places.');
    expect(messageOf('price', price, '1.500')).toBe('The price field must have 0-2 decimal places.');
    expect(messageOf('price', price, '1.50')).toBeNull();
    // Bounds come before decimals, as Laravel lists the rules.
    expect(messageOf('price', price, -0.001)).toBe('The price field must be at least 0.');
  });
});

describe('check and ensureValid', () => {
  test('valid input passes, numeric strings included, extra fields ignored', () => {
    expect(answer({ product_id: 1, quantity: 2 })).toBeNull();
    expect(answer({ product_id: '1', quantity: '5', extra: 'ignored', nested: { a: 1 } })).toBeNull();
  });

  test('missing, null and empty fields are required', () => {
    for (const body of [{}, { product_id: null, quantity: null }, { product_id: '', quantity: '  ' }]) {
      expect(answer(body)).toEqual({
        message: 'The product id field is required. (and 1 more error)',
        errors: {
          product_id: ['The product id field is required.'],
          quantity: ['The quantity field is required.'],
        },
      });
    }
  });

  test.each([[5.5], ['abc'], [true], [2147483648], [[1]], [{ n: 1 }]])('quantity %j must be an integer', (quantity) => {
    expect(answer({ product_id: 1, quantity })).toEqual({
      message: 'The quantity field must be an integer.',
      errors: { quantity: ['The quantity field must be an integer.'] },
    });
  });

  test('the first failing rule ends a field’s checks: one message per field', () => {
    expect(answer({ product_id: 1, quantity: 0 })?.errors).toEqual({
      quantity: ['The quantity field must be at least 1.'],
    });
    expect(answer({ product_id: 1, quantity: -0.5 })?.errors).toEqual({
      quantity: ['The quantity field must be an integer.'],
    });
  });

  test('a body that is not an object has every required field missing', () => {
    for (const body of [null, [], [{ product_id: 1, quantity: 1 }], 'text', 42, true]) {
      expect(Object.keys(answer(body)!.errors)).toEqual(['product_id', 'quantity']);
    }
  });

  test('optional fields are checked only when present', () => {
    const spec = one('limit', integer({ min: 1 }).optional());
    expect(answer({}, spec)).toBeNull();
    expect(answer({ limit: null }, spec)).toBeNull();
    expect(answer({ limit: 'x' }, spec)?.errors).toEqual({ limit: ['The limit field must be an integer.'] });
  });

  test('errors are listed in the spec’s field order, whatever order they were found in', async () => {
    const checked = check(holdSpec, { product_id: 999, quantity: 'x' });
    await exists(checked, 'product_id', async () => false);
    const caught = failureOf(checked);
    expect(Object.keys(caught!.errors)).toEqual(['product_id', 'quantity']);
    expect(caught!.message).toBe('The selected product id is invalid. (and 1 more error)');
  });
});

describe('exists', () => {
  test('adds "The selected X is invalid." when the lookup finds nothing, with the integer id', async () => {
    const seen: number[] = [];
    const checked = check(one('hold_id', integer({ min: 1 })), { hold_id: '42' });
    await exists(checked, 'hold_id', async (id) => {
      seen.push(id);
      return false;
    });
    expect(seen).toEqual([42]);
    expect(checked.errors).toEqual({ hold_id: ['The selected hold id is invalid.'] });
  });

  test('passes when the row exists', async () => {
    const checked = check(one('order_id', integer({ min: 1 })), { order_id: 7 });
    await exists(checked, 'order_id', async () => true);
    expect(checked.errors).toEqual({});
  });

  test('never looks up a field that already failed or is absent', async () => {
    const lookup = jest.fn(async () => false);
    const orderId = one('order_id', integer({ min: 1 }));
    const bad = check(orderId, { order_id: 'x' });
    await exists(bad, 'order_id', lookup);
    const absent = check(orderId, {});
    await exists(absent, 'order_id', lookup);
    expect(lookup).not.toHaveBeenCalled();
    expect(bad.errors.order_id).toEqual(['The order id field must be an integer.']);
    expect(absent.errors.order_id).toEqual(['The order id field is required.']);
  });
});

describe('summarize', () => {
  test('one error is the message itself', () => {
    expect(summarize({ a: ['First.'] })).toBe('First.');
  });
  test('one more error, singular', () => {
    expect(summarize({ a: ['First.'], b: ['Second.'] })).toBe('First. (and 1 more error)');
  });
  test('more errors, plural, counting every message of every field', () => {
    expect(summarize({ a: ['First.', 'Second.'], b: ['Third.'] })).toBe('First. (and 2 more errors)');
  });
  test('no errors', () => {
    expect(summarize({})).toBe('The given data was invalid.');
  });
});

describe('parsePathId', () => {
  test.each([
    ['1', 1],
    ['42', 42],
    ['2147483647', 2147483647],
    ['9007199254740991', 9007199254740991],
  ])('%j is the id %j', (raw, id) => expect(parsePathId(raw)).toBe(id));

  test.each([
    ['01'],
    ['1abc'],
    ['abc'],
    ['-1'],
    ['0'],
    ['+1'],
    [' 1'],
    ['1.0'],
    ['1e3'],
    [''],
    [undefined],
    ['99999999999999999999'],
    ['9007199254740993'],
  ])('%j is not an id', (raw) => expect(parsePathId(raw)).toBeNull());
});
