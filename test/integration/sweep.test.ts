import { randomUUID } from 'node:crypto';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { QueryTypes } from 'sequelize';
import { sweepTaskQueue } from '../../src/config';
import { ensureSweepSchedule } from '../../src/worker/schedule';
import { availableStock, createProduct, expectConserved } from '../helpers/fixtures';
import { startStack, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';

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

const ensure = (intervalSeconds: number) =>
  ensureSweepSchedule(stack.client, {
    scheduleId,
    taskQueue: sweepTaskQueue(stack.config),
    intervalSeconds,
    input: { graceSeconds: 0, paymentTimeoutSeconds: stack.config.PAYMENT_TIMEOUT_SECONDS, batchSize: 7 },
  });

describe('backup sweep', () => {
  test('the schedule is created once and updated in place, with overlap SKIP and a small catch-up window', async () => {
    expect(await ensure(30)).toBe('created');
    expect(await ensure(1)).toBe('updated');
    const d = await stack.client.schedule.getHandle(scheduleId).describe();
    expect(d.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
    expect(d.policies.catchupWindow).toBeLessThanOrEqual(60_000);
    expect(d.spec.intervals?.[0].every).toBe(1000);
    expect(d.action.workflowType).toBe('sweepWorkflow');
  });

  test('sweep and hold timers racing on the same expired holds release each exactly once', async () => {
    const productId = await createProduct(stack, 100);
    const replies = await Promise.all(
      Array.from({ length: 20 }, () => stack.http.post('/api/holds', { product_id: productId, quantity: 5 })),
    );
    expect(replies.map((r) => r.status)).toEqual(Array(20).fill(201));
    const ids: number[] = replies.map((r) => r.body.data.hold_id);
    await expectConserved(stack.db, productId, 100);
    // With the worker down the timers cannot fire; the holds lapse in the database meanwhile.
    await stack.stopWorker();
    await waitFor('holds to lapse', async () => {
      const [{ n }] = await stack.db.query<{ n: number }>(
        'SELECT COUNT(*) AS n FROM holds WHERE product_id = ? AND hold_expires_at < NOW(3)',
        { replacements: [productId], type: QueryTypes.SELECT },
      );
      return Number(n) === 20;
    });
    // Back up: every overdue hold timer and the 1 s sweep schedule now race for the same rows.
    await stack.startWorker();
    await waitFor(
      'all holds released',
      async () => {
        const [{ n }] = await stack.db.query<{ n: number }>(
          'SELECT COUNT(*) AS n FROM holds WHERE product_id = ? AND released_at IS NULL',
          { replacements: [productId], type: QueryTypes.SELECT },
        );
        return Number(n) === 0;
      },
      30_000,
    );
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
    const productId = await createProduct(stack, 10);
    const hold = (await stack.http.post('/api/holds', { product_id: productId, quantity: 3 })).body.data;
    const order = (await stack.http.post('/api/orders', { hold_id: hold.hold_id })).body.data;
    // Simulate a lost order workflow: terminate it before its payment timer fires.
    await stack.client.workflow.getHandle(`order-${order.id}`).terminate('test: simulate a lost order workflow');
    await waitFor(
      'sweep to cancel the order',
      async () => (await stack.http.get(`/api/orders/${order.id}`)).body.status === 'cancelled',
      30_000,
    );
    expect(await availableStock(stack.db, productId)).toBe(10);
    await expectConserved(stack.db, productId, 10);
  });
});
