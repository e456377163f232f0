import type { Server, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { apiKeys, type Config } from '../config';
import { createProductCache } from '../cache/product-cache';
import { createRedis } from '../cache/redis';
import { databaseAnswers } from '../db/health';
import { defineModels } from '../db/models';
import { createSaleFigures } from '../db/sale-figures';
import { createSequelize } from '../db/sequelize';
import { faultPointsFromEnvironment } from '../faults';
import type { Logger } from '../logger';
import type { Sequelize } from 'sequelize';
import type Redis from 'ioredis';
import { startFiguresPublisher } from '../sale/figures';
import { clientOnlyLink } from '../temporal/connection';
import { temporalConnectionSettings } from '../temporal/options';
import { HoldGateway } from '../temporal/holds';
import { SupervisedHoldWorker, type WorkflowBundleOption } from '../worker/hold-worker';
import { createApp } from './app';
import { createMetrics } from './metrics';
import { securitySettings } from './security';

export interface RunningApi {
  server: Server;
  port: number;
  close: () => Promise<void>;
  /** HOLD_EAGER_START: whether this process's hold worker runs (holds start eagerly on it). */
  eagerStartReady: () => boolean;
  /** How this process started its holds (also in /metrics as flash_sale_hold_starts_total). */
  holdStarts: Readonly<Record<'eager' | 'update_with_start', number>>;
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
  const faults = faultPointsFromEnvironment();
  // One Temporal connection for the process, and the hold start strategy, chosen here once.
  const temporal = config.HOLD_EAGER_START
    ? new SupervisedHoldWorker(config, { db, cache, log, faults }, extras.workflowBundle)
    : await clientOnlyLink(
        { ...temporalConnectionSettings(config), namespace: config.TEMPORAL_NAMESPACE },
        config.TASK_QUEUE,
      );
  const holds = new HoldGateway(
    temporal.client,
    {
      holdIdBlockSize: config.HOLD_ID_BLOCK_SIZE,
      taskQueue: config.TASK_QUEUE,
      ttlSeconds: config.HOLD_TTL_SECONDS,
      paymentTimeoutSeconds: config.PAYMENT_TIMEOUT_SECONDS,
      callTimeoutMs: config.TEMPORAL_CALL_TIMEOUT_MS,
      address: config.TEMPORAL_ADDRESS,
      maxInFlight: config.TEMPORAL_MAX_IN_FLIGHT || undefined,
      queueTimeoutMs: config.TEMPORAL_QUEUE_TIMEOUT_MS,
      ...(config.EVENTS_URL ? { events: { retryHours: config.EVENTS_RETRY_HOURS } } : {}),
      latePaymentPolicy: config.LATE_PAYMENT_POLICY,
      maxExtensionSeconds: config.HOLD_MAX_EXTENSION_SECONDS,
    },
    temporal.start,
  );
  const figures = startFiguresPublisher(figuresSettings(config, db, redis, log));
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
    metrics: createMetrics(figures, holds.admission, temporal.counts, temporal.holdWorker),
    security: securitySettings(config),
    redis,
    faults,
    probes: {
      mariadb: () => databaseAnswers(db),
      redis: () => redis.ping(),
      temporal: () => temporal.client().workflowService.getSystemInfo({}),
      ...(temporal.holdWorker ? { hold_worker: async () => assertRunning(temporal.holdWorker!.running()) } : {}),
    },
  });
  logOpenDoors(config, log);

  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(config.PORT, '0.0.0.0', () => resolve(s));
  });
  server.keepAliveTimeout = 65_000;
  // Draining: close() waits for every connection, and a keep-alive client under load keeps sending on its own. Once
  // draining, each answer closes its connection, so the drain ends when the requests in flight are answered.
  let draining = false;
  server.on('request', (_req, res: ServerResponse) => {
    if (draining) res.shouldKeepAlive = false;
  });
  const port = (server.address() as { port: number }).port;
  log.info({ port }, 'api listening');

  return {
    server,
    port,
    eagerStartReady: () => Boolean(temporal.holdWorker?.running()),
    holdStarts: temporal.counts,
    close: async () => {
      draining = true;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await figures.stop();
      await temporal.close();
      redis.disconnect();
      await db.close();
    },
  };
}

/** One publisher of the database-derived metrics per service: the lease is per task queue, in the shared Redis. */
function figuresSettings(config: Config, db: Sequelize, redis: Redis, log: Logger) {
  return {
    figures: createSaleFigures(db),
    redis,
    leaseKey: `sale-figures:publisher:${config.TASK_QUEUE}`,
    intervalMs: config.SALE_FIGURES_INTERVAL_SECONDS * 1000,
    processId: `${hostname()}:${process.pid}:${randomUUID()}`,
    log,
  };
}

function assertRunning(running: boolean) {
  if (!running) throw new Error('the hold worker is not running');
}

/** Says at start-up which protections are off (development) and which optional doors are open. */
function logOpenDoors(config: Config, log: Logger) {
  if (!config.WEBHOOK_SECRET)
    log.warn('WEBHOOK_SECRET is not set: unsigned payment webhooks are accepted (development only)');
  if (!config.ADMIN_TOKEN) log.info('ADMIN_TOKEN is not set: the admin API answers 403');
  if (config.STRIPE_WEBHOOK_SECRET) log.info('Stripe events are accepted at POST /api/payments/stripe');
  const keys = apiKeys(config);
  if (keys.length) log.info({ api_keys: keys.length }, 'holds and orders need an API key');
  else log.warn('API_KEYS is not set: holds and orders are open to anyone who can reach the API (development only)');
  if (config.CORS_ORIGINS?.includes('*') && config.NODE_ENV === 'production')
    log.warn('CORS_ORIGINS=* lets any web page call this API from a browser (meant for development)');
}
