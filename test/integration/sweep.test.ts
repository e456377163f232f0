import { randomUUID } from 'node:crypto';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { QueryTypes } from 'sequelize';
import { sweepTaskQueue } from '../../src/config';
import { sqlTime } from '../../src/db/time';
import { ensureSweepSchedule } from '../../src/worker/schedule';
import { availableStock, createProduct, expectConserved } from '../../harness/fixtures';
import { startStack, type Stack } from '../../harness/stack';
import { waitFor } from '../../harness/wait';
import { pendingOrder, postHold, workflowStarted } from './support/purchase';
import { countRows } from './support/rows';

let stack: Stack;
const scheduleId = `test-sweep-${randomUUID()}`;
beforeAll(async () => {
  stack = await startStack({ HOLD_TTL_SECONDS: '2', SWEEP_GRACE_SECONDS: '0' });
});
afterAll(async () => {
  await stack.client.schedule
    .getHandle(scheduleId)
    .delete()
    .catch(() => undefined);
  await stack.close();
});

/** Sets the sweep Schedule `id` up to start a run every `intervalSeconds` on `taskQueue`. */
const ensureOn = (id: string, taskQueue: string, intervalSeconds: number) =>
  ensureSweepSchedule(stack.client, {
    scheduleId: id,
    taskQueue,
    intervalSeconds,
    input: { graceSeconds: 0, paymentTimeoutSeconds: stack.config.PAYMENT_TIMEOUT_SECONDS, batchSize: 7 },
  });
const ensure = (intervalSeconds: number) => ensureOn(scheduleId, sweepTaskQueue(stack.config), intervalSeconds);
/** How many holds of the product are as `where` says. */
const holdsOf = (productId: number, where: string) =>
  countRows(stack.db, `SELECT COUNT(*) AS n FROM holds WHERE product_id = ? AND ${where}`, productId);

describe('backup sweep', () => {
  test('the schedule is created once and updated in place, with overlap SKIP and a small catch-up window', async () => {
    expect(await ensure(30)).toBe('created');
    expect(await ensure(1)).toBe('updated');
    const d = await stack.client.schedule.getHandle(scheduleId).describe();
    expect(d.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
    expect(d.policies.catchupWindow).toBeLessThanOrEqual(60_000);
    expect(d.spec.intervals?.[0].every).toBe(1000);
    expect(d.action.workflowType).toBe('sweepWorkflow');
    // Its watch (none here) and the 5-minute overtime, plus two minutes: a run that cannot end times out.
    expect(d.action.type === 'startWorkflow' && d.action.workflowExecutionTimeout).toBe(420_000);
  });

  test('a run stranded on a task queue nobody polls is ended when a worker points the Schedule at its own', async () => {
    const id = `test-sweep-stranded-${randomUUID()}`;
    const handle = stack.client.schedule.getHandle(id);
    try {
      // A deployment whose task queue no worker polls any more: its run never gets a workflow task.
      expect(await ensureOn(id, `nobody-polls-${randomUUID()}`, 1)).toBe('created');
      const stranded = await waitFor('the first run', async () => (await handle.describe()).info.runningActions[0]);
      const strandedRun = stack.client.workflow.getHandle(
        stranded!.workflow.workflowId,
        stranded!.workflow.firstExecutionRunId,
      );
      // Overlap SKIP: every later tick is skipped behind it, until a worker on another queue takes the Schedule.
      expect(await ensureOn(id, sweepTaskQueue(stack.config), 1)).toBe('moved');
      expect((await strandedRun.describe()).status.name).toBe('TERMINATED');
      await waitFor(
        'a run on the polled queue to complete',
        async () => {
          const { recentActions } = (await handle.describe()).info;
          const runs = recentActions.filter(
            (a) => a.action.workflow.firstExecutionRunId !== stranded!.workflow.firstExecutionRunId,
          );
          const last = runs.at(-1);
          if (!last) return false;
          const run = stack.client.workflow.getHandle(
            last.action.workflow.workflowId,
            last.action.workflow.firstExecutionRunId,
          );
          const described = await run.describe();
          return described.taskQueue === sweepTaskQueue(stack.config) && described.status.name === 'COMPLETED';
        },
        20_000,
      );
    } finally {
      await handle.delete().catch(() => undefined);
    }
  }, 40_000);

  test('sweep and hold timers racing on the same expired holds release each exactly once', async () => {
    const productId = await createProduct(stack, 100);
    const replies = await Promise.all(Array.from({ length: 20 }, () => postHold(stack, productId, 5)));
    expect(replies.map((r) => r.status)).toEqual(Array(20).fill(201));
    const ids: number[] = replies.map((r) => r.body.data.hold_id);
    await expectConserved(stack.db, productId, 100);
    // With the worker down the timers cannot fire; the holds lapse in the database meanwhile.
    await stack.stopWorker();
    await waitFor('holds to lapse', async () => (await holdsOf(productId, 'hold_expires_at < NOW(3)')) === 20);
    // Back up: every overdue hold timer and the 1 s sweep schedule now race for the same rows.
    await stack.startWorker();
    await waitFor('all holds released', async () => (await holdsOf(productId, 'released_at IS NULL')) === 0, 30_000);
    await waitFor(
      'hold workflows to finish',
      async () => {
        const states = await Promise.all(
          ids.map(async (id) => (await stack.client.workflow.getHandle(`hold-${id}`).describe()).status.name),
        );
        return states.every((s) => s === 'COMPLETED');
      },
      30_000,
    );
    expect(await availableStock(stack.db, productId)).toBe(100);
    await expectConserved(stack.db, productId, 100);
    const reasons = await stack.db.query<{ release_reason: string; n: number }>(
      'SELECT release_reason, COUNT(*) AS n FROM holds WHERE product_id = ? GROUP BY release_reason',
      { replacements: [productId], type: QueryTypes.SELECT },
    );
    const total = reasons.reduce((sum, r) => sum + Number(r.n), 0);
    expect(total).toBe(20);
  });

  test('the sweep cancels a pending order whose workflow never ran, and returns its stock once', async () => {
    const { productId, orderId } = await pendingOrder(stack, 10, 3);
    // Simulate a lost order workflow: terminate it before its payment timer fires. The hold's workflow starts it
    // as a child after the order's 201, so it may not exist yet.
    await workflowStarted(stack, `order-${orderId}`, 10_000);
    await stack.client.workflow.getHandle(`order-${orderId}`).terminate('test: simulate a lost order workflow');
    await waitFor(
      'sweep to cancel the order',
      async () => (await stack.http.get(`/api/orders/${orderId}`)).body.status === 'cancelled',
      30_000,
    );
    expect(await availableStock(stack.db, productId)).toBe(10);
    await expectConserved(stack.db, productId, 10);
  });

  test('a watching sweep gives back holds that lapse after it started, within seconds, with no timer of theirs', async () => {
    const productId = await createProduct(stack, 10);
    // Held holds with no workflow behind them: only the sweep can release them.
    const expires = new Date(Date.now() + 2_000);
    const ids: number[] = [];
    for (const quantity of [2, 3]) {
      const [{ id }] = await stack.db.query<{ id: number }>('SELECT NEXTVAL(hold_ids) AS id', {
        type: QueryTypes.SELECT,
      });
      ids.push(Number(id));
      await stack.db.query(
        `INSERT INTO holds (id, product_id, quantity, hold_expires_at, created_at, updated_at)
         VALUES (:id, :productId, :quantity, :expires, NOW(3), NOW(3))`,
        { replacements: { id: Number(id), productId, quantity, expires: sqlTime(expires) } },
      );
      await stack.db.query('UPDATE products SET available_stock = available_stock - :quantity WHERE id = :productId', {
        replacements: { quantity, productId },
      });
    }
    await expectConserved(stack.db, productId, 10);
    const run = await stack.client.workflow.start('sweepWorkflow', {
      workflowId: `test-watching-sweep-${randomUUID()}`,
      taskQueue: sweepTaskQueue(stack.config),
      args: [{ graceSeconds: 0, paymentTimeoutSeconds: 900, batchSize: 50, watchSeconds: 30 }],
    });
    try {
      const released = await waitFor(
        'the watcher to release both holds',
        async () => {
          const rows = await stack.db.query<{ released_at: Date; release_reason: string }>(
            'SELECT released_at, release_reason FROM holds WHERE id IN (:ids) AND released_at IS NOT NULL',
            { replacements: { ids }, type: QueryTypes.SELECT },
          );
          return rows.length === 2 ? rows : null;
        },
        15_000,
      );
      expect(released!.map((r) => r.release_reason)).toEqual(['sweep', 'sweep']);
      for (const r of released!) expect(new Date(r.released_at).getTime() - expires.getTime()).toBeLessThan(5_000);
      // Still watching: one pass would have found nothing (the holds had not lapsed) and finished.
      expect((await run.describe()).status.name).toBe('RUNNING');
      expect(await availableStock(stack.db, productId)).toBe(10);
      await expectConserved(stack.db, productId, 10);
    } finally {
      await run.terminate('test over');
    }
  }, 40_000);
});
