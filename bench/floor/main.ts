/**
 * The floor's two processes, mirroring the service's: `worker` runs floorHoldWorkflow with the service's worker
 * settings and activities; `api` is the least HTTP server that can start one (Update-with-Start, no gate, no
 * search attributes, no idempotency record), with the service's bound on Temporal calls in flight
 * (TEMPORAL_MAX_IN_FLIGHT, TEMPORAL_QUEUE_TIMEOUT_MS) so that both queue alike. Configured by the service's own
 * environment variables.
 *
 * `eager` is the eager-start variant, in one process: the HTTP server and a worker share one NativeConnection, a
 * plain start asks for eager execution (the frontend refuses it inside Update-with-Start), and the reservation's
 * result comes back in-process from the activity; when the server does not start eagerly the HTTP call waits on an
 * update instead, like `api`.
 *
 *   node --import tsx bench/floor/main.ts worker|api|eager
 */
import http from 'node:http';
import { Client, Connection, WithStartWorkflowOperation, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { NativeConnection, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { QueryTypes } from 'sequelize';
import { createActivities } from '../../src/activities';
import { createProductCache } from '../../src/cache/product-cache';
import { createRedis } from '../../src/cache/redis';
import { loadConfig } from '../../src/config';
import { createHoldIdAllocator } from '../../src/db/ids';
import { settlePayment } from '../../src/db/payments';
import { createSequelize } from '../../src/db/sequelize';
import { createLogger } from '../../src/logger';
import { reserveUpdate } from '../../src/shared/messages';
import { Admission } from '../../src/temporal/admission';
import { ReservationWaiters } from '../../src/temporal/reservation-waiters';
import { handingBackReservations } from '../../src/worker/hold-worker';
import { workerTuning } from '../../src/worker/worker';
import type { HoldView } from '../../src/shared/views';
import { verifySignature } from '../../src/signature';
import { floorHoldWorkflow, floorOrderUpdate, floorPaidSignal, floorWorkflowId } from './workflows';

const config = loadConfig(process.env);
const log = createLogger(config.LOG_LEVEL, 'floor');
const db = createSequelize({ url: config.DATABASE_URL, poolMax: config.DATABASE_POOL_MAX, log });

type Activities = ReturnType<typeof createActivities>;

async function createFloorWorker(connection: NativeConnection, wrap = (a: Activities) => a) {
  const cache = createProductCache(createRedis(config.REDIS_URL, log), log, {
    gateTtlSeconds: config.SOLD_OUT_GATE_TTL_SECONDS,
  });
  const w = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TASK_QUEUE,
    workflowBundle: await bundleWorkflowCode({ workflowsPath: require.resolve('./workflows'), logger: quiet }),
    activities: wrap(createActivities({ db, cache, log })),
    ...workerTuning(config),
  });
  process.once('SIGTERM', () => w.shutdown());
  return w;
}

async function worker() {
  await (await createFloorWorker(await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS }))).run();
  process.exit(0);
}

const holdInput = (holdId: number, productId: number, quantity: number) => ({
  holdId,
  productId,
  quantity,
  ttlSeconds: config.HOLD_TTL_SECONDS,
  paymentTimeoutSeconds: config.PAYMENT_TIMEOUT_SECONDS,
  expiresAt: new Date(Date.now() + config.HOLD_TTL_SECONDS * 1000).toISOString(),
});

const answer = (res: http.ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
};

/** The service's in-flight bound, when it has one: a call waits for a slot, or gives up with a 503. */
const admission =
  config.TEMPORAL_MAX_IN_FLIGHT > 0
    ? new Admission(config.TEMPORAL_MAX_IN_FLIGHT, config.TEMPORAL_QUEUE_TIMEOUT_MS)
    : null;

/**
 * The sale floor refuses a buyer who asks for more than the committed stock with one primary-key read, without
 * Temporal (the service's sold-out gate does no less): a refusal is not part of a unit's life. Off for the holds
 * floor, whose products never run out.
 */
const soldOutRead = process.env.FLOOR_SOLD_OUT_READ === 'true';
const committedStock = async (productId: number) => {
  const [row] = await db.query('SELECT available_stock FROM products WHERE id = :productId', {
    replacements: { productId },
    type: QueryTypes.SELECT,
  });
  return Number((row as { available_stock?: number } | undefined)?.available_stock ?? 0);
};

const readJson = async (req: http.IncomingMessage) => {
  let raw = '';
  for await (const chunk of req) raw += chunk;
  return { raw, body: JSON.parse(raw) };
};

/**
 * Serves POST /api/holds with `reserve`, mapping a business refusal to 400 and anything else to 503; and, for the
 * sale floor, the rest of a unit's life: POST /api/orders (an update on the hold's workflow) and the signed
 * POST /api/payments/webhook (the service's own settlement in MariaDB, then one signal).
 */
function serveHolds(
  client: () => Client,
  unbounded: (productId: number, quantity: number) => Promise<HoldView>,
  stats: () => unknown = () => ({}),
) {
  const bounded = <T>(fn: () => Promise<T>) => (admission ? admission.run(fn) : fn());
  const within = <T>(fn: () => Promise<T>) =>
    bounded(() => client().withDeadline(Date.now() + config.TEMPORAL_CALL_TIMEOUT_MS, fn));
  const routes: Record<string, (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>> = {
    '/api/holds': async (req, res) => {
      const { product_id: productId, quantity } = (await readJson(req)).body;
      if (soldOutRead && (await committedStock(productId)) < quantity) {
        return answer(res, 400, { status: 'error', message: 'INSUFFICIENT_STOCK' });
      }
      const hold = await bounded(() => unbounded(productId, quantity));
      answer(res, 201, { status: 'success', data: { hold_id: hold.id, hold_expires_at: hold.hold_expires_at } });
    },
    '/api/orders': async (req, res) => {
      const { hold_id: holdId } = (await readJson(req)).body;
      const order = await within(() =>
        client().workflow.getHandle(floorWorkflowId(holdId)).executeUpdate(floorOrderUpdate),
      );
      answer(res, 201, { status: 'success', data: order });
    },
    '/api/payments/webhook': async (req, res) => {
      const { raw, body } = await readJson(req);
      if (!verifySignature(config.WEBHOOK_SECRET ?? '', String(req.headers['x-signature'] ?? ''), raw)) {
        return answer(res, 401, { status: 'error', message: 'Invalid signature' });
      }
      const settled = await settlePayment(db, { eventId: body.event_id, orderId: body.order_id, status: body.status });
      if (settled.kind === 'unknown-order' || settled.kind === 'event-reused') {
        return answer(res, settled.kind === 'unknown-order' ? 404 : 409, { status: 'error', message: settled.kind });
      }
      if (settled.kind === 'processed') {
        await within(() => client().workflow.getHandle(floorWorkflowId(settled.order.holdId)).signal(floorPaidSignal));
      }
      answer(res, 200, { status: 'success', data: { order_status: settled.orderStatus } });
    },
  };
  const server = http.createServer(async (req, res) => {
    if (req.method === 'GET' && req.url === '/stats') return answer(res, 200, stats());
    const route = req.method === 'POST' ? routes[req.url ?? ''] : undefined;
    if (!route) return answer(res, 404, { message: 'Not found' });
    try {
      await route(req, res);
    } catch (err) {
      const cause = err instanceof WorkflowUpdateFailedError ? err.cause : err;
      if (cause instanceof ApplicationFailure) return answer(res, 400, { status: 'error', message: cause.type });
      log.error({ err }, 'floor request failed');
      answer(res, 503, { status: 'error', message: 'Service unavailable' });
    }
  });
  server.listen(config.PORT, '127.0.0.1');
  process.once('SIGTERM', () => server.close(() => process.exit(0)));
}

async function eager() {
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  // The reservation's outcome, handed from the activity to the waiting HTTP call in this process, as in the service.
  const waiters = new ReservationWaiters();
  const w = await createFloorWorker(connection, (activities) => handingBackReservations(activities, waiters));
  void w.run();
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const nextHoldId = createHoldIdAllocator(db, config.HOLD_ID_BLOCK_SIZE);
  let eagerStarts = 0;
  let plainStarts = 0;
  serveHolds(
    () => client,
    async (productId, quantity) => {
      const holdId = await nextHoldId();
      const { outcome, done } = waiters.expect(holdId);
      try {
        const handle = await client.workflow.start(floorHoldWorkflow, {
          workflowId: floorWorkflowId(holdId),
          taskQueue: config.TASK_QUEUE,
          args: [holdInput(holdId, productId, quantity)],
          requestEagerStart: true,
        });
        if (handle.eagerlyStarted) {
          eagerStarts++;
          const reserved = await outcome;
          if (reserved.kind === 'held') return reserved.hold;
          throw reserved.failure;
        }
        // Not started eagerly: the task goes through matching, maybe to another worker; ask the workflow itself.
        plainStarts++;
        return await client.withDeadline(Date.now() + config.TEMPORAL_CALL_TIMEOUT_MS, () =>
          handle.executeUpdate(reserveUpdate),
        );
      } finally {
        done();
      }
    },
    () => ({ eager_starts: eagerStarts, plain_starts: plainStarts }),
  );
}

async function api() {
  const client = new Client({
    connection: await Connection.connect({ address: config.TEMPORAL_ADDRESS }),
    namespace: config.TEMPORAL_NAMESPACE,
  });
  const nextHoldId = createHoldIdAllocator(db, config.HOLD_ID_BLOCK_SIZE);
  serveHolds(
    () => client,
    async (productId, quantity) => {
      const holdId = await nextHoldId();
      const start = new WithStartWorkflowOperation<typeof floorHoldWorkflow>('floorHoldWorkflow', {
        workflowId: floorWorkflowId(holdId),
        taskQueue: config.TASK_QUEUE,
        workflowIdConflictPolicy: 'USE_EXISTING',
        args: [holdInput(holdId, productId, quantity)],
      });
      return client.withDeadline(Date.now() + config.TEMPORAL_CALL_TIMEOUT_MS, () =>
        client.workflow.executeUpdateWithStart(reserveUpdate, { startWorkflowOperation: start }),
      );
    },
  );
}

const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
const mode = process.argv[2];
if (mode === 'worker') void worker();
else if (mode === 'api') void api();
else if (mode === 'eager') void eager();
else throw new Error('usage: bench/floor/main.ts worker|api|eager');
