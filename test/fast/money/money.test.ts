import { CURRENCY_CODE, minorUnitExponent, minorUnitsPerUnit, toMinorUnits } from '../../../src/shared/money';

describe('minor units of a currency', () => {
  test.each([
    ['usd', 2, 100],
    ['eur', 2, 100],
    ['jpy', 0, 1],
    ['krw', 0, 1],
    ['clp', 0, 1],
    ['bhd', 3, 1000],
    ['kwd', 3, 1000],
    // Stripe takes krónur in hundredths, though ISO 4217 gives them none.
    ['isk', 2, 100],
  ])('%s has %i decimals: %i minor units per unit', (currency, exponent, perUnit) => {
    expect(minorUnitExponent(currency)).toBe(exponent);
    expect(minorUnitsPerUnit(currency)).toBe(perUnit);
  });

  test('an upper-case code reads the same (the table is not case-sensitive)', () => {
    expect(minorUnitExponent('JPY')).toBe(0);
  });

  test('a currency code is three lower-case letters', () => {
    expect(['usd', 'jpy', 'bhd'].every((c) => CURRENCY_CODE.test(c))).toBe(true);
    expect(['USD', 'us', 'usdd', 'u5d', ' usd', ''].some((c) => CURRENCY_CODE.test(c))).toBe(false);
  });
});

describe('toMinorUnits: quantity × price, exactly', () => {
  test('3 × 19.99 usd is 5997 cents', () => {
    expect(toMinorUnits('19.99', 3, 'usd')).toBe(5997n);
  });

  test('3 × 0.29 is 87 cents, where floating point gives 86.99999999999999', () => {
    expect(0.29 * 3 * 100).not.toBe(87);
    expect(toMinorUnits('0.29', 3, 'usd')).toBe(87n);
  });

  test('a zero-decimal currency counts whole units', () => {
    expect(toMinorUnits('1500.00', 2, 'jpy')).toBe(3000n);
    expect(toMinorUnits('1500', 2, 'jpy')).toBe(3000n);
  });

  test('cents on a zero-decimal price round half away from zero, as MariaDB ROUND on a DECIMAL', () => {
    expect(toMinorUnits('0.50', 1, 'jpy')).toBe(1n);
    expect(toMinorUnits('0.49', 1, 'jpy')).toBe(0n);
    expect(toMinorUnits('19.99', 3, 'jpy')).toBe(60n);
  });

  test('a three-decimal currency counts thousandths', () => {
    expect(toMinorUnits('1.25', 3, 'bhd')).toBe(3750n);
  });

  test('large amounts stay exact beyond 2^53', () => {
    expect(toMinorUnits('99999999.99', 2_147_483_647, 'usd')).toBe(21474836467852516353n);
  });

  test('zero quantity or zero price costs nothing', () => {
    expect(toMinorUnits('19.99', 0, 'usd')).toBe(0n);
    expect(toMinorUnits('0.00', 5, 'usd')).toBe(0n);
  });

  test.each([['-1.00'], ['1e3'], ['abc'], [''], ['1.'], ['.5']])('refuses the price %j', (price) => {
    expect(() => toMinorUnits(price, 1, 'usd')).toThrow(RangeError);
  });

  test.each([[-1], [1.5], [Number.MAX_SAFE_INTEGER + 1]])('refuses the quantity %d', (quantity) => {
    expect(() => toMinorUnits('1.00', quantity, 'usd')).toThrow(RangeError);
  });
});
