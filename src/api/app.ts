import Router from '@koa/router';
import Koa from 'koa';
import type { ApiDeps, ApiState } from './context';
import { errorMapping, requestContext } from './middleware';
import { corsPolicy, rateLimits, securityHeaders } from './security';
import { adminRoutes } from './routes/admin';
import { docsRoutes } from './routes/docs';
import { healthRoutes } from './routes/health';
import { holdRoutes } from './routes/holds';
import { orderRoutes } from './routes/orders';
import { paymentRoutes } from './routes/payments';
import { productRoutes } from './routes/products';

/** The Koa app: request id and logging, one error mapping, then one router per resource. */
export function createApp(deps: ApiDeps): Koa<ApiState> {
  const app = new Koa<ApiState>();
  app.proxy = false;
  app.silent = true;
  app.use(requestContext(deps.log));
  if (deps.metrics) app.use(deps.metrics.middleware);
  app.use(securityHeaders());
  app.use(corsPolicy(deps.security));
  app.use(errorMapping());
  app.use(rateLimits(deps));
  const root = new Router<ApiState>();
  for (const router of [
    healthRoutes(deps),
    docsRoutes(),
    productRoutes(deps),
    holdRoutes(deps),
    orderRoutes(deps),
    paymentRoutes(deps),
    adminRoutes(deps),
  ]) {
    root.use(router.routes());
  }
  app.use(root.routes());
  app.use(root.allowedMethods({ throw: true }));
  return app;
}
