import Router from '@koa/router';
import { Op } from 'sequelize';
import { productView } from '../../db/views';
import type { ApiDeps, ApiState } from '../context';
import { notFound } from '../errors';
import { readPage, sendPage } from '../pagination';
import { parsePathId } from '../validation';

export function productRoutes({ models, cache }: ApiDeps) {
  const router = new Router<ApiState>();

  router.get('/api/products', async (ctx) => {
    const page = readPage(ctx);
    const rows = await models.Product.findAll({
      where: { id: { [Op.gt]: page.afterId } },
      order: [['id', 'ASC']],
      limit: page.limit + 1,
      raw: true,
    });
    sendPage(
      ctx,
      rows.map((r) => productView(r as unknown as Record<string, unknown>)),
      page,
    );
  });

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
