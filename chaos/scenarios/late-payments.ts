import { randomUUID } from 'node:crypto';
import type { RowDataPacket } from 'mysql2/promise';
import type { Scenario } from '../scenario';
import { SETTINGS } from '../settings';
import { sleep } from '../../harness/wait';
import { finish, makeHolds, makeOrders } from './helpers';

/**
 * `paid` webhooks sent at the payment deadline of their orders, racing the payment timeout's cancel: each order ends
 * either completed (the webhook won: "Payment processed") or cancelled with its stock back and a refund owed (the
 * timeout won: "Late payment recorded", refund_due), never both, never with its stock moved twice.
 */
export const latePaidVsTimeout: Scenario = {
  name: 'late-paid-vs-timeout',
  title:
    'paid webhooks racing the payment timeout at its instant: completed, or cancelled with a refund owed; stock once',
  async run(ctx) {
    const [p] = await ctx.createProducts(1, 100);
    // Set-up in parallel (a busy machine lets 5-second holds lapse one by one): a few may expire before their order.
    const orders = [...(await makeOrders(ctx, await makeHolds(ctx, p, 12, 1))).values()];
    ctx.expect(orders.length >= 6, `set-up: only ${orders.length}/12 orders placed`);
    ctx.checks.startSampling();
    const rows = await ctx.query<RowDataPacket>(
      `SELECT id, created_at FROM orders WHERE id IN (${orders.map(Number).join(',') || 0})`,
    );
    const created = new Map(rows.map((r) => [Number(r.id), Date.parse(`${String(r.created_at).replace(' ', 'T')}Z`)]));
    const answers = await Promise.all(
      orders.map(async (orderId, i) => {
        // Spread over the deadline: up to 300 ms before and after it.
        const at = created.get(orderId)! + SETTINGS.paymentTimeoutSeconds * 1000 + ((i % 7) - 3) * 100;
        await sleep(Math.max(0, at - Date.now()));
        return {
          orderId,
          answer: await ctx.api.retrying(() => ctx.api.webhook(orderId, `evt_${randomUUID()}`, 'paid')),
        };
      }),
    );
    ctx.fault(`${orders.length} paid webhooks sent at their orders' payment deadline`);
    await finish(ctx);
    let won = 0;
    let late = 0;
    for (const { orderId, answer } of answers) {
      const [o] = await ctx.query<RowDataPacket>('SELECT status, refund_due_at FROM orders WHERE id = ?', [orderId]);
      if (answer.status === 200 && answer.body?.message === 'Payment processed') {
        won++;
        ctx.expect(
          o.status === 'completed' && o.refund_due_at === null,
          `order ${orderId}: paid in time but ${o.status}`,
        );
      } else if (answer.status === 200 && answer.body?.message === 'Late payment recorded') {
        late++;
        ctx.expect(
          o.status === 'cancelled' && o.refund_due_at !== null,
          `order ${orderId}: late payment answered but ${o.status}, refund_due_at ${o.refund_due_at}`,
        );
      } else {
        ctx.expect(
          false,
          `order ${orderId}: webhook answered ${answer.status} ${JSON.stringify(answer.body).slice(0, 120)}`,
        );
      }
    }
    ctx.note(`${won} payments won the race, ${late} came late and are owed back`);
  },
};
