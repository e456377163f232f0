import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { temporal } from '@temporalio/proto';
import { placeOrderUpdate } from '../../src/shared/messages';
import { createLogger } from '../../src/logger';
import { createFlashSaleWorker } from '../../src/worker/worker';
import { availableStock, createProduct, expectConserved } from '../../harness/fixtures';
import { waitFor } from '../../harness/wait';
import { startHoldWorkflow, temporalProxy, useStack } from './support/stack';

/**
 * HOLD_EAGER_START: the API process runs a hold worker itself and starts holds eagerly on it. No worker process runs
 * for the first tests, so every hold and refusal there went through the API's own worker; orders are scheduled
 * activities, which only worker processes run.
 */
const stack = useStack({ HOLD_EAGER_START: 'true', HOLD_TTL_SECONDS: '2' }, { worker: false, holdWorker: true });

describe('eager start (HOLD_EAGER_START=true, no worker process)', () => {
  test('holds are started eagerly and answered in-process: exactly the stock is held, the rest refused by name', async () => {
    const productId = await createProduct(stack, 5);
    const before = { ...stack.api.holdStarts };
    const replies = await Promise.all(
      Array.from({ length: 8 }, () => stack.http.post('/api/holds', { product_id: productId, quantity: 1 })),
    );
    const created = replies.filter((r) => r.status === 201);
    const refused = replies.filter((r) => r.status === 400);
    expect([created.length, refused.length]).toEqual([5, 3]);
    for (const r of refused) expect(r.body.message).toBe('Insufficient stock available. Only 0 units remaining.');
    const ids = created.map((r) => r.body.data.hold_id);
    const rows = await stack.db.query(`SELECT id FROM holds WHERE id IN (${ids.join(',')})`);
    expect(rows[0]).toHaveLength(5);
    // The gate may answer some refusals without Temporal; every hold that did start, started eagerly here.
    expect(stack.api.holdStarts.eager - before.eager).toBeGreaterThanOrEqual(5);
    expect(stack.api.holdStarts.update_with_start).toBe(before.update_with_start);
    expect(await availableStock(stack.db, productId)).toBe(0);
    await expectConserved(stack.db, productId, 5);
  });

  test('a retry with the same Idempotency-Key gets the same hold, through the workflow', async () => {
    const productId = await createProduct(stack, 3);
    const headers = { 'Idempotency-Key': `eager-${Date.now()}` };
    const first = await stack.http.post('/api/holds', { product_id: productId, quantity: 2 }, headers);
    const retry = await stack.http.post('/api/holds', { product_id: productId, quantity: 2 }, headers);
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.body.data.hold_id).toBe(first.body.data.hold_id);
    expect(await availableStock(stack.db, productId)).toBe(1);
  });

  test('an eagerly started hold expires in the API worker, and orders once a worker process runs', async () => {
    const productId = await createProduct(stack, 4);
    const lapsing = await stack.http.post('/api/holds', { product_id: productId, quantity: 2 });
    await waitFor('the unordered hold to expire with no worker process', async () => {
      const h = await stack.http.get(`/api/holds/${lapsing.body.data.hold_id}`);
      return h.body.released_at;
    });
    expect(await availableStock(stack.db, productId)).toBe(4);
    await stack.startWorker();
    const ordered = await stack.http.post('/api/holds', { product_id: productId, quantity: 1 });
    const order = await stack.http.post('/api/orders', { hold_id: ordered.body.data.hold_id });
    expect(order.status).toBe(201);
    expect(await availableStock(stack.db, productId)).toBe(3);
    await expectConserved(stack.db, productId, 4);
  });

  test('an order that reaches a hold together with its start waits for the reservation (an eager 201 whose task was retried)', async () => {
    // The eager path answers 201 before the first workflow task completes; if that task is lost with its API, the
    // retried one carries the client's order in with the start. Made here by starting the hold, and sending the
    // order, on a queue no worker polls yet.
    const productId = await createProduct(stack, 3);
    const taskQueue = `with-start-${randomUUID()}`;
    const { holdId, handle } = await startHoldWorkflow(
      stack,
      { productId, quantity: 2, ttlSeconds: 60, paymentTimeoutSeconds: 60 },
      taskQueue,
    );
    const ordering = handle.executeUpdate(placeOrderUpdate, { updateId: 'order-with-start' });
    ordering.catch(() => undefined); // read below
    const admitted =
      temporal.api.enums.v1.UpdateWorkflowExecutionLifecycleStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED;
    await waitFor('the order to be admitted before any worker runs', () =>
      stack.client.workflowService.pollWorkflowExecutionUpdate({
        namespace: stack.config.TEMPORAL_NAMESPACE,
        updateRef: { workflowExecution: { workflowId: handle.workflowId }, updateId: 'order-with-start' },
        identity: 'test',
        waitPolicy: { lifecycleStage: admitted },
      }),
    );
    const worker = await createFlashSaleWorker(
      { ...stack.config, TASK_QUEUE: taskQueue },
      createLogger('silent', 'test'),
      {
        workflowBundle: { code: readFileSync(process.env.TEST_WORKFLOW_BUNDLE!, 'utf8') },
        skipSchedule: true,
      },
    );
    const running = worker.run();
    try {
      const order = await ordering;
      expect(order).toMatchObject({ hold_id: holdId, status: 'pending' });
      expect(await availableStock(stack.db, productId)).toBe(1);
    } finally {
      await worker.shutdown();
      await running;
    }
  });
});

describe('eager start with Temporal unreachable', () => {
  // Temporal behind a proxy that can drop it: the API's hold worker and both its clients go through it.
  const proxy = temporalProxy();
  const cut = useStack({ HOLD_EAGER_START: 'true' }, { worker: false, holdWorker: true, proxy });

  test('a hold answers 503 with Retry-After well before the call deadline, not after the connection’s retries', async () => {
    const productId = await createProduct(cut, 5);
    expect((await cut.http.post('/api/holds', { product_id: productId, quantity: 1 })).status).toBe(201);
    const eagerBefore = cut.api.holdStarts.eager;
    proxy.setMode('refuse');
    const startedAt = Date.now();
    const res = await cut.http.post('/api/holds', { product_id: productId, quantity: 1 });
    const tookMs = Date.now() - startedAt;
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBeTruthy();
    // The call deadline here is 8 s; the worker connection alone would have retried for about 10.
    expect(tookMs).toBeLessThan(5_000);
    expect(cut.api.holdStarts.eager).toBe(eagerBefore);
    proxy.setMode('pass');
  });
});
