import type Router from '@koa/router';
import type { Sequelize } from 'sequelize';
import type { ProductCache } from '../cache/product-cache';
import type { Models } from '../db/models';
import type { Logger } from '../logger';
import type { HoldGateway } from '../temporal/holds';

export interface ApiDeps {
  db: Sequelize;
  models: Models;
  cache: ProductCache;
  holds: HoldGateway;
  log: Logger;
  webhookSecret?: string;
  adminToken?: string;
  /** Readiness probes for /ready: each resolves when its dependency answers. */
  probes?: Record<string, () => Promise<unknown>>;
}

export interface ApiState {
  requestId: string;
  log: Logger;
  rawBody: string;
  body: unknown;
}

export type ApiRouter = Router<ApiState>;
