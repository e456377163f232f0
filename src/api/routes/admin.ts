import Router from '@koa/router';
import type { Middleware } from 'koa';
import { Op } from 'sequelize';
import { closeRefund } from '../../db/late-payments';
import { adminProductView as productView, orderView } from '../../db/views';
import { changeStock } from '../../db/shards';
import type { ApiDeps, ApiState } from '../context';
import { HttpError, ValidationError, notFound, unauthorized } from '../errors';
import { jsonBody } from '../middleware';
import { listPage } from '../pagination';
import { success } from '../respond';
import { secretsEqual } from '../signature';
import {
  STOCK_MAX,
  createProductRequest,
  productLimitRequest,
  refundDueQuery,
  restockRequest,
  stockShardsRequest,
} from '../schemas/requests';
import { check, ensureValid, parsePathId } from '../validation';

export const ADMIN_MESSAGES = {
  disabled: 'Admin API disabled',
  unauthorized: 'Unauthorized',
  noRefundDue: 'Order has no refund due',
} as const;

/** The admin API's own refusals, each with its code. */
export const adminRefusal = {
  disabled: () => new HttpError(403, 'forbidden', ADMIN_MESSAGES.disabled),
  noRefundDue: () => new HttpError(400, 'validation_failed', ADMIN_MESSAGES.noRefundDue),
};

export function adminRoutes({ db, models, cache, holds, adminToken }: ApiDeps) {
  const router = new Router<ApiState>();

  const requireAdmin: Middleware<ApiState> = async (ctx, next) => {
    if (!adminToken) throw adminRefusal.disabled();
    const match = /^Bearer\s+(.+)$/i.exec(ctx.get('Authorization'));
    if (!match || !secretsEqual(match[1].trim(), adminToken)) throw unauthorized();
    await next();
  };

  router.post('/api/admin/products', requireAdmin, jsonBody(), async (ctx) => {
    const input = ensureValid(check(createProductRequest, ctx.state.body));
    const product = await models.Product.create({
      name: input.name.trim(),
      total_stock: input.total_stock,
      available_stock: input.available_stock ?? input.total_stock,
      price: input.price.toFixed(2),
      max_per_customer: input.max_per_customer ?? null,
    });
    ctx.state.log.info({ product_id: product.id }, 'product created');
    success(ctx, 201, productView(product.get({ plain: true }) as unknown as Record<string, unknown>));
  });

  router.post('/api/admin/products/:id/restock', requireAdmin, jsonBody(), async (ctx) => {
    const id = parsePathId(ctx.params.id);
    if (id === null) throw notFound('Product');
    const { quantity } = ensureValid(check(restockRequest, ctx.state.body));
    // Stock stays within STOCK_MAX (the columns' range is wider, but an overflow would be a 500). A sharded product's
    // restock is spread over its shards.
    const outcome = await changeStock(db, id, { add: quantity, maxTotal: STOCK_MAX });
    if (outcome === 'not_found') throw notFound('Product');
    if (outcome === 'over_max') {
      const current = await models.Product.findByPk(id, { raw: true });
      const room = Math.max(0, STOCK_MAX - Number(current!.total_stock));
      throw new ValidationError({ quantity: [`The quantity field must not be greater than ${room}.`] });
    }
    await cache.invalidate([id]);
    ctx.state.log.info({ product_id: id, quantity }, 'product restocked');
    const product = await models.Product.findByPk(id, { raw: true });
    success(ctx, 200, productView(product as unknown as Record<string, unknown>));
  });

  // The purchase limit, checked by every later reservation (holds already made stay); null lifts it.
  router.patch('/api/admin/products/:id', requireAdmin, jsonBody(), async (ctx) => {
    const id = parsePathId(ctx.params.id);
    if (id === null) throw notFound('Product');
    const body = ctx.state.body;
    const checked = check(productLimitRequest, body);
    const given = body !== null && typeof body === 'object' && !Array.isArray(body) && 'max_per_customer' in body;
    if (!given) checked.errors.max_per_customer = ['The max per customer field must be present.'];
    const max = ensureValid(checked).max_per_customer ?? null;
    await models.Product.update({ max_per_customer: max }, { where: { id } });
    // Read back once: it answers the request, and tells a missing product (nothing updated) from an unchanged one.
    const product = await models.Product.findByPk(id, { raw: true });
    if (!product) throw notFound('Product');
    ctx.state.log.info({ product_id: id, max_per_customer: max }, 'product purchase limit set');
    success(ctx, 200, productView(product as unknown as Record<string, unknown>));
  });

  // A hot product's stock split over N rows that holds lock independently (docs/scaling.md); 1 puts it back on one row.
  router.put('/api/admin/products/:id/stock-shards', requireAdmin, jsonBody(), async (ctx) => {
    const id = parsePathId(ctx.params.id);
    if (id === null) throw notFound('Product');
    const { shards } = ensureValid(check(stockShardsRequest, ctx.state.body));
    if ((await changeStock(db, id, { shards })) === 'not_found') throw notFound('Product');
    await cache.invalidate([id]);
    ctx.state.log.info({ product_id: id, stock_shards: shards }, 'product stock resharded');
    const product = await models.Product.findByPk(id, { raw: true });
    success(ctx, 200, productView(product as unknown as Record<string, unknown>));
  });

  // Late payments whose money is owed back (LATE_PAYMENT_POLICY): the operator's to-do list, and its done button.
  router.get('/api/admin/orders', requireAdmin, async (ctx) => {
    const { refund_due: refundDue } = ensureValid(check(refundDueQuery, ctx.query));
    const owed = { refund_due_at: { [Op.ne]: null }, refunded_at: null };
    const filter =
      refundDue === undefined
        ? undefined
        : { where: refundDue === 'true' ? owed : { [Op.not]: owed }, query: `refund_due=${refundDue}&` };
    await listPage(ctx, models.Order, orderView, filter);
  });

  router.post('/api/admin/orders/:id/refunded', requireAdmin, jsonBody(), async (ctx) => {
    const id = parsePathId(ctx.params.id);
    const row = id === null ? null : await models.Order.findByPk(id, { raw: true });
    if (!row) throw notFound('Order');
    if (!(await closeRefund(db, id!))) throw adminRefusal.noRefundDue();
    // The database says so already; the order's workflow stops showing refund_due and ends.
    await holds
      .closeRefund(id!)
      .catch((err: Error) => ctx.state.log.warn({ order_id: id, err: err.message }, 'order workflow not told'));
    ctx.state.log.info({ order_id: id }, 'refund closed');
    const order = await models.Order.findByPk(id!, { raw: true });
    success(ctx, 200, orderView(order as unknown as Record<string, unknown>));
  });

  return router;
}
