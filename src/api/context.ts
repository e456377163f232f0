import type Redis from 'ioredis';
import type { Sequelize } from 'sequelize';
import type { ProductCache } from '../cache/product-cache';
import type { Models } from '../db/models';
import type { FaultPoints } from '../faults';
import type { Logger } from '../logger';
import type { HoldGateway } from '../temporal/holds';
import type { Metrics } from './metrics';
import type { SecuritySettings } from './security';

export interface ApiDeps {
  db: Sequelize;
  models: Models;
  cache: ProductCache;
  holds: HoldGateway;
  log: Logger;
  webhookSecret?: string;
  /** STRIPE_WEBHOOK_SECRET: verifies POST /api/payments/stripe; absent, that route does not exist. */
  stripeWebhookSecret?: string;
  adminToken?: string;
  /** The shop's API keys (API_KEYS); empty or absent: holds and orders are open (local development). */
  apiKeys?: string[];
  /** Most units one hold may take (MAX_QUANTITY_PER_HOLD); absent: no limit beyond the stock. */
  maxQuantityPerHold?: number;
  metrics?: Metrics;
  /** Readiness probes for /ready: each resolves when its dependency answers. */
  probes?: Record<string, () => Promise<unknown>>;
  /** Rate limits, CORS and proxy trust (src/api/security.ts); absent: no rate limits, no CORS. */
  security?: SecuritySettings;
  /** Where rate-limit counters are shared between API processes (in memory without it, or while it is down). */
  redis?: Redis;
  /** The chaos suite's fault points (FAULT_POINTS), built once by the process entry point; absent: none. */
  faults?: FaultPoints;
}

export type { ApiRouter, ApiState } from './state';
