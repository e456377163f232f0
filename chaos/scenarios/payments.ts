import { randomUUID } from 'node:crypto';
import type { RowDataPacket } from 'mysql2/promise';
import { orderWorkflowId } from '../../src/shared/workflow-ids';
import type { Scenario } from '../scenario';
import { expectFired, finish, makeHolds, makeOrders, pendingOrders } from './helpers';

/**
 * The API SIGKILLed in the middle of a payment webhook, under load: inside the settlement transaction (before its
 * COMMIT: nothing happened, the provider's retry settles it once), or between the COMMIT and the signal to the order's
 * workflow (settled, never signalled nor answered: the retry answers "already processed" and the workflow still ends
 * with the database's status, by its timeout).
 */
function paymentKill(when: 'before' | 'after'): Scenario {
  const point = `payment.${when}Commit`;
  return {
    name: `payment-kill-${when}-commit`,
    title:
      when === 'before'
        ? 'API SIGKILLed inside a payment settlement, before its COMMIT, under load: the retried webhook settles it exactly once'
        : 'API SIGKILLed between a payment settlement COMMIT and the signal to its order workflow, under load: the retry answers "already processed", the workflow still ends with the database status',
    async run(ctx) {
      const [p] = await ctx.createProducts(1, 100);
      const orders = await pendingOrders(ctx, p, 2);
      const armedAt = Date.now();
      await ctx.stack.restartApi(`${point}=kill`);
      const events = orders.map(() => `evt_${randomUUID()}`);
      const paying = orders.map((o, i) =>
        ctx.api.retrying(() => ctx.api.webhook(o, events[i], i % 2 ? 'failed' : 'paid'), 20, 40_000),
      );
      if (await expectFired(ctx, point, armedAt, 30_000)) {
        ctx.fault(`API SIGKILLed at ${point}`);
        await ctx.stack.api!.exited;
      } else await ctx.stack.restartApi('');
      const killedAt = Date.now();
      await ctx.stack.startApi();
      for (const [i, a] of (await Promise.all(paying)).entries()) {
        // Its payment deadline may have passed meanwhile on a busy machine: then the order is cancelled for it.
        // A late `failed` is refused; a late `paid` is recorded and owed back (LATE_PAYMENT_POLICY=refund).
        const late =
          (a.status === 400 && a.body?.message === 'Order is not in pending state') ||
          (a.status === 200 && a.body?.message === 'Late payment recorded' && a.body?.data?.refund_due === true);
        ctx.expect(
          late || (a.status === 200 && a.body?.data?.status === (i % 2 ? 'cancelled' : 'completed')),
          `order ${orders[i]}: webhook answered ${a.status} ${JSON.stringify(a.body).slice(0, 120)}`,
        );
      }
      await finish(ctx);
      // Whichever order's webhook the API died in (ours or the load's): its workflow ends with the database's status.
      const settled = await ctx.query<RowDataPacket>(
        `SELECT e.order_id, o.status FROM payment_events e JOIN orders o ON o.id = e.order_id
         WHERE e.created_at BETWEEN ? AND ?`,
        [
          new Date(armedAt - 1_000).toISOString().slice(0, 23).replace('T', ' '),
          new Date(killedAt + 1_000).toISOString().slice(0, 23).replace('T', ' '),
        ],
      );
      const client = ctx.stack.temporalClient();
      for (const row of settled) {
        const r = await client.workflow
          .getHandle(orderWorkflowId(Number(row.order_id)))
          .result()
          .catch((err: Error) => ({ status: `unreadable (${err.message})` }));
        ctx.expect(
          (r as { status: string }).status === row.status,
          `order ${row.order_id}: workflow ended ${(r as { status: string }).status}, database ${row.status}`,
        );
      }
      ctx.note(`${settled.length} orders settled around the kill; each workflow ended with its database status`);
    },
  };
}

export const paymentKillBeforeCommit = paymentKill('before');
export const paymentKillAfterCommit = paymentKill('after');

/**
 * A buyer's whole life, quietly (no background load, no fault): holds ordered and paid, ordered and failed, released
 * early, and left to expire, one after the other, each outcome then read back. Every way stock goes back happens here
 * within seconds, even on a busy machine where the load's holds expire before their order (chaos/mutants uses it).
 */
export const paymentOutcomes: Scenario = {
  name: 'payment-outcomes',
  title: 'No load, no fault: holds paid, failed, released and expired, one after the other; each outcome read back',
  load: false,
  async run(ctx) {
    const [p] = await ctx.createProducts(1, 40);
    const outcomes = new Map<string, number>();
    const count = (what: string) => outcomes.set(what, (outcomes.get(what) ?? 0) + 1);
    ctx.checks.startSampling();
    for (let i = 0; i < 8; i++) {
      const [h] = await makeHolds(ctx, p, 1, 1);
      if (!h) continue;
      if (i % 4 === 3) {
        count(i % 8 === 3 ? 'left to expire' : `released ${(await ctx.api.release(h.holdId)).status}`);
        continue;
      }
      const [orderId] = [...(await makeOrders(ctx, [h])).values()];
      if (orderId === undefined) {
        count('order refused');
        continue;
      }
      const status = i % 2 ? 'failed' : 'paid';
      const a = await ctx.api.retrying(() => ctx.api.webhook(orderId, `evt_${randomUUID()}`, status), 20, 30_000);
      count(`${status} ${a.status}`);
    }
    ctx.note(`outcomes: ${[...outcomes].map(([k, n]) => `${k} ×${n}`).join(', ')}`);
    ctx.expect(
      (outcomes.get('failed 200') ?? 0) > 0 && (outcomes.get('paid 200') ?? 0) > 0,
      'no order was both paid and failed',
    );
    await finish(ctx);
  },
};
