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
import { orderWorkflowId } from '../../../src/shared/workflow-ids';
import { FakeSale } from './fake-sale';
import { temporalWorkerTracing } from '../../../src/telemetry';

/** The hold length the holds `useFakeSale` starts get unless told otherwise (the service's default). */
export const TTL_SECONDS = 120;
/** Event settings that turn a hold's outbound events on. */
export const EVENTS = { retryHours: 1 };
/** An instant of a view, in ms. */
export const ms = (iso: string | null | undefined) => Date.parse(iso!);

const DEFAULT_SERVER = path.resolve(__dirname, '../../../.run/test-server/bin/temporal-test-server');

/**
 * Temporal's time-skipping test server: timers fire as soon as nothing else is running, so a rule about a 2-minute
 * hold or a 15-minute payment timeout is checked in milliseconds. scripts/test-fast.sh installs it.
 */
async function startTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
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

/**
 * A test file's time-skipping server, fake sale (with `stock` units) and worker on `taskQueue`, started before its
 * tests and torn down after them; the file reads `env` and `sale` from what this returns once its tests run, and
 * starts its holds through it.
 */
export function useFakeSale(taskQueue: string, stock: number) {
  let nextHoldId = 1;
  const fake = {
    env: undefined as unknown as TestWorkflowEnvironment,
    sale: undefined as unknown as FakeSale,
    /**
     * A hold with a fresh id and the service's defaults, started with the service's own start options (id, conflict
     * and reuse policies, search attributes) by Update-with-Start, as the API does when it does not start eagerly. The
     * instant, unless given, is fixed from the test server's clock, as the API fixes it from its own. Answers the
     * handle and the reservation's outcome (the hold, or the failure the update was refused with).
     */
    startHold: async (overrides: Partial<HoldWorkflowInput> = {}) => {
      const { env } = fake;
      const ttlSeconds = overrides.ttlSeconds ?? TTL_SECONDS;
      const full: HoldWorkflowInput = {
        holdId: nextHoldId++,
        productId: 1,
        quantity: 1,
        ttlSeconds,
        paymentTimeoutSeconds: 900,
        expiresAt: new Date((await env.currentTimeMs()) + ttlSeconds * 1000).toISOString(),
        ...overrides,
      };
      const start = new WithStartWorkflowOperation<typeof holdWorkflowV2>(
        HOLD_WORKFLOW_TYPE,
        holdStartOptions(full, taskQueue),
      );
      const reserved = env.client.workflow.executeUpdateWithStart(reserveUpdate, { startWorkflowOperation: start });
      reserved.catch(() => undefined); // a refusal is read by the test that expects it
      return { holdId: full.holdId, input: full, handle: await start.workflowHandle(), reserved };
    },
    /** The same, awaited until reserved. */
    reserveHold: async (overrides: Partial<HoldWorkflowInput> = {}) => {
      const started = await fake.startHold(overrides);
      return { ...started, hold: await started.reserved };
    },
    /** The events of a workflow's history so far. */
    history: async (workflowId: string) =>
      (await fake.env.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [],
    /** The workflow of an order (the hold's workflow starts it). */
    orderWorkflow: (orderId: number) => fake.env.client.workflow.getHandle(orderWorkflowId(orderId)),
  };
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  beforeAll(async () => {
    fake.env = await startTimeSkippingEnv();
    fake.sale = new FakeSale(() => fake.env.currentTimeMs(), stock);
    // The bundle is built once per run (test/fast/global-setup.ts); the activities are the fake's.
    worker = await Worker.create({
      connection: fake.env.nativeConnection,
      namespace: fake.env.namespace ?? 'default',
      taskQueue,
      workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! },
      activities: fake.sale.activities,
      ...temporalWorkerTracing(),
    });
    running = worker.run();
  });
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await fake.env?.teardown();
  });
  return fake;
}
