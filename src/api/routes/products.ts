import Router from '@koa/router';
import { productView } from '../../db/views';
import type { ApiDeps, ApiState } from '../context';
import { notFound } from '../errors';
import { listPage } from '../pagination';
import { parsePathId } from '../validation';

export function productRoutes({ models, cache }: ApiDeps) {
  const router = new Router<ApiState>();

  router.get('/api/products', (ctx) => listPage(ctx, models.Product, productView));

  router.get('/api/products/:id', async (ctx) => {
    const id = parsePathId(ctx.params.id);
    if (id === null) throw notFound('Product');
    const product = await cache.read(id, async () => {
      const row = await models.Product.findByPk(id, { raw: true });
      return row ? productView(row as unknown as Record<string, unknown>) : null;
    });
    if (!product) throw notFound('Product');
    ctx.body = product;
  });

  return router;
}
