import { WorkflowNotFoundError } from '@temporalio/client';
import { holdWorkflowId } from '../../src/shared/workflow-ids';
import { createProduct, expectConserved } from '../../harness/fixtures';
import type { Stack } from '../../harness/stack';
import { waitFor } from '../../harness/wait';
import { useStack } from './support/stack';

/**
 * TEMPORAL_MAX_IN_FLIGHT against a real Temporal with no worker polling: a call past the bound waits for a slot,
 * then answers a clean 503 without starting anything, while the call holding the slot keeps its whole deadline.
 */
/** A stack with one slot for Temporal calls, queueing up to `queueMs` for it, each call allowed `callMs`. */
const oneSlotStack = (queueMs: number, callMs: number) =>
  useStack({
    TEMPORAL_MAX_IN_FLIGHT: '1',
    // Stopping the worker must leave holds with no worker: the API runs none of its own here.
    HOLD_EAGER_START: 'false',
    TEMPORAL_QUEUE_TIMEOUT_MS: String(queueMs),
    TEMPORAL_CALL_TIMEOUT_MS: String(callMs),
  });

/** The Temporal calls of `stack` in a state, as /metrics counts them. */
const calls = async (stack: Stack, state: 'in_flight' | 'queued') => {
  const metrics = (await stack.http.get('/metrics')).text;
  return Number(new RegExp(`flash_sale_temporal_calls\\{state="${state}"\\} (\\d+)`).exec(metrics)?.[1] ?? NaN);
};

const workflowsOf = async (stack: Stack, productId: number) => {
  const ids: string[] = [];
  for await (const wf of stack.client.workflow.list({ query: `ProductId = ${productId}` })) ids.push(wf.workflowId);
  return ids;
};

/** With no worker, a first hold of one unit that takes the only slot and keeps it: `first`, its answer to come. */
async function slotTaken(stack: Stack, productId: number) {
  await stack.stopWorker();
  const first = stack.http.post('/api/holds', { product_id: productId, quantity: 1 });
  await waitFor('the first call to hold the only slot', async () => (await calls(stack, 'in_flight')) === 1);
  return { first };
}

describe('bounded Temporal calls per API process', () => {
  const stack = oneSlotStack(300, 4000);

  test('past the bound a hold gets a quick 503 with Retry-After and starts no workflow', async () => {
    const productId = await createProduct(stack, 10);
    const { first } = await slotTaken(stack, productId);
    const startedAt = Date.now();
    const second = await stack.http.post('/api/holds', { product_id: productId, quantity: 1 });
    expect(second.status).toBe(503);
    expect(second.body).toMatchObject({ status: 'error', message: 'Service temporarily unavailable' });
    expect(second.headers.get('retry-after')).toBe('1');
    // Refused after its queue wait, long before the 4 s call deadline the first request is still inside.
    expect(Date.now() - startedAt).toBeLessThan(3_000);
    const firstAnswer = await first;
    expect(firstAnswer.status).toBe(503);
    // Only the first request's workflow exists; the second never reached Temporal.
    await waitFor(
      'the first hold workflow to be listed',
      async () => (await workflowsOf(stack, productId)).length === 1,
    );
    expect(await workflowsOf(stack, productId)).toHaveLength(1);
    await stack.startWorker();
    const third = await stack.http.post('/api/holds', { product_id: productId, quantity: 2 });
    expect(third.status).toBe(201);
    expect((await workflowsOf(stack, productId)).length).toBeLessThanOrEqual(2);
    await expectConserved(stack.db, productId, 10);
  }, 60_000);
});

describe('a buyer who hangs up while queued', () => {
  const patient = oneSlotStack(30000, 3000);

  test('leaves the queue at once and starts no workflow', async () => {
    const productId = await createProduct(patient, 10);
    const { first } = await slotTaken(patient, productId);
    const hangUp = new AbortController();
    const second = fetch(`${patient.baseUrl}/api/holds`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ product_id: productId, quantity: 1 }),
      signal: hangUp.signal,
    }).then(
      () => 'answered',
      (err: Error) => err.name,
    );
    await waitFor('the second call to queue', async () => (await calls(patient, 'queued')) === 1);
    hangUp.abort();
    expect(await second).toBe('AbortError');
    // Gone from the queue long before the first call's 3 s deadline frees the slot.
    await waitFor('the abandoned call to leave the queue', async () => (await calls(patient, 'queued')) === 0, 2_000);
    expect(await calls(patient, 'in_flight')).toBe(1);
    expect((await first).status).toBe(503);
    await waitFor(
      'the first hold workflow to be listed',
      async () => (await workflowsOf(patient, productId)).length === 1,
    );
    await patient.startWorker();
    await expectConserved(patient.db, productId, 10);
  }, 60_000);
});

describe('the queue after a sell-out', () => {
  const queue = oneSlotStack(30000, 20000);

  test('requests behind the reservation of the last unit are told "sold out" at once, without queueing', async () => {
    const productId = await createProduct(queue, 1);
    const { first } = await slotTaken(queue, productId);
    // The only unit is being reserved: they are answered while that reservation still waits for a worker.
    const waiting = await Promise.all(
      [1, 2, 3].map(() => queue.http.post('/api/holds', { product_id: productId, quantity: 1 })),
    );
    expect(await calls(queue, 'queued')).toBe(0);
    await queue.startWorker();
    const winner = await first;
    expect(winner.status).toBe(201);
    for (const reply of waiting) {
      expect(reply.status).toBe(400);
      expect(reply.body.message).toBe('Insufficient stock available. Only 0 units remaining.');
    }
    // Whatever hold ids they took, none of them started a workflow.
    const winnerId: number = winner.body.data.hold_id;
    for (const holdId of [winnerId + 1, winnerId + 2, winnerId + 3]) {
      await expect(queue.client.workflow.getHandle(holdWorkflowId(holdId)).describe()).rejects.toBeInstanceOf(
        WorkflowNotFoundError,
      );
    }
    await expectConserved(queue.db, productId, 1);
  }, 90_000);
});
