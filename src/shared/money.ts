/**
 * Money in minor units: an order's `amount` is an integer count of its currency's smallest unit (cents for usd, yen
 * for jpy, fils for bhd), the form a payment provider's API takes, so no decimal fraction ever travels as a float.
 */

/** The currency when CURRENCY is not set. */
export const DEFAULT_CURRENCY = 'usd';

/** A lower-case ISO 4217 code, as CURRENCY is written and as orders carry it. */
export const CURRENCY_CODE = /^[a-z]{3}$/;

/**
 * Currencies without a minor unit in payment APIs. Stripe's list (docs.stripe.com/currencies#zero-decimal) rather
 * than ISO 4217's alone, because an order's amount is what the shop hands to its provider: the two differ on mga
 * (ISO: 2) and isk (ISO: 0, which Stripe takes in hundredths), and Stripe's reading is the one a charge needs.
 */
const ZERO_DECIMAL = new Set([
  'bif',
  'clp',
  'djf',
  'gnf',
  'jpy',
  'kmf',
  'krw',
  'mga',
  'pyg',
  'rwf',
  'ugx',
  'vnd',
  'vuv',
  'xaf',
  'xof',
  'xpf',
]);

/** Currencies with thousandths (ISO 4217 and Stripe agree). */
const THREE_DECIMAL = new Set(['bhd', 'jod', 'kwd', 'omr', 'tnd']);

/** Digits after the decimal point of a currency's minor unit: 0, 2 (most currencies) or 3. */
export function minorUnitExponent(currency: string): 0 | 2 | 3 {
  const code = currency.toLowerCase();
  if (ZERO_DECIMAL.has(code)) return 0;
  if (THREE_DECIMAL.has(code)) return 3;
  return 2;
}

/** Minor units in one whole unit of the currency: 1, 100 or 1000 (an exact integer, never a fraction). */
export const minorUnitsPerUnit = (currency: string): 1 | 100 | 1000 =>
  (({ 0: 1, 2: 100, 3: 1000 }) as const)[minorUnitExponent(currency)];

const DECIMAL_TEXT = /^(\d+)(?:\.(\d+))?$/;

/**
 * `quantity × price` in minor units, exactly: the price is read as decimal text (MariaDB's DECIMAL as mysql2 returns
 * it, `"19.99"`), scaled with integer arithmetic and rounded half away from zero, as MariaDB's ROUND does on a
 * DECIMAL (only a zero-decimal currency priced with cents needs rounding). The order's stored amount is computed by
 * the same rule in SQL (src/db/order-amounts.ts); this is that rule for code that has a price in hand.
 */
export function toMinorUnits(price: string, quantity: number, currency: string): bigint {
  const parts = DECIMAL_TEXT.exec(price.trim());
  if (!parts) throw new RangeError(`not a non-negative decimal: "${price}"`);
  if (!Number.isSafeInteger(quantity) || quantity < 0) throw new RangeError(`not a whole quantity: ${quantity}`);
  const fraction = parts[2] ?? '';
  // price = digits / 10^scale, so quantity × price × perUnit = digits × quantity × perUnit / 10^scale.
  const scaled = BigInt(parts[1] + fraction) * BigInt(quantity) * BigInt(minorUnitsPerUnit(currency));
  const divisor = 10n ** BigInt(fraction.length);
  const whole = scaled / divisor;
  return (scaled % divisor) * 2n >= divisor ? whole + 1n : whole;
}
