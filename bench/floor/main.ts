/**
 * The floor's two processes, mirroring the service's: `worker` runs floorHoldWorkflow with the service's worker
 * settings and activities; `api` is the least HTTP server that can start one (Update-with-Start, no admission
 * bound, no gate, no search attributes). Configured by the service's own environment variables.
 *
 *   node --import tsx bench/floor/main.ts worker|api
 */
import http from 'node:http';
import { Client, Connection, WithStartWorkflowOperation, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { NativeConnection, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import { createProductCache } from '../../src/cache/product-cache';
import { createRedis } from '../../src/cache/redis';
import { loadConfig } from '../../src/config';
import { createHoldIdAllocator } from '../../src/db/ids';
import { createSequelize, hotPathPool } from '../../src/db/sequelize';
import { createLogger } from '../../src/logger';
import { reserveUpdate } from '../../src/shared/messages';
import { workerTuning } from '../../src/worker/worker';
import type { floorHoldWorkflow } from './workflows';

const config = loadConfig(process.env);
const log = createLogger(config.LOG_LEVEL, 'floor');
const db = createSequelize({ url: config.DATABASE_URL, poolMax: config.DATABASE_POOL_MAX, log });

async function worker() {
  hotPathPool(db, config.DATABASE_RESERVE_POOL_MAX);
  const cache = createProductCache(createRedis(config.REDIS_URL, log), log, {
    gateTtlSeconds: config.SOLD_OUT_GATE_TTL_SECONDS,
  });
  const w = await Worker.create({
    connection: await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS }),
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TASK_QUEUE,
    workflowBundle: await bundleWorkflowCode({ workflowsPath: require.resolve('./workflows'), logger: quiet }),
    activities: createActivities({ db, cache, log }),
    ...workerTuning(config),
  });
  process.once('SIGTERM', () => w.shutdown());
  await w.run();
  process.exit(0);
}

async function api() {
  const client = new Client({
    connection: await Connection.connect({ address: config.TEMPORAL_ADDRESS }),
    namespace: config.TEMPORAL_NAMESPACE,
  });
  const nextHoldId = createHoldIdAllocator(db, config.HOLD_ID_BLOCK_SIZE);
  const answer = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const server = http.createServer(async (req, res) => {
    if (req.method !== 'POST' || req.url !== '/api/holds') return answer(res, 404, { message: 'Not found' });
    try {
      let raw = '';
      for await (const chunk of req) raw += chunk;
      const { product_id: productId, quantity } = JSON.parse(raw);
      const holdId = await nextHoldId();
      const start = new WithStartWorkflowOperation<typeof floorHoldWorkflow>('floorHoldWorkflow', {
        workflowId: `floor-${holdId}`,
        taskQueue: config.TASK_QUEUE,
        workflowIdConflictPolicy: 'USE_EXISTING',
        args: [
          {
            holdId,
            productId,
            quantity,
            ttlSeconds: config.HOLD_TTL_SECONDS,
            paymentTimeoutSeconds: config.PAYMENT_TIMEOUT_SECONDS,
            expiresAt: new Date(Date.now() + config.HOLD_TTL_SECONDS * 1000).toISOString(),
          },
        ],
      });
      const hold = await client.withDeadline(Date.now() + config.TEMPORAL_CALL_TIMEOUT_MS, () =>
        client.workflow.executeUpdateWithStart(reserveUpdate, { startWorkflowOperation: start }),
      );
      answer(res, 201, { status: 'success', data: { hold_id: hold.id, hold_expires_at: hold.hold_expires_at } });
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
        return answer(res, 400, { status: 'error', message: err.cause.type });
      }
      log.error({ err }, 'floor hold failed');
      answer(res, 503, { status: 'error', message: 'Service unavailable' });
    }
  });
  server.listen(config.PORT, '127.0.0.1');
  process.once('SIGTERM', () => server.close(() => process.exit(0)));
}

const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
const mode = process.argv[2];
if (mode === 'worker') void worker();
else if (mode === 'api') void api();
else throw new Error('usage: bench/floor/main.ts worker|api');
