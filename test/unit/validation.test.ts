import { ValidationError, summarize } from '../../src/api/errors';
import {
  check,
  ensureValid,
  exists,
  parsePathId,
  rules,
  toInteger,
  toNumber,
  type FieldSpec,
} from '../../src/api/validation';

const holdSpec: Record<string, FieldSpec> = {
  product_id: { required: true, checks: [rules.integer(), rules.min(1)] },
  quantity: { required: true, checks: [rules.integer(), rules.min(1)] },
};

/** The 422 body `ensureValid` would answer, or null when the input passes. */
function answer(body: unknown, spec: Record<string, FieldSpec> = holdSpec) {
  try {
    ensureValid(check(body, spec));
    return null;
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    const v = err as ValidationError;
    return { message: v.message, errors: v.errors };
  }
}

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

describe('rules: Laravel wording, field names with spaces', () => {
  test('integer', () => {
    expect(rules.integer()('x', 'product_id')).toBe('The product id field must be an integer.');
    expect(rules.integer()(3, 'product_id')).toBeNull();
  });
  test('min and max', () => {
    expect(rules.min(1)(0, 'quantity')).toBe('The quantity field must be at least 1.');
    expect(rules.min(1)(1, 'quantity')).toBeNull();
    expect(rules.max(1000)(1001, 'limit')).toBe('The limit field must not be greater than 1000.');
    expect(rules.max(1000)(1000, 'limit')).toBeNull();
  });
  test('string and maxLength (characters, not bytes)', () => {
    expect(rules.string()(12, 'event_id')).toBe('The event id field must be a string.');
    expect(rules.string()('e', 'event_id')).toBeNull();
    expect(rules.maxLength(3)('abcd', 'event_id')).toBe('The event id field must not be greater than 3 characters.');
    expect(rules.maxLength(3)('ééé', 'event_id')).toBeNull();
  });
  test('in', () => {
    const inRule = rules.in(['paid', 'failed']);
    expect(inRule('PAID', 'status')).toBe('The selected status is invalid.');
    expect(inRule(1, 'status')).toBe('The selected status is invalid.');
    expect(inRule(['paid'], 'status')).toBe('The selected status is invalid.');
    expect(inRule('paid', 'status')).toBeNull();
  });
  test('numeric and decimals', () => {
    expect(rules.numeric()('ten', 'price')).toBe('The price field must be a number.');
    expect(rules.numeric()('10.5', 'price')).toBeNull();
    expect(rules.decimals(2)(10.123, 'price')).toBe('The price field must have 0-2 decimal places.');
    expect(rules.decimals(2)(10.12, 'price')).toBeNull();
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
    const spec: Record<string, FieldSpec> = { limit: { checks: [rules.integer(), rules.min(1)] } };
    expect(answer({}, spec)).toBeNull();
    expect(answer({ limit: null }, spec)).toBeNull();
    expect(answer({ limit: 'x' }, spec)?.errors).toEqual({ limit: ['The limit field must be an integer.'] });
  });

  test('errors are listed in the spec’s field order, whatever order they were found in', async () => {
    const checked = check({ product_id: 999, quantity: 'x' }, holdSpec);
    await exists(checked, 'product_id', async () => false);
    let caught: ValidationError | undefined;
    try {
      ensureValid(checked);
    } catch (err) {
      caught = err as ValidationError;
    }
    expect(Object.keys(caught!.errors)).toEqual(['product_id', 'quantity']);
    expect(caught!.message).toBe('The selected product id is invalid. (and 1 more error)');
  });
});

describe('exists', () => {
  test('adds "The selected X is invalid." when the lookup finds nothing, with the integer id', async () => {
    const seen: number[] = [];
    const checked = check({ hold_id: '42' }, { hold_id: { required: true, checks: [rules.integer()] } });
    await exists(checked, 'hold_id', async (id) => {
      seen.push(id);
      return false;
    });
    expect(seen).toEqual([42]);
    expect(checked.errors).toEqual({ hold_id: ['The selected hold id is invalid.'] });
  });

  test('passes when the row exists', async () => {
    const checked = check({ order_id: 7 }, { order_id: { required: true, checks: [rules.integer()] } });
    await exists(checked, 'order_id', async () => true);
    expect(checked.errors).toEqual({});
  });

  test('never looks up a field that already failed or is absent', async () => {
    const lookup = jest.fn(async () => false);
    const bad = check({ order_id: 'x' }, { order_id: { required: true, checks: [rules.integer()] } });
    await exists(bad, 'order_id', lookup);
    const absent = check({}, { order_id: { required: true, checks: [rules.integer()] } });
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
