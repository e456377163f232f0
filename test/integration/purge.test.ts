import { randomUUID } from 'node:crypto';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { QueryTypes } from 'sequelize';
import { sweepTaskQueue } from '../../src/config';
import { sqlTime } from '../../src/db/time';
import type { PurgeResult } from '../../src/shared/retention';
import { ensurePurgeSchedule, purgeScheduleSettings } from '../../src/worker/schedule';
import { createProduct } from '../../harness/fixtures';
import { startStack, type Stack } from '../../harness/stack';
import { waitFor } from '../../harness/wait';

/**
 * Retention against the real MariaDB and Temporal: old closed rows and rows that must stay are written straight into
 * the database, then the purge Schedule is triggered and its run's outcome checked row by row.
 */

let stack: Stack;
const scheduleId = `test-purge-${randomUUID()}`;
const RETENTION_DAYS = 30;
const DELIVERY_RETENTION_DAYS = 7;
const DAY_MS = 86_400_000;
const daysAgo = (days: number) => sqlTime(new Date(Date.now() - days * DAY_MS));
const tag = randomUUID().slice(0, 8);

beforeAll(async () => {
  stack = await startStack({
    RETENTION_DAYS: String(RETENTION_DAYS),
    DELIVERY_RETENTION_DAYS: String(DELIVERY_RETENTION_DAYS),
    // Small batches, so every delete loops over several of them.
    PURGE_BATCH_SIZE: '2',
  });
});
afterAll(async () => {
  await stack.client.schedule
    .getHandle(scheduleId)
    .delete()
    .catch(() => undefined);
  await stack.close();
});

const sql = (query: string, replacements: Record<string, unknown>) => stack.db.query(query, { replacements });
const exists = async (table: string, column: string, value: unknown) => {
  const rows = await stack.db.query(`SELECT 1 FROM ${table} WHERE ${column} = :value`, {
    replacements: { value },
    type: QueryTypes.SELECT,
  });
  return rows.length > 0;
};

interface HoldRow {
  ageDays: number;
  released?: boolean;
  used?: boolean;
}

async function insertHold(productId: number, h: HoldRow): Promise<number> {
  const [{ id }] = await stack.db.query<{ id: number }>('SELECT NEXTVAL(hold_ids) AS id', { type: QueryTypes.SELECT });
  const at = daysAgo(h.ageDays);
  await sql(
    `INSERT INTO holds (id, product_id, quantity, hold_expires_at, released_at, used_at, release_reason, created_at,
       updated_at)
     VALUES (:id, :productId, 1, :at, :released, :used, :reason, :at, :at)`,
    {
      id: Number(id),
      productId,
      at,
      released: h.released ? at : null,
      used: h.used ? at : null,
      reason: h.released ? 'expired' : null,
    },
  );
  return Number(id);
}

interface OrderRow {
  ageDays: number;
  status: 'pending' | 'completed' | 'cancelled';
  refund?: 'owed' | 'refunded';
}

/** An order, its hold (used; released too when cancelled) and a payment event plus a late one. */
async function insertOrder(productId: number, o: OrderRow): Promise<{ orderId: number; holdId: number }> {
  const holdId = await insertHold(productId, { ageDays: o.ageDays, used: true, released: o.status === 'cancelled' });
  const at = daysAgo(o.ageDays);
  const [orderId] = await stack.db.query(
    `INSERT INTO orders (hold_id, status, amount, currency, refund_due_at, refunded_at, created_at, updated_at)
     VALUES (:holdId, :status, 1050, 'usd', :due, :refunded, :at, :at)`,
    {
      replacements: {
        holdId,
        status: o.status,
        at,
        due: o.refund ? at : null,
        refunded: o.refund === 'refunded' ? at : null,
      },
      type: QueryTypes.INSERT,
    },
  );
  for (const late of [0, 1]) {
    await sql(
      `INSERT INTO payment_events (event_id, order_id, status, late, created_at)
       VALUES (:eventId, :orderId, 'paid', :late, :at)`,
      { eventId: `evt-${tag}-${orderId}-${late}`, orderId, late, at },
    );
  }
  return { orderId: Number(orderId), holdId };
}

const insertKey = (key: string, ageHours: number) =>
  sql(
    `INSERT INTO idempotency_keys (scope, idempotency_key, request_hash, created_at)
     VALUES ('holds', :key, REPEAT('0', 64), :at)`,
    { key, at: sqlTime(new Date(Date.now() - ageHours * 3_600_000)) },
  );

const insertDelivery = (eventId: string, status: string, ageDays: number) =>
  sql(
    `INSERT INTO event_deliveries (event_id, type, status, attempts, updated_at)
     VALUES (:eventId, 'order.completed', :status, 1, :at)`,
    { eventId, status, at: daysAgo(ageDays) },
  );

/** Triggers the Schedule now and returns its run's result. */
async function triggerPurge(): Promise<PurgeResult> {
  const handle = stack.client.schedule.getHandle(scheduleId);
  const before = (await handle.describe()).info.recentActions.length;
  await handle.trigger();
  const action = await waitFor('the purge schedule to start a run', async () => {
    const actions = (await handle.describe()).info.recentActions;
    return actions.length > before ? actions[actions.length - 1] : null;
  });
  return stack.client.workflow.getHandle(action!.action.workflow.workflowId).result();
}

describe('retention purge', () => {
  test('the schedule is created once, updated in place, runs purgeWorkflow on the sweep queue with overlap SKIP', async () => {
    const settings = { ...purgeScheduleSettings(stack.config), scheduleId, intervalSeconds: 86_400 };
    expect(await ensurePurgeSchedule(stack.client, settings)).toBe('created');
    expect(await ensurePurgeSchedule(stack.client, { ...settings, intervalSeconds: 3_600 })).toBe('updated');
    const d = await stack.client.schedule.getHandle(scheduleId).describe();
    expect(d.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
    expect(d.spec.intervals?.[0].every).toBe(3_600_000);
    expect(d.action.type).toBe('startWorkflow');
    if (d.action.type !== 'startWorkflow') return;
    expect(d.action.workflowType).toBe('purgeWorkflow');
    expect(d.action.taskQueue).toBe(sweepTaskQueue(stack.config));
    // A run stranded on a queue nobody polls cannot hold the Schedule back for ever (overlap SKIP).
    expect(d.action.workflowExecutionTimeout).toBe(6 * 3_600_000);
    expect(d.action.args).toEqual([
      { retentionDays: RETENTION_DAYS, deliveryRetentionDays: DELIVERY_RETENTION_DAYS, batchSize: 2 },
    ]);
  });

  test('a run deletes exactly the old closed rows, with their dependants, and keeps open, owed and recent ones', async () => {
    // The test database outlives a run: a first purge takes what earlier runs left past retention (a key of
    // yesterday's run is past its 24 h today), so the counts below are this test's own.
    await triggerPurge();
    const productId = await createProduct(stack, 100);
    const old = RETENTION_DAYS + 5;
    const recent = RETENTION_DAYS - 5;
    const gone = {
      releasedHolds: [
        await insertHold(productId, { ageDays: old, released: true }),
        await insertHold(productId, { ageDays: old, released: true }),
        await insertHold(productId, { ageDays: old, released: true }),
      ],
      orders: [
        await insertOrder(productId, { ageDays: old, status: 'completed' }),
        await insertOrder(productId, { ageDays: old, status: 'cancelled' }),
        await insertOrder(productId, { ageDays: old, status: 'completed' }),
        await insertOrder(productId, { ageDays: old, status: 'cancelled', refund: 'refunded' }),
      ],
    };
    const kept = {
      holds: [
        await insertHold(productId, { ageDays: old }), // still held: never purged, however old
        await insertHold(productId, { ageDays: recent, released: true }),
      ],
      orders: [
        await insertOrder(productId, { ageDays: old, status: 'pending' }),
        await insertOrder(productId, { ageDays: old, status: 'cancelled', refund: 'owed' }),
        await insertOrder(productId, { ageDays: recent, status: 'completed' }),
      ],
    };
    await insertKey(`old-${tag}-1`, 25);
    await insertKey(`old-${tag}-2`, 48);
    await insertKey(`old-${tag}-3`, 24 * 40);
    await insertKey(`new-${tag}`, 23);
    await insertDelivery(`delivered-old-${tag}`, 'delivered', DELIVERY_RETENTION_DAYS + 1);
    await insertDelivery(`undeliverable-old-${tag}`, 'undeliverable', old);
    await insertDelivery(`delivered-new-${tag}`, 'delivered', DELIVERY_RETENTION_DAYS - 1);
    await insertDelivery(`undeliverable-new-${tag}`, 'undeliverable', DELIVERY_RETENTION_DAYS + 1);
    await insertDelivery(`retrying-${tag}`, 'retrying', old);

    const result = await triggerPurge();
    // Other test files share the database but write only recent rows.
    expect(result).toEqual({ idempotencyKeys: 3, deliveries: 2, orders: 4, holds: 3 + 4 });

    for (const id of gone.releasedHolds) expect(await exists('holds', 'id', id)).toBe(false);
    for (const o of gone.orders) {
      expect(await exists('orders', 'id', o.orderId)).toBe(false);
      expect(await exists('holds', 'id', o.holdId)).toBe(false);
      expect(await exists('payment_events', 'order_id', o.orderId)).toBe(false);
    }
    for (const id of kept.holds) expect(await exists('holds', 'id', id)).toBe(true);
    for (const o of kept.orders) {
      expect(await exists('orders', 'id', o.orderId)).toBe(true);
      expect(await exists('holds', 'id', o.holdId)).toBe(true);
      expect(await exists('payment_events', 'event_id', `evt-${tag}-${o.orderId}-1`)).toBe(true);
    }
    for (const key of [1, 2, 3])
      expect(await exists('idempotency_keys', 'idempotency_key', `old-${tag}-${key}`)).toBe(false);
    expect(await exists('idempotency_keys', 'idempotency_key', `new-${tag}`)).toBe(true);
    for (const id of ['delivered-old', 'undeliverable-old'])
      expect(await exists('event_deliveries', 'event_id', `${id}-${tag}`)).toBe(false);
    for (const id of ['delivered-new', 'undeliverable-new', 'retrying'])
      expect(await exists('event_deliveries', 'event_id', `${id}-${tag}`)).toBe(true);
    expect(await exists('products', 'id', productId)).toBe(true);

    // A second run finds nothing more of this test's rows: every delete is conditional.
    expect(await triggerPurge()).toEqual({ idempotencyKeys: 0, deliveries: 0, orders: 0, holds: 0 });
  }, 60_000);
});
