import { QueryTypes } from 'sequelize';
import { updateWithStart } from '../../src/temporal/holds';
import { HoldGateway, WorkflowRefusal } from '../../src/temporal/holds';
import { FailureType, type HoldWorkflowInput } from '../../src/shared/types';
import { holdWorkflowId } from '../../src/shared/workflow-ids';
import { createProduct } from '../../harness/fixtures';
import { startStack, type Stack } from '../../harness/stack';

/**
 * A keyed hold retried after its first run has finished (issue 14, found by the chaos suite under load): the first
 * attempt was answered 503 while its workflow went on without the reserve update (only the start got through), then
 * finished. The retry (same key, same hold id) must get that run's outcome, never a 500.
 */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ HOLD_TTL_SECONDS: '2' });
});
afterAll(async () => stack.close());

async function finishedRun(productId: number, quantity: number): Promise<number> {
  const [{ id }] = await stack.db.query<{ id: number }>('SELECT NEXTVAL(hold_ids) AS id', { type: QueryTypes.SELECT });
  const holdId = Number(id);
  const input: HoldWorkflowInput = {
    holdId,
    productId,
    quantity,
    ttlSeconds: 2,
    paymentTimeoutSeconds: 4,
    expiresAt: new Date(Date.now() + 2_000).toISOString(),
  };
  const handle = await stack.client.workflow.start('holdWorkflowV2', {
    workflowId: holdWorkflowId(holdId),
    taskQueue: stack.config.TASK_QUEUE,
    args: [input],
  });
  await handle.result();
  return holdId;
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
