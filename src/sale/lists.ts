import { holdPage, orderPage, productPage, type ListFilter, type PageRequest } from '../db/listings';
import { findOrder } from '../db/orders';
import type { SaleDeps } from './deps';

/** The list endpoints' reads: pages in ascending id order (one row more than asked), and one order by id. */
export function createLists({ models }: Pick<SaleDeps, 'models'>) {
  return {
    products: (page: PageRequest) => productPage(models, page),
    holds: (page: PageRequest, filter?: ListFilter) => holdPage(models, page, filter),
    orders: (page: PageRequest, filter?: ListFilter) => orderPage(models, page, filter),
    order: (id: number) => findOrder(models, id),
  };
}
