import { minorUnitsPerUnit } from '../shared/money';

/**
 * An order's amount in minor units, computed by MariaDB from its hold (`h`) and product (`p`) in DECIMAL arithmetic:
 * `quantity × price × minor units per unit`, exact for every price with two decimals, rounded half away from zero
 * only when a zero-decimal currency's price carries cents. Computed once, when the order is created (and by the
 * migration for older orders), so a later price change or restock never changes what an order costs.
 */
export const ORDER_AMOUNT_SQL = 'ROUND(h.quantity * p.price * :minorUnitsPerUnit)';

/** The replacements ORDER_AMOUNT_SQL and the order's `currency` column take. */
export const orderAmountReplacements = (currency: string) => ({
  currency,
  minorUnitsPerUnit: minorUnitsPerUnit(currency),
});
