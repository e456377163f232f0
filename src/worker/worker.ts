import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, bundleWorkflowCode, type WorkerOptions } from '@temporalio/worker';
import type { Sequelize } from 'sequelize';
import { createActivities } from '../activities';
import { createProductCache, type ProductCache } from '../cache/product-cache';
import { createRedis } from '../cache/redis';
import { sweepTaskQueue, type Config } from '../config';
import { createSequelize } from '../db/sequelize';
import { faultPointsFromEnvironment, type FaultPoints } from '../faults';
import type { Logger } from '../logger';
import {
  temporalClientInterceptors,
  temporalWorkerTracing,
  tracingConfigured,
  WORKFLOW_INTERCEPTOR_MODULES,
} from '../telemetry';
import { temporalConnectionSettings } from '../temporal/options';
import { ensureSchedules } from './schedule';

export interface WorkerHandle {
  worker: Worker;
  /** Runs until shutdown; resolves when the worker has drained. */
  run: () => Promise<void>;
  shutdown: () => Promise<void>;
}

export interface WorkerExtras {
  /** A prebuilt workflow bundle (tests); otherwise workflowBundleOf's: WORKFLOW_BUNDLE_PATH, or bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Leave the sweep and purge Schedules alone (tests that drive them themselves). */
  skipSchedule?: boolean;
}

export async function createFlashSaleWorker(
  config: Config,
  log: Logger,
  extras: WorkerExtras = {},
): Promise<WorkerHandle> {
  const db = createSequelize({ url: config.DATABASE_URL, poolMax: config.DATABASE_POOL_MAX, log });
  const redis = createRedis(config.REDIS_URL, log);
  const cache = createProductCache(redis, log, { gateTtlSeconds: config.SOLD_OUT_GATE_TTL_SECONDS });
  const connection = await NativeConnection.connect(temporalConnectionSettings(config));

  if (!extras.skipSchedule) {
    const clientConnection = await Connection.connect(temporalConnectionSettings(config));
    try {
      const client = new Client({
        connection: clientConnection,
        namespace: config.TEMPORAL_NAMESPACE,
        interceptors: temporalClientInterceptors(),
      });
      await ensureSchedules(client, config, log);
    } finally {
      await clientConnection.close();
    }
  }

  const workflowBundle = await workflowBundleOf(tracingConfigured(config), extras.workflowBundle);
  const activities = workerActivities(config, { db, cache, log, faults: faultPointsFromEnvironment() });
  const worker = await Worker.create(holdWorkerOptions(config, connection, workflowBundle, activities));
  // The sweep polls a queue of its own: during an expiry storm the holds' queue is thousands of timer tasks deep,
  // and the sweep's bulk release is what gives their stock back quickly.
  const sweepWorker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: sweepTaskQueue(config),
    workflowBundle,
    activities,
    // A watching sweep is cancelled at once on shutdown (between passes); the next run elsewhere picks up.
    shutdownGraceTime: '1s',
    maxConcurrentWorkflowTaskExecutions: 2,
    maxConcurrentActivityTaskExecutions: 2,
    maxCachedWorkflows: 10,
    ...temporalWorkerTracing(),
  });

  return {
    worker,
    run: async () => {
      try {
        await Promise.all([worker.run(), sweepWorker.run()]);
      } finally {
        await connection.close().catch(() => undefined);
        redis.disconnect();
        await db.close();
      }
    },
    shutdown: async () => {
      worker.shutdown();
      sweepWorker.shutdown();
    },
  };
}

/**
 * The workflow code: given (tests), prebuilt at WORKFLOW_BUNDLE_PATH (the container image, `npm start`), or bundled
 * now (webpack, a few seconds). The OpenTelemetry workflow interceptors go in only when tracing is on: in the bundle
 * they run on every workflow activation, traced or not, and they cost the service about a third of its holds/s and
 * doubled the API's memory in the bench. So a traced worker bundles at start (the prebuilt bundle has none).
 */
export async function workflowBundleOf(
  traced: boolean,
  given?: WorkerOptions['workflowBundle'],
  logger?: Parameters<typeof bundleWorkflowCode>[0]['logger'],
): Promise<NonNullable<WorkerOptions['workflowBundle']>> {
  if (given) return given;
  const prebuilt = process.env.WORKFLOW_BUNDLE_PATH;
  if (prebuilt && !traced) return { codePath: prebuilt };
  return bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    workflowInterceptorModules: traced ? WORKFLOW_INTERCEPTOR_MODULES : [],
    ...(logger ? { logger } : {}),
  });
}

/**
 * Every activity: what any hold worker runs. Without `faults` (the API's hold worker, whose deps do not carry them
 * yet), the process's own fault points from FAULT_POINTS, the same ones its entry point built.
 */
export function workerActivities(
  config: Config,
  deps: { db: Sequelize; cache: ProductCache; log: Logger; faults?: FaultPoints },
) {
  return createActivities({
    ...deps,
    faults: deps.faults ?? faultPointsFromEnvironment(),
    events: { url: config.EVENTS_URL, secret: config.EVENTS_SECRET },
    currency: config.CURRENCY,
  });
}

/** The holds' worker: in the worker process, and in an API process that starts holds eagerly (api/hold-worker.ts). */
export function holdWorkerOptions(
  config: Config,
  connection: NativeConnection,
  workflowBundle: WorkerOptions['workflowBundle'],
  activities: WorkerOptions['activities'],
): WorkerOptions {
  return {
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TASK_QUEUE,
    workflowBundle,
    activities,
    shutdownGraceTime: '10s',
    ...workerTuning(config),
    ...temporalWorkerTracing(),
  };
}

/**
 * Throughput settings (docs/performance.md). Every new hold's first workflow task comes from the non-sticky
 * queue, which by default gets only a fifth of a handful of pollers: an autoscaling poller lets a flash sale's
 * burst of new workflows in. The cache bound keeps memory flat with 100 000 open holds (a cached hold wakes
 * without replay; an evicted one replays its short history).
 */
export function workerTuning(config: Config): Partial<WorkerOptions> {
  const slots = config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS;
  const pollers = Math.min(config.WORKER_WORKFLOW_TASK_POLLERS, slots);
  return {
    maxConcurrentWorkflowTaskExecutions: slots,
    maxConcurrentLocalActivityExecutions: config.WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES,
    maxCachedWorkflows: Math.max(config.WORKER_MAX_CACHED_WORKFLOWS, 0),
    workflowTaskPollerBehavior: { type: 'autoscaling', minimum: 2, initial: Math.min(5, pollers), maximum: pollers },
    nonStickyToStickyPollRatio: 1,
  };
}
