import { closeRefund as closeRefundRow } from '../db/late-payments';
import { findOrder } from '../db/orders';
import { createProduct, findAdminProduct, setPurchaseLimit, type NewProduct } from '../db/products';
import { changeStock } from '../db/shards';
import type { Logger } from '../logger';
import type { AdminProductView, OrderView } from '../shared/views';
import type { SaleDeps } from './deps';

export { MAX_STOCK_SHARDS } from '../db/shards';

export type RestockOutcome =
  | { kind: 'restocked'; product: AdminProductView }
  | { kind: 'not-found' }
  /** The restock would take total_stock past its maximum: `room` units still fit. */
  | { kind: 'over-max'; room: number };

export type RefundOutcome = { kind: 'closed'; order: OrderView } | { kind: 'not-found' } | { kind: 'no-refund-due' };

/** The operator's side of the sale: products, their stock and purchase limits, refunds owed for late payments. */
export function createCatalogueDesk({ db, models, cache, holds }: Pick<SaleDeps, 'db' | 'models' | 'cache' | 'holds'>) {
  return {
    create: (fields: NewProduct) => createProduct(models, fields),

    async restock(id: number, quantity: number, maxTotal: number): Promise<RestockOutcome> {
      // A sharded product's restock is spread over its shards.
      const outcome = await changeStock(db, id, { add: quantity, maxTotal });
      if (outcome === 'not_found') return { kind: 'not-found' };
      if (outcome === 'over_max') {
        const current = await findAdminProduct(models, id);
        return { kind: 'over-max', room: Math.max(0, maxTotal - current!.total_stock) };
      }
      await cache.invalidate([id]);
      return { kind: 'restocked', product: (await findAdminProduct(models, id))! };
    },

    /** The purchase limit, checked by every later reservation (holds already made stay); null lifts it. */
    async setPurchaseLimit(id: number, max: number | null): Promise<AdminProductView | null> {
      await setPurchaseLimit(models, id, max);
      // Read back once: it answers, and tells a missing product (nothing updated) from an unchanged one.
      return findAdminProduct(models, id);
    },

    /** Spreads the stock over `shards` rows that holds lock independently; null: no such product. */
    async reshard(id: number, shards: number): Promise<AdminProductView | null> {
      if ((await changeStock(db, id, { shards })) === 'not_found') return null;
      await cache.invalidate([id]);
      return findAdminProduct(models, id);
    },

    /** Marks a late payment's refund as made, then tells the order's workflow (which then ends). */
    async closeRefund(orderId: number, log: Logger): Promise<RefundOutcome> {
      if (!(await findOrder(models, orderId))) return { kind: 'not-found' };
      if (!(await closeRefundRow(db, orderId))) return { kind: 'no-refund-due' };
      // The database says so already: a workflow that cannot be told only keeps showing refund_due.
      await holds
        .closeRefund(orderId)
        .catch((err: Error) => log.warn({ order_id: orderId, err: err.message }, 'order workflow not told'));
      return { kind: 'closed', order: (await findOrder(models, orderId))! };
    },
  };
}
