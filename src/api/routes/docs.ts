import Router from '@koa/router';
import type { ApiState } from '../context';
import { openApiDocument } from '../openapi';

export function docsRoutes() {
  const router = new Router<ApiState>();
  router.get('/api/openapi.json', (ctx) => {
    ctx.body = openApiDocument;
  });
  return router;
}
