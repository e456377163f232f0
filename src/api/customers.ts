import type { Context } from 'koa';
import { customerQuery } from './schemas/requests';
import { check, ensureValid } from './validation';

/** `?customer_id=` of a hold or order list (exact match; repeated or too long: 422), as a list filter. */
export function customerListFilter(ctx: Context): { customerId?: string; query?: string } {
  const { customer_id: customer } = ensureValid(check(customerQuery, ctx.query));
  return customer === undefined ? {} : { customerId: customer, query: `customer_id=${encodeURIComponent(customer)}&` };
}
