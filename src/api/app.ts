import Router from '@koa/router';
import Koa from 'koa';
import type { ApiDeps, ApiState } from './context';
import { createApiKeys } from './api-keys';
import { errorMapping, jsonBody, requestContext } from './middleware';
import { createRateLimits } from './rate-limits';
import { corsPolicy, securityHeaders } from './security';
import { adminRoutes } from './routes/admin';
import { docsRoutes } from './routes/docs';
import { healthRoutes } from './routes/health';
import { holdActionRoutes } from './routes/hold-actions';
import { holdRoutes } from './routes/holds';
import { orderRoutes } from './routes/orders';
import { paymentRoutes } from './routes/payments';
import { productRoutes } from './routes/products';
import { stripeRoutes } from './routes/stripe';

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
  const apiKeys = createApiKeys(deps.apiKeys ?? []);
  const limits = createRateLimits(deps);
  // Left out when unconfigured: every request, the cheapest reads included, would pass through them for nothing.
  if (apiKeys.enabled) app.use(apiKeys.identify);
  if (limits.countsClients) app.use(limits.byClient);
  // Holds and orders are the shop's backend's: with API_KEYS set they need a key (401 before the body is read).
  // Products, GET /api, the signed webhooks (ours and Stripe's) and the admin API (ADMIN_TOKEN) stay outside.
  const keyed = new Router<ApiState>();
  // Scoped to their paths: a router's unscoped middleware would run for every route the root matches.
  const keyedMiddleware = [
    ...(apiKeys.enabled ? [apiKeys.require] : []),
    jsonBody(),
    ...(limits.countsCustomers ? [limits.byCustomer] : []),
  ];
  keyed.use(['/api/holds', '/api/orders'], ...keyedMiddleware);
  for (const router of [holdRoutes(deps), holdActionRoutes(deps), orderRoutes(deps)]) keyed.use(router.routes());
  const root = new Router<ApiState>();
  for (const router of [
    healthRoutes(deps),
    docsRoutes(),
    productRoutes(deps),
    keyed,
    paymentRoutes(deps),
    stripeRoutes(deps),
    adminRoutes(deps),
  ]) {
    root.use(router.routes());
  }
  app.use(root.routes());
  app.use(root.allowedMethods({ throw: true }));
  return app;
}
