import Router from '@koa/router';
import { createLists } from '../../sale/lists';
import { readProduct } from '../../sale/products';
import type { ApiDeps, ApiState } from '../context';
import { notFound } from '../errors';
import { listPage } from '../pagination';
import { parsePathId } from '../validation';

export function productRoutes({ models, cache }: ApiDeps) {
  const router = new Router<ApiState>();
  const lists = createLists({ models });

  router.get('/api/products', (ctx) => listPage(ctx, lists.products));

  router.get('/api/products/:id', async (ctx) => {
    const id = parsePathId(ctx.params.id);
    if (id === null) throw notFound('Product');
    const product = await readProduct({ models, cache }, id);
    if (!product) throw notFound('Product');
    ctx.body = product;
  });

  return router;
}
