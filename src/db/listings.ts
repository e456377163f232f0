import { Op, type Model, type ModelStatic, type WhereOptions } from 'sequelize';
import type { Models } from './models';
import { holdView, orderView, productView } from './views';

export interface PageRequest {
  limit: number;
  afterId: number;
}

/** What a list may be narrowed to: one customer's holds or orders, orders owing a refund (or not). */
export interface ListFilter {
  customerId?: string;
  refundDue?: boolean;
}

/** One page in ascending id order, one row more than asked, so the caller learns whether more remain. */
async function pageOf<T>(
  model: ModelStatic<Model>,
  view: (row: Record<string, unknown>) => T,
  page: PageRequest,
  where: WhereOptions = {},
): Promise<T[]> {
  const rows = await model.findAll({
    where: { ...(where as object), id: { [Op.gt]: page.afterId } },
    order: [['id', 'ASC']],
    limit: page.limit + 1,
    raw: true,
  });
  return rows.map((r) => view(r as unknown as Record<string, unknown>));
}

function whereOf(filter: ListFilter): WhereOptions {
  const owed = { refund_due_at: { [Op.ne]: null }, refunded_at: null };
  return {
    ...(filter.customerId === undefined ? {} : { customer_id: filter.customerId }),
    ...(filter.refundDue === undefined ? {} : filter.refundDue ? owed : { [Op.not]: owed }),
  };
}

export const productPage = (models: Models, page: PageRequest) => pageOf(models.Product, productView, page);
export const holdPage = (models: Models, page: PageRequest, filter: ListFilter = {}) =>
  pageOf(models.Hold, holdView, page, whereOf(filter));
export const orderPage = (models: Models, page: PageRequest, filter: ListFilter = {}) =>
  pageOf(models.Order, orderView, page, whereOf(filter));
