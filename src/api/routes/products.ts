import Router from '@koa/router';
import { productView } from '../../db/views';
import type { ApiDeps, ApiState } from '../context';
import { notFound } from '../errors';
import { listPage } from '../pagination';
import { parsePathId } from '../validation';

/** A product through the Redis read-through cache (MariaDB on a miss), or null when there is none. */
export function readProduct({ models, cache }: Pick<ApiDeps, 'models' | 'cache'>, id: number) {
  return cache.read(id, async () => {
    const row = await models.Product.findByPk(id, { raw: true });
    return row ? productView(row as unknown as Record<string, unknown>) : null;
  });
}

export function productRoutes({ models, cache }: ApiDeps) {
  const router = new Router<ApiState>();

  router.get('/api/products', (ctx) => listPage(ctx, models.Product, productView));

  router.get('/api/products/:id', async (ctx) => {
    const id = parsePathId(ctx.params.id);
    if (id === null) throw notFound('Product');
    const product = await readProduct({ models, cache }, id);
    if (!product) throw notFound('Product');
    ctx.body = product;
  });

  return router;
}
