import type { Server } from 'node:http';
import { apiKeys, type Config } from '../config';
import { createProductCache } from '../cache/product-cache';
import { createRedis } from '../cache/redis';
import { defineModels } from '../db/models';
import { createSequelize } from '../db/sequelize';
import type { Logger } from '../logger';
import { connectClient } from '../temporal/connection';
import { temporalConnectionSettings } from '../temporal/options';
import { createHoldGateway } from '../temporal/holds';
import { createApp } from './app';
import { startApiHoldWorker, type WorkflowBundleOption } from './hold-worker';
import { createMetrics } from './metrics';
import { securitySettings } from './security';

export interface RunningApi {
  server: Server;
  port: number;
  close: () => Promise<void>;
  /** HOLD_EAGER_START: whether this process's hold worker runs (holds start eagerly on it). */
  eagerStartReady: () => boolean;
  /** How this process started its holds (the gateway's counts, also in /metrics as flash_sale_hold_starts). */
  holdStarts: Readonly<Record<'eager' | 'updateWithStart', number>>;
}

export interface ApiExtras {
  /** The hold worker's workflow bundle (HOLD_EAGER_START); otherwise WORKFLOW_BUNDLE_PATH, or bundled at start. */
  workflowBundle?: WorkflowBundleOption;
}

/** Builds the API's dependencies from configuration and listens; `close` drains and disconnects. */
export async function startApi(config: Config, log: Logger, extras: ApiExtras = {}): Promise<RunningApi> {
  const db = createSequelize({ url: config.DATABASE_URL, poolMax: config.DATABASE_POOL_MAX, log });
  const models = defineModels(db);
  const redis = createRedis(config.REDIS_URL, log);
  const cache = createProductCache(redis, log, { gateTtlSeconds: config.SOLD_OUT_GATE_TTL_SECONDS });
  const client = await connectClient({ ...temporalConnectionSettings(config), namespace: config.TEMPORAL_NAMESPACE });
  const holdWorker = config.HOLD_EAGER_START
    ? startApiHoldWorker(config, { db, cache, log }, extras.workflowBundle)
    : null;
  const holds = createHoldGateway(
    client,
    {
      holdIdBlockSize: config.HOLD_ID_BLOCK_SIZE,
      taskQueue: config.TASK_QUEUE,
      ttlSeconds: config.HOLD_TTL_SECONDS,
      paymentTimeoutSeconds: config.PAYMENT_TIMEOUT_SECONDS,
      callTimeoutMs: config.TEMPORAL_CALL_TIMEOUT_MS,
      maxInFlight: config.TEMPORAL_MAX_IN_FLIGHT || undefined,
      queueTimeoutMs: config.TEMPORAL_QUEUE_TIMEOUT_MS,
      ...(config.EVENTS_URL ? { events: { retryHours: config.EVENTS_RETRY_HOURS } } : {}),
      latePaymentPolicy: config.LATE_PAYMENT_POLICY,
      maxExtensionSeconds: config.HOLD_MAX_EXTENSION_SECONDS,
    },
    holdWorker?.starter,
  );
  const app = createApp({
    db,
    models,
    cache,
    holds,
    log,
    webhookSecret: config.WEBHOOK_SECRET,
    stripeWebhookSecret: config.STRIPE_WEBHOOK_SECRET,
    adminToken: config.ADMIN_TOKEN,
    apiKeys: apiKeys(config),
    maxQuantityPerHold: config.MAX_QUANTITY_PER_HOLD,
    metrics: createMetrics(db, holds.admission, holds.starts),
    security: securitySettings(config),
    redis,
    probes: {
      mariadb: () => db.query('SELECT 1'),
      redis: () => redis.ping(),
      temporal: () => client.workflowService.getSystemInfo({}),
    },
  });
  if (!config.WEBHOOK_SECRET)
    log.warn('WEBHOOK_SECRET is not set: unsigned payment webhooks are accepted (development only)');
  if (!config.ADMIN_TOKEN) log.info('ADMIN_TOKEN is not set: the admin API answers 403');
  if (config.STRIPE_WEBHOOK_SECRET) log.info('Stripe events are accepted at POST /api/payments/stripe');
  const keys = apiKeys(config);
  if (keys.length) log.info({ api_keys: keys.length }, 'holds and orders need an API key');
  else log.warn('API_KEYS is not set: holds and orders are open to anyone who can reach the API (development only)');
  if (config.CORS_ORIGINS?.includes('*') && config.NODE_ENV === 'production')
    log.warn('CORS_ORIGINS=* lets any web page call this API from a browser (meant for development)');

  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(config.PORT, '0.0.0.0', () => resolve(s));
  });
  server.keepAliveTimeout = 65_000;
  const port = (server.address() as { port: number }).port;
  log.info({ port }, 'api listening');

  return {
    server,
    port,
    eagerStartReady: () => Boolean(holdWorker?.starter()),
    holdStarts: holds.starts,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await holdWorker?.close();
      await client.connection.close().catch(() => undefined);
      redis.disconnect();
      await db.close();
    },
  };
}
