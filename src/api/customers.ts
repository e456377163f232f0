import type { Context } from 'koa';
import { CUSTOMER_ID_MAX_LENGTH } from '../sale/customers';
import { check, ensureValid, rules } from './validation';

/** `customer_id` in a body: optional, a string of at most 255 characters (an empty one counts as absent). */
export const customerIdField = { checks: [rules.string(), rules.maxLength(CUSTOMER_ID_MAX_LENGTH)] };

/** The validated customer_id of a body, or undefined when none was given. */
export const givenCustomer = (input: Record<string, unknown>) =>
  typeof input.customer_id === 'string' && input.customer_id.trim() !== '' ? input.customer_id : undefined;

/** `?customer_id=` of a hold or order list (exact match; repeated or too long: 422), as a list filter. */
export function customerListFilter(ctx: Context): { customerId?: string; query?: string } {
  const checked = check(ctx.query, { customer_id: customerIdField });
  ensureValid(checked);
  const customer = givenCustomer(checked.input);
  return customer === undefined ? {} : { customerId: customer, query: `customer_id=${encodeURIComponent(customer)}&` };
}
