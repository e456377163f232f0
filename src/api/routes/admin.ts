import Router from '@koa/router';
import type { Middleware } from 'koa';
import { createCatalogueDesk, MAX_STOCK_SHARDS } from '../../sale/catalogue';
import { createLists } from '../../sale/lists';
import type { ApiDeps, ApiState } from '../context';
import { HttpError, ValidationError, notFound } from '../errors';
import { jsonBody } from '../middleware';
import { listPage } from '../pagination';
import { success } from '../respond';
import { secretsEqual } from '../../signature';
import { check, ensureValid, parsePathId, rules, toInteger, toNumber } from '../validation';

export const STOCK_MAX = 1_000_000_000;
export const PRICE_MAX = 99_999_999.99;
export const PRODUCT_NAME_MAX_LENGTH = 255;
export const MAX_PER_CUSTOMER_MAX = STOCK_MAX;
/** A product's purchase limit: a whole number of units from 1, or null for none. */
const maxPerCustomerField = { checks: [rules.integer(), rules.min(1), rules.max(MAX_PER_CUSTOMER_MAX)] };
export const ADMIN_MESSAGES = {
  disabled: 'Admin API disabled',
  unauthorized: 'Unauthorized',
  noRefundDue: 'Order has no refund due',
} as const;

export function adminRoutes(deps: ApiDeps) {
  const { adminToken } = deps;
  const router = new Router<ApiState>();
  const catalogue = createCatalogueDesk(deps);
  const lists = createLists(deps);

  const requireAdmin: Middleware<ApiState> = async (ctx, next) => {
    if (!adminToken) throw new HttpError(403, ADMIN_MESSAGES.disabled);
    const match = /^Bearer\s+(.+)$/i.exec(ctx.get('Authorization'));
    if (!match || !secretsEqual(match[1].trim(), adminToken)) throw new HttpError(401, ADMIN_MESSAGES.unauthorized);
    await next();
  };

  router.post('/api/admin/products', requireAdmin, jsonBody(), async (ctx) => {
    const checked = check(ctx.state.body, {
      name: { required: true, checks: [rules.string(), rules.maxLength(PRODUCT_NAME_MAX_LENGTH)] },
      total_stock: { required: true, checks: [rules.integer(), rules.min(0), rules.max(STOCK_MAX)] },
      price: { required: true, checks: [rules.numeric(), rules.min(0), rules.max(PRICE_MAX), rules.decimals(2)] },
      available_stock: { checks: [rules.integer(), rules.min(0), rules.max(STOCK_MAX)] },
      max_per_customer: maxPerCustomerField,
    });
    const total = toInteger(checked.input.total_stock);
    const available =
      checked.input.available_stock === undefined || checked.input.available_stock === null
        ? total
        : toInteger(checked.input.available_stock);
    if (
      !checked.errors.total_stock &&
      !checked.errors.available_stock &&
      total !== null &&
      available !== null &&
      available > total
    ) {
      checked.errors.available_stock = [`The available stock field must be less than or equal to ${total}.`];
    }
    ensureValid(checked);
    const product = await catalogue.create({
      name: (checked.input.name as string).trim(),
      total_stock: total!,
      available_stock: available!,
      price: toNumber(checked.input.price)!.toFixed(2),
      max_per_customer: toInteger(checked.input.max_per_customer),
    });
    ctx.state.log.info({ product_id: product.id }, 'product created');
    success(ctx, 201, product);
  });

  router.post('/api/admin/products/:id/restock', requireAdmin, jsonBody(), async (ctx) => {
    const id = parsePathId(ctx.params.id);
    if (id === null) throw notFound('Product');
    const checked = check(ctx.state.body, {
      quantity: { required: true, checks: [rules.integer(), rules.min(1), rules.max(STOCK_MAX)] },
    });
    ensureValid(checked);
    const quantity = toInteger(checked.input.quantity)!;
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
    const checked = check(body, { max_per_customer: maxPerCustomerField });
    const given = body !== null && typeof body === 'object' && !Array.isArray(body) && 'max_per_customer' in body;
    if (!given) checked.errors.max_per_customer = ['The max per customer field must be present.'];
    ensureValid(checked);
    const max = toInteger(checked.input.max_per_customer);
    const product = await catalogue.setPurchaseLimit(id, max);
    if (!product) throw notFound('Product');
    ctx.state.log.info({ product_id: id, max_per_customer: max }, 'product purchase limit set');
    success(ctx, 200, product);
  });

  // A hot product's stock split over N rows that holds lock independently (docs/scaling.md); 1 puts it back on one row.
  router.put('/api/admin/products/:id/stock-shards', requireAdmin, jsonBody(), async (ctx) => {
    const id = parsePathId(ctx.params.id);
    if (id === null) throw notFound('Product');
    const checked = check(ctx.state.body, {
      shards: { required: true, checks: [rules.integer(), rules.min(1), rules.max(MAX_STOCK_SHARDS)] },
    });
    ensureValid(checked);
    const shards = toInteger(checked.input.shards)!;
    const product = await catalogue.reshard(id, shards);
    if (!product) throw notFound('Product');
    ctx.state.log.info({ product_id: id, stock_shards: shards }, 'product stock resharded');
    success(ctx, 200, product);
  });

  // Late payments whose money is owed back (LATE_PAYMENT_POLICY): the operator's to-do list, and its done button.
  router.get('/api/admin/orders', requireAdmin, async (ctx) => {
    const checked = check(ctx.query, { refund_due: { checks: [rules.in(['true', 'false'])] } });
    ensureValid(checked);
    const refundDue = checked.input.refund_due === undefined ? undefined : checked.input.refund_due === 'true';
    await listPage(
      ctx,
      (page) => lists.orders(page, { refundDue }),
      refundDue === undefined ? undefined : `refund_due=${checked.input.refund_due}&`,
    );
  });

  router.post('/api/admin/orders/:id/refunded', requireAdmin, jsonBody(), async (ctx) => {
    const id = parsePathId(ctx.params.id);
    const outcome = id === null ? ({ kind: 'not-found' } as const) : await catalogue.closeRefund(id, ctx.state.log);
    if (outcome.kind === 'not-found') throw notFound('Order');
    if (outcome.kind === 'no-refund-due') throw new HttpError(400, ADMIN_MESSAGES.noRefundDue);
    ctx.state.log.info({ order_id: id }, 'refund closed');
    success(ctx, 200, outcome.order);
  });

  return router;
}
