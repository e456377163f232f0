import Router from '@koa/router';
import type { Middleware } from 'koa';
import { createCatalogueDesk } from '../../sale/catalogue';
import { createLists } from '../../sale/lists';
import type { ApiDeps, ApiState } from '../context';
import { HttpError, ValidationError, notFound, unauthorized } from '../errors';
import { jsonBody } from '../middleware';
import { listPage } from '../pagination';
import { success } from '../respond';
import { secretsEqual } from '../../signature';
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

type CatalogueDesk = ReturnType<typeof createCatalogueDesk>;

export function adminRoutes(deps: ApiDeps) {
  const { adminToken } = deps;
  const router = new Router<ApiState>();
  const catalogue = createCatalogueDesk(deps);

  const requireAdmin: Middleware<ApiState> = async (ctx, next) => {
    if (!adminToken) throw adminRefusal.disabled();
    const match = /^Bearer\s+(.+)$/i.exec(ctx.get('Authorization'));
    if (!match || !secretsEqual(match[1].trim(), adminToken)) throw unauthorized();
    await next();
  };

  addProductRoutes(router, requireAdmin, catalogue);
  addOrderRoutes(router, requireAdmin, catalogue, createLists(deps));
  return router;
}

function addProductRoutes(router: Router<ApiState>, requireAdmin: Middleware<ApiState>, catalogue: CatalogueDesk) {
  router.post('/api/admin/products', requireAdmin, jsonBody(), async (ctx) => {
    const input = ensureValid(check(createProductRequest, ctx.state.body));
    const product = await catalogue.create({
      name: input.name.trim(),
      total_stock: input.total_stock,
      available_stock: input.available_stock ?? input.total_stock,
      price: input.price.toFixed(2),
      max_per_customer: input.max_per_customer ?? null,
    });
    ctx.state.log.info({ product_id: product.id }, 'product created');
    success(ctx, 201, product);
  });

  router.post('/api/admin/products/:id/restock', requireAdmin, jsonBody(), async (ctx) => {
    const id = parsePathId(ctx.params.id);
    if (id === null) throw notFound('Product');
    const { quantity } = ensureValid(check(restockRequest, ctx.state.body));
    // Stock stays within STOCK_MAX (the columns' range is wider, but an overflow would be a 500).
    const outcome = await catalogue.restock(id, quantity, STOCK_MAX);
    if (outcome.kind === 'not-found') throw notFound('Product');
    if (outcome.kind === 'over-max') {
      throw new ValidationError({ quantity: [`The quantity field must not be greater than ${outcome.room}.`] });
    }
    ctx.state.log.info({ product_id: id, quantity }, 'product restocked');
    success(ctx, 200, outcome.product);
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
    const product = await catalogue.setPurchaseLimit(id, max);
    if (!product) throw notFound('Product');
    ctx.state.log.info({ product_id: id, max_per_customer: max }, 'product purchase limit set');
    success(ctx, 200, product);
  });

  // A hot product's stock split over N rows that holds lock independently (docs/scaling.md); 1 puts it back on one row.
  router.put('/api/admin/products/:id/stock-shards', requireAdmin, jsonBody(), async (ctx) => {
    const id = parsePathId(ctx.params.id);
    if (id === null) throw notFound('Product');
    const { shards } = ensureValid(check(stockShardsRequest, ctx.state.body));
    const product = await catalogue.reshard(id, shards);
    if (!product) throw notFound('Product');
    ctx.state.log.info({ product_id: id, stock_shards: shards }, 'product stock resharded');
    success(ctx, 200, product);
  });
}

function addOrderRoutes(
  router: Router<ApiState>,
  requireAdmin: Middleware<ApiState>,
  catalogue: CatalogueDesk,
  lists: ReturnType<typeof createLists>,
) {
  // Late payments whose money is owed back (LATE_PAYMENT_POLICY): the operator's to-do list, and its done button.
  router.get('/api/admin/orders', requireAdmin, async (ctx) => {
    const { refund_due: refundDue } = ensureValid(check(refundDueQuery, ctx.query));
    await listPage(
      ctx,
      (page) => lists.orders(page, { refundDue: refundDue === undefined ? undefined : refundDue === 'true' }),
      refundDue === undefined ? undefined : `refund_due=${refundDue}&`,
    );
  });

  router.post('/api/admin/orders/:id/refunded', requireAdmin, jsonBody(), async (ctx) => {
    const id = parsePathId(ctx.params.id);
    const outcome = id === null ? ({ kind: 'not-found' } as const) : await catalogue.closeRefund(id, ctx.state.log);
    if (outcome.kind === 'not-found') throw notFound('Order');
    if (outcome.kind === 'no-refund-due') throw adminRefusal.noRefundDue();
    ctx.state.log.info({ order_id: id }, 'refund closed');
    success(ctx, 200, outcome.order);
  });
}
