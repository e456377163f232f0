import Router from '@koa/router';
import type { Middleware } from 'koa';
import { productView } from '../../db/views';
import { MAX_STOCK_SHARDS, changeStock } from '../../db/shards';
import type { ApiDeps, ApiState } from '../context';
import { HttpError, ValidationError, notFound } from '../errors';
import { jsonBody } from '../middleware';
import { success } from '../respond';
import { secretsEqual } from '../signature';
import { check, ensureValid, parsePathId, rules, toInteger, toNumber } from '../validation';

export const STOCK_MAX = 1_000_000_000;
export const PRICE_MAX = 99_999_999.99;
export const PRODUCT_NAME_MAX_LENGTH = 255;
export const ADMIN_MESSAGES = { disabled: 'Admin API disabled', unauthorized: 'Unauthorized' } as const;

export function adminRoutes({ db, models, cache, adminToken }: ApiDeps) {
  const router = new Router<ApiState>();

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
    const product = await models.Product.create({
      name: (checked.input.name as string).trim(),
      total_stock: total!,
      available_stock: available!,
      price: toNumber(checked.input.price)!.toFixed(2),
    });
    ctx.state.log.info({ product_id: product.id }, 'product created');
    success(ctx, 201, productView(product.get({ plain: true }) as unknown as Record<string, unknown>));
  });

  router.post('/api/admin/products/:id/restock', requireAdmin, jsonBody(), async (ctx) => {
    const id = parsePathId(ctx.params.id);
    if (id === null) throw notFound('Product');
    const checked = check(ctx.state.body, {
      quantity: { required: true, checks: [rules.integer(), rules.min(1), rules.max(STOCK_MAX)] },
    });
    ensureValid(checked);
    const quantity = toInteger(checked.input.quantity)!;
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

  // A hot product's stock split over N rows that holds lock independently (docs/scaling.md); 1 puts it back on one row.
  router.put('/api/admin/products/:id/stock-shards', requireAdmin, jsonBody(), async (ctx) => {
    const id = parsePathId(ctx.params.id);
    if (id === null) throw notFound('Product');
    const checked = check(ctx.state.body, {
      shards: { required: true, checks: [rules.integer(), rules.min(1), rules.max(MAX_STOCK_SHARDS)] },
    });
    ensureValid(checked);
    const shards = toInteger(checked.input.shards)!;
    if ((await changeStock(db, id, { shards })) === 'not_found') throw notFound('Product');
    await cache.invalidate([id]);
    ctx.state.log.info({ product_id: id, stock_shards: shards }, 'product stock resharded');
    const product = await models.Product.findByPk(id, { raw: true });
    success(ctx, 200, productView(product as unknown as Record<string, unknown>));
  });

  return router;
}
