import type { Context } from 'koa';
import type { WhereOptions } from 'sequelize';
import { customerQuery } from './schemas/requests';
import { check, ensureValid } from './validation';

/** `?customer_id=` of a hold or order list (exact match; repeated or too long: 422), as a list filter. */
export function customerListFilter(ctx: Context): { where: WhereOptions; query: string } | undefined {
  const { customer_id: customer } = ensureValid(check(customerQuery, ctx.query));
  return customer === undefined
    ? undefined
    : { where: { customer_id: customer }, query: `customer_id=${encodeURIComponent(customer)}&` };
}
