import { nextHoldId } from '../../../src/db/ids';
import type { HoldWorkflowInput } from '../../../src/shared/types';
import { holdWorkflowId } from '../../../src/shared/workflow-ids';
import { FaultProxy } from '../../../harness/fault-proxy';
import { startStack, type Stack } from '../../../harness/stack';
import { waitFor } from '../../../harness/wait';

type StackOptions = NonNullable<Parameters<typeof startStack>[1]> & {
  /** Waits for the API's own hold worker (HOLD_EAGER_START) before the tests. */
  holdWorker?: boolean;
  /** Temporal reached through this proxy (started first, set to pass and closed after the stack). */
  proxy?: FaultProxy;
};

type Overrides = Record<string, string>;

/**
 * The stack of the enclosing file or describe block: started before its tests (with `overrides`, or what a function
 * given instead returns then), closed after them. What this returns forwards to that stack, so it can be named at the
 * top of a file and used as a Stack once the tests run.
 */
export function useStack(overrides: Overrides | (() => Promise<Overrides>) = {}, opts: StackOptions = {}): Stack {
  let started: Stack | undefined;
  beforeAll(
    async () => {
      const via: Overrides = opts.proxy ? { TEMPORAL_ADDRESS: `127.0.0.1:${await opts.proxy.start()}` } : {};
      const settings = typeof overrides === 'function' ? await overrides() : overrides;
      started = await startStack({ ...settings, ...via }, opts);
      if (opts.holdWorker) await waitFor('the API hold worker', () => started!.api.eagerStartReady(), 60_000);
    },
    opts.holdWorker ? 90_000 : undefined,
  );
  afterAll(async () => {
    opts.proxy?.setMode('pass');
    await started?.close();
    await opts.proxy?.close();
  });
  return new Proxy({} as Stack, {
    get: (_, key) => {
      if (!started) throw new Error(`the stack was used before it started (${String(key)})`);
      return started[key as keyof Stack];
    },
  });
}

/** A proxy in front of the test Temporal server, to freeze or cut it (harness/fault-proxy.ts). */
export function temporalProxy(): FaultProxy {
  const [host, port] = (process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233').split(':');
  return new FaultProxy('temporal', { host, port: Number(port) });
}

/** A hold made through the API (a 201 is expected): its data. */
export async function holdOf(stack: Stack, productId: number, quantity = 1, headers?: Record<string, string>) {
  const res = await stack.http.post('/api/holds', { product_id: productId, quantity }, headers);
  expect(res.status).toBe(201);
  return res.body.data as { hold_id: number; hold_expires_at: string };
}

/** An order of a hold made through the API (a 201 is expected): its data. */
export async function orderOf(stack: Stack, holdId: number, headers?: Record<string, string>) {
  const res = await stack.http.post('/api/orders', { hold_id: holdId }, headers);
  expect(res.status).toBe(201);
  return res.body.data;
}

/**
 * A hold workflow started straight on Temporal (no API call) for a fresh hold id, on `taskQueue` (by default the
 * stack's): its hold id and handle.
 */
export async function startHoldWorkflow(
  stack: Stack,
  hold: { productId: number; quantity: number; ttlSeconds: number; paymentTimeoutSeconds: number },
  taskQueue = stack.config.TASK_QUEUE,
) {
  const holdId = await nextHoldId(stack.db);
  const input: HoldWorkflowInput = {
    holdId,
    ...hold,
    expiresAt: new Date(Date.now() + hold.ttlSeconds * 1000).toISOString(),
  };
  const handle = await stack.client.workflow.start('holdWorkflowV2', {
    workflowId: holdWorkflowId(holdId),
    taskQueue,
    args: [input],
  });
  return { holdId, handle };
}
