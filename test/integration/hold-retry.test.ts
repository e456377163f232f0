import { HoldGateway, updateWithStart, WorkflowRefusal } from '../../src/temporal/holds';
import { FailureType } from '../../src/shared/types';
import { createProduct } from '../../harness/fixtures';
import { startHoldWorkflow, useStack } from './support/stack';

/**
 * A keyed hold retried after its first run has finished (issue 14, found by the chaos suite under load): the first
 * attempt was answered 503 while its workflow went on without the reserve update (only the start got through), then
 * finished. The retry (same key, same hold id) must get that run's outcome, never a 500.
 */
const stack = useStack({ HOLD_TTL_SECONDS: '2' });

async function finishedRun(productId: number, quantity: number): Promise<number> {
  const run = await startHoldWorkflow(stack, { productId, quantity, ttlSeconds: 2, paymentTimeoutSeconds: 4 });
  await run.handle.result();
  return run.holdId;
}

const gateway = () =>
  new HoldGateway(
    () => stack.client,
    { taskQueue: stack.config.TASK_QUEUE, ttlSeconds: 2, paymentTimeoutSeconds: 4, callTimeoutMs: 8_000 },
    updateWithStart(() => stack.client, stack.config.TASK_QUEUE, { eager: 0, update_with_start: 0 }),
  );

test('the run reserved (and its hold has since expired): the retry answers that hold', async () => {
  const productId = await createProduct(stack, 5);
  const holdId = await finishedRun(productId, 2);
  const hold = await gateway().reserve({ holdId, productId, quantity: 2 });
  expect(hold).toMatchObject({ id: holdId, product_id: productId, quantity: 2 });
}, 60_000);

test('the run was refused for stock: the retry is refused the same way', async () => {
  const productId = await createProduct(stack, 1);
  const holdId = await finishedRun(productId, 3);
  const refusal = await gateway()
    .reserve({ holdId, productId, quantity: 3 })
    .catch((err: unknown) => err);
  expect(refusal).toBeInstanceOf(WorkflowRefusal);
  expect((refusal as WorkflowRefusal).type).toBe(FailureType.InsufficientStock);
}, 60_000);
