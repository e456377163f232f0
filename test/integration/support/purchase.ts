import { randomUUID } from 'node:crypto';
import { createProduct } from '../../../harness/fixtures';
import type { Stack } from '../../../harness/stack';
import { waitFor } from '../../../harness/wait';
import { holdOf, orderOf } from './stack';

/** The steps of a purchase through the API, and waits on the workflows they start. */
export const newEventId = () => `evt-${randomUUID()}`;

/** POST /api/holds for `quantity` units, its answer whatever it is. */
export const postHold = (stack: Stack, productId: number, quantity: number) =>
  stack.http.post('/api/holds', { product_id: productId, quantity });

/** A product of `stock` units, a hold of `quantity` of them and its order, pending (each step expects its 201). */
export async function pendingOrder(stack: Stack, stock = 10, quantity = 4, headers?: Record<string, string>) {
  const productId = await createProduct(stack, stock);
  const holdId = (await holdOf(stack, productId, quantity, headers)).hold_id;
  const orderId = (await orderOf(stack, holdId, headers)).id as number;
  return { productId, holdId, orderId };
}

/** An unsigned payment webhook for an order (a stack without WEBHOOK_SECRET accepts it): its answer. */
export const payWebhook = (stack: Stack, orderId: number, status: 'paid' | 'failed', eventId = newEventId()) =>
  stack.http.post('/api/payments/webhook', { event_id: eventId, order_id: orderId, status });

/** Waits until the workflow `workflowId` exists (its run may not have started when the API answered). */
export const workflowStarted = (stack: Stack, workflowId: string, timeoutMs?: number) =>
  waitFor(
    `the workflow ${workflowId} to start`,
    () => stack.client.workflow.getHandle(workflowId).describe(),
    timeoutMs,
  );

/** Waits until the workflow `workflowId` has completed. */
export const workflowCompleted = (stack: Stack, workflowId: string) =>
  waitFor(
    `the workflow ${workflowId} to finish`,
    async () => (await stack.client.workflow.getHandle(workflowId).describe()).status.name === 'COMPLETED',
  );
