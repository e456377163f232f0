import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client, Connection, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createLogger } from '../../src/logger';
import { temporalLogger } from '../../src/worker/temporal-logger';
import type { Activities } from '../../src/activities';
import type { OutboundEvent } from '../../src/shared/events';
import { extendHoldUpdate, placeOrderUpdate, reserveUpdate } from '../../src/shared/messages';
import type { HoldWorkflowInput } from '../../src/shared/types';
import type { HoldView, OrderView } from '../../src/shared/views';
import { holdWorkflowId, orderWorkflowId } from '../../src/shared/workflow-ids';
import { waitFor } from '../helpers/wait';

/**
 * The hold and order workflows' event and extension rules with stub activities (no database): each rule in about a
 * second against the test Temporal server.
 */
let connection: Connection;
let workerConnection: NativeConnection;
let client: Client;
const workflowBundle = () => ({ code: readFileSync(process.env.TEST_WORKFLOW_BUNDLE!, 'utf8') });

beforeAll(async () => {
  try {
    Runtime.install({ logger: temporalLogger(createLogger('warn', 'temporal-test')) });
  } catch {
    // Installed by an earlier test file in this process.
  }
  const address = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
  connection = await Connection.connect({ address });
  workerConnection = await NativeConnection.connect({ address });
  client = new Client({ connection, namespace: process.env.TEMPORAL_NAMESPACE });
});
afterAll(async () => {
  await connection.close();
  await workerConnection.close();
});

const iso = (ms: number) => new Date(ms).toISOString();

/** Stub activities over an in-memory hold; `deliverEvent` records what it is given and can fail on demand. */
function stubs(opts: { failDeliveries?: number } = {}) {
  const delivered: OutboundEvent[] = [];
  let failures = opts.failDeliveries ?? 0;
  const calls: string[] = [];
  let hold: HoldView;
  const order = (status: OrderView['status']): OrderView => ({
    id: hold.id + 1000,
    hold_id: hold.id,
    status,
    payment_idempotency_key: null,
    refund_due: false,
    customer_id: null,
    amount: 2100,
    currency: 'usd',
    created_at: iso(Date.now()),
    updated_at: iso(Date.now()),
  });
  const activities: Partial<Activities> = {
    async reserveStock(input) {
      const now = Date.now();
      hold = {
        id: input.holdId,
        product_id: input.productId,
        quantity: input.quantity,
        customer_id: input.customerId ?? null,
        hold_expires_at: iso(now + input.ttlSeconds * 1000),
        released_at: null,
        used_at: null,
        created_at: iso(now),
        updated_at: iso(now),
      };
      return hold;
    },
    async releaseHold(_holdId, reason) {
      calls.push(`release:${reason}`);
      hold = { ...hold, released_at: iso(Date.now()) };
      return { released: true, hold };
    },
    async extendHold(x) {
      calls.push(`extend:${x.seconds}`);
      if (x.seconds > x.maxTotalSeconds) throw ApplicationFailure.nonRetryable('limit', 'ExtensionLimit');
      hold = { ...hold, hold_expires_at: iso(Date.parse(x.fromExpiresAt) + x.seconds * 1000) };
      return hold;
    },
    async createOrder() {
      calls.push('order');
      hold = { ...hold, used_at: iso(Date.now()) };
      return order('pending');
    },
    async cancelUnpaidOrder() {
      calls.push('cancel');
      return 'cancelled';
    },
    async readOrder() {
      return order('cancelled');
    },
    async deliverEvent(event) {
      if (failures-- > 0) throw new Error('receiver down');
      delivered.push(event);
    },
    async markUndeliverable() {},
  };
  return { activities, delivered, calls };
}

async function withWorker<T>(activities: Partial<Activities>, fn: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = `hold-life-${randomUUID()}`;
  const worker = await Worker.create({
    connection: workerConnection,
    namespace: process.env.TEMPORAL_NAMESPACE,
    taskQueue,
    workflowBundle: workflowBundle(),
    activities,
  });
  return worker.runUntil(fn(taskQueue));
}

let nextHoldId = Math.floor(Math.random() * 1e9) + 1e9;
async function startHold(taskQueue: string, over: Partial<HoldWorkflowInput> = {}) {
  const input: HoldWorkflowInput = {
    holdId: nextHoldId++,
    productId: 1,
    quantity: 1,
    ttlSeconds: 2,
    paymentTimeoutSeconds: 1,
    ...over,
  };
  const handle = await client.workflow.start('holdWorkflowV2', {
    workflowId: holdWorkflowId(input.holdId),
    taskQueue,
    args: [input],
  });
  const hold = await handle.executeUpdate(reserveUpdate);
  return { handle, hold, input };
}

const activityTypes = async (workflowId: string) =>
  ((await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [])
    .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
    .filter(Boolean);

describe('hold workflow (stub activities)', () => {
  test('without event settings a hold schedules no event work at all', async () => {
    const { activities, delivered } = stubs();
    await withWorker(activities, async (tq) => {
      const { handle } = await startHold(tq, { ttlSeconds: 1 });
      await handle.result();
      expect(delivered).toEqual([]);
      expect(await activityTypes(handle.workflowId)).toEqual([]);
    });
  });

  test('a hold that expires reports hold.created then hold.expired, retried past a failing receiver', async () => {
    const { activities, delivered } = stubs({ failDeliveries: 2 });
    await withWorker(activities, async (tq) => {
      const { handle, hold } = await startHold(tq, { ttlSeconds: 1, events: { retryHours: 1 } });
      await handle.result();
      expect(delivered.map((e) => e.type)).toEqual(['hold.created', 'hold.expired']);
      expect(delivered.map((e) => e.id)).toEqual([`hold.created:${hold.id}`, `hold.expired:${hold.id}`]);
    });
  });

  test('an ordered hold reports its events before its order reports any', async () => {
    const { activities, delivered } = stubs({ failDeliveries: 1 });
    await withWorker(activities, async (tq) => {
      const { handle } = await startHold(tq, { ttlSeconds: 30, events: { retryHours: 1 } });
      const order = await handle.executeUpdate(placeOrderUpdate, { updateId: 'o1' });
      await handle.result();
      await client.workflow.getHandle(orderWorkflowId(order.id)).result();
      expect(delivered.map((e) => e.type)).toEqual(['hold.created', 'order.created', 'order.cancelled']);
    });
  });

  test('an extension moves the timer: the hold expires only at its new expiry', async () => {
    const { activities, calls } = stubs();
    await withWorker(activities, async (tq) => {
      const { handle, hold } = await startHold(tq, { ttlSeconds: 1 });
      const extended = await handle.executeUpdate(extendHoldUpdate, { args: [{ seconds: 2, maxTotalSeconds: 10 }] });
      expect(Date.parse(extended.hold_expires_at)).toBe(Date.parse(hold.hold_expires_at) + 2000);
      await handle.result();
      const description = await handle.describe();
      expect(description.closeTime!.getTime()).toBeGreaterThanOrEqual(Date.parse(extended.hold_expires_at));
      expect(calls).toEqual(['extend:2', 'release:expired']);
    });
  });

  test('an extension refused by the database leaves the timer where it was', async () => {
    const { activities, calls } = stubs();
    await withWorker(activities, async (tq) => {
      const { handle } = await startHold(tq, { ttlSeconds: 2 });
      const refused = handle.executeUpdate(extendHoldUpdate, { args: [{ seconds: 20, maxTotalSeconds: 10 }] });
      await expect(refused).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
      await waitFor('the hold to expire', async () => calls.includes('release:expired'), 10_000);
      await handle.result();
    });
  });

  test('an extension of an ordered hold is refused by the validator (nothing in history)', async () => {
    // A receiver failing for a while keeps the workflow open (delivering) after the order.
    const { activities, calls } = stubs({ failDeliveries: 3 });
    await withWorker(activities, async (tq) => {
      const { handle } = await startHold(tq, { ttlSeconds: 30, events: { retryHours: 1 } });
      await handle.executeUpdate(placeOrderUpdate, { updateId: 'o1' });
      const err = await handle
        .executeUpdate(extendHoldUpdate, { args: [{ seconds: 1, maxTotalSeconds: 10 }] })
        .catch((e: WorkflowUpdateFailedError) => e);
      expect((err as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'HoldUsed' });
      expect(calls).not.toContain('extend:1');
    });
  });
});
