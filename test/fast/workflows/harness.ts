import { existsSync } from 'node:fs';
import path from 'node:path';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker, makeTelemetryFilterString } from '@temporalio/worker';
import { reserveUpdate } from '../../../src/shared/messages';
import { searchAttributeDefinitions } from '../../../src/shared/search-attributes';
import type { HoldWorkflowInput } from '../../../src/shared/types';
import { HOLD_WORKFLOW_TYPE, holdStartOptions } from '../../../src/temporal/hold-options';
import type { holdWorkflowV2 } from '../../../src/workflows/hold';
import { createFakeSale, type FakeSale } from './fake-sale';
import { temporalWorkerTracing } from '../../../src/telemetry';

const DEFAULT_SERVER = path.resolve(__dirname, '../../../.run/test-server/bin/temporal-test-server');

/**
 * Temporal's time-skipping test server: timers fire as soon as nothing else is running, so a rule about a 2-minute
 * hold or a 15-minute payment timeout is checked in milliseconds. scripts/test-fast.sh installs it.
 */
export async function startTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const serverPath = process.env.TEMPORAL_TEST_SERVER ?? DEFAULT_SERVER;
  if (!existsSync(serverPath)) {
    throw new Error(`no Temporal test server at ${serverPath}: run \`npm run test:fast\` once, it installs it`);
  }
  try {
    // Activity refusals are expected here; only errors are worth printing.
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }), forward: {} } },
    });
  } catch {
    // Installed by an earlier test file in this process.
  }
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: serverPath } },
  });
  // The workflows write the same search attributes as in production; the test server must know them too.
  const types = temporal.api.enums.v1.IndexedValueType;
  const indexed = {
    Keyword: types.INDEXED_VALUE_TYPE_KEYWORD,
    Int: types.INDEXED_VALUE_TYPE_INT,
    Datetime: types.INDEXED_VALUE_TYPE_DATETIME,
  };
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(
      Object.entries(searchAttributeDefinitions).map(([name, type]) => [name, indexed[type]]),
    ),
  });
  return env;
}

/** A worker on the environment with the bundle built once per run (test/fast/global-setup.ts) and stub activities. */
export function createTestWorker(env: TestWorkflowEnvironment, taskQueue: string, activities: object) {
  return Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! },
    activities,
    ...temporalWorkerTracing(),
  });
}

/**
 * A test file's time-skipping server, fake sale (with `stock` units) and worker on `taskQueue`, started before its
 * tests and torn down after them; the file reads `env` and `sale` from what this returns once its tests run.
 */
export function useFakeSale(taskQueue: string, stock: number) {
  const fake = {} as { env: TestWorkflowEnvironment; sale: FakeSale };
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  beforeAll(async () => {
    fake.env = await startTimeSkippingEnv();
    fake.sale = createFakeSale(() => fake.env.currentTimeMs(), stock);
    worker = await createTestWorker(fake.env, taskQueue, fake.sale.activities);
    running = worker.run();
  });
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await fake.env?.teardown();
  });
  return fake;
}

/**
 * Starts a hold with the service's own start options (id, conflict and reuse policies, search attributes) by
 * Update-with-Start, as the API does when it does not start eagerly. `input` may leave out the instant: it is fixed
 * from the test server's clock, as the API fixes it from its own. Answers the handle and the reservation's outcome
 * (the hold, or the failure the update was refused with).
 */
export async function startHold(
  env: TestWorkflowEnvironment,
  taskQueue: string,
  input: Omit<HoldWorkflowInput, 'expiresAt'> & { expiresAt?: string },
) {
  const expiresAt = input.expiresAt ?? new Date((await env.currentTimeMs()) + input.ttlSeconds * 1000).toISOString();
  const full: HoldWorkflowInput = { ...input, expiresAt };
  const start = new WithStartWorkflowOperation<typeof holdWorkflowV2>(
    HOLD_WORKFLOW_TYPE,
    holdStartOptions(full, taskQueue),
  );
  const reserved = env.client.workflow.executeUpdateWithStart(reserveUpdate, { startWorkflowOperation: start });
  reserved.catch(() => undefined); // a refusal is read by the test that expects it
  return { input: full, handle: await start.workflowHandle(), reserved };
}

/**
 * A test file's own starter of one-unit holds with fresh ids and the service's defaults, each awaited until reserved;
 * `env` is read at each call (the environment starts in the file's beforeAll).
 */
export function reservedHoldStarter(env: () => TestWorkflowEnvironment, taskQueue: string, ttlSeconds: number) {
  let nextHoldId = 1;
  return async (overrides: Partial<HoldWorkflowInput> = {}) => {
    const input = { holdId: nextHoldId++, productId: 1, quantity: 1, ttlSeconds, paymentTimeoutSeconds: 900 };
    const started = await startHold(env(), taskQueue, { ...input, ...overrides });
    return { ...started, hold: await started.reserved };
  };
}
