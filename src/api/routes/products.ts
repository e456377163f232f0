import Router from '@koa/router';
import { createLists } from '../../sale/lists';
import { readProduct } from '../../sale/products';
import type { ApiDeps, ApiState } from '../context';
import { notFound } from '../errors';
import { listPage } from '../pagination';
import { parsePathId } from '../validation';

/**
 * The JSON of a cached product, written once per cached entry: the entry is a frozen object shared by every request
 * until the cache changes, and this is the page every buyer refreshes.
 */
const productJson = new WeakMap<object, string>();
function jsonOf(product: object): string {
  if (!Object.isFrozen(product)) return JSON.stringify(product);
  let json = productJson.get(product);
  if (json === undefined) {
    json = JSON.stringify(product);
    productJson.set(product, json);
  }
  return json;
}

export function productRoutes({ models, cache }: ApiDeps) {
  const router = new Router<ApiState>();
  const lists = createLists({ models });

  router.get('/api/products', (ctx) => listPage(ctx, lists.products));

  router.get('/api/products/:id', async (ctx) => {
    const id = parsePathId(ctx.params.id);
    if (id === null) throw notFound('Product');
    const product = await readProduct({ models, cache }, id);
    if (!product) throw notFound('Product');
    ctx.type = 'application/json';
    ctx.body = jsonOf(product);
  });

  return router;
}
