import { randomUUID } from 'node:crypto';
import type { RowDataPacket } from 'mysql2/promise';
import type { Answer } from '../client';
import type { Scenario } from '../scenario';
import { rand, sleep } from '../util';
import { makeHolds, makeOrders, type Held } from './helpers';

export const webhookRaces: Scenario = {
  name: 'webhook-races',
  title:
    'Webhooks out of order and concurrently: paid/failed/duplicates at once, late events, an event id reused across orders',
  async run(ctx) {
    const [p] = await ctx.createProducts(1, 100);
    const held = await makeHolds(ctx, p, 12, 1);
    const orders = [...(await makeOrders(ctx, held)).values()];
    ctx.expect(orders.length === 12, `${orders.length}/12 orders answered 201`);
    ctx.startSampling();
    let raced = 0;
    await Promise.all(
      orders.map(async (orderId) => {
        const paid = `evt_${randomUUID()}`;
        const failed = `evt_${randomUUID()}`;
        const other = `evt_${randomUUID()}`;
        const sends: [string, 'paid' | 'failed'][] = [
          [paid, 'paid'],
          [paid, 'paid'],
          [failed, 'failed'],
          [other, 'paid'],
          [failed, 'failed'],
        ].sort(() => Math.random() - 0.5) as [string, 'paid' | 'failed'][];
        const answers: Answer[] = await Promise.all(
          sends.map(async ([id, status]) => {
            await sleep(rand(0, 30));
            return ctx.api.webhook(orderId, id, status);
          }),
        );
        raced++;
        const processed = answers.filter((a) => a.status === 200 && a.body?.message === 'Payment processed');
        ctx.expect(processed.length === 1, `order ${orderId}: ${processed.length} webhooks processed out of 5 racing`);
        const final = processed[0]?.body?.data?.status;
        for (const a of answers) {
          const ok =
            (a.status === 200 && a.body?.data?.status === final) ||
            (a.status === 400 && a.body?.message === 'Order is not in pending state');
          ctx.expect(
            ok,
            `order ${orderId}: racing webhook answered ${a.status} ${JSON.stringify(a.body).slice(0, 120)}`,
          );
        }
      }),
    );
    ctx.fault(`${raced} orders each hit by 5 racing webhooks (duplicates, paid vs failed)`);
    // An event id already used for one order, sent for another: a clean 409, nothing changes.
    const [h] = await makeHolds(ctx, p, 1, 1);
    const [o] = [...(await makeOrders(ctx, [h])).values()];
    const [used] = await ctx.query<RowDataPacket>('SELECT event_id FROM payment_events WHERE order_id = ?', [
      orders[0],
    ]);
    const reused = await ctx.api.webhook(o, used.event_id, 'paid');
    ctx.expect(reused.status === 409, `event id reused across orders answered ${reused.status}`);
    ctx.fault('an event id reused for another order');
    // Late: a webhook after the payment timeout cancelled the order.
    await ctx.stopSampling();
    await ctx.settle();
    const late = await ctx.api.webhook(o, `evt_${randomUUID()}`, 'paid');
    ctx.expect(late.status === 400, `a payment after the timeout cancelled the order answered ${late.status}`);
    ctx.fault('a payment arriving after its order timed out');
    await ctx.sample();
    await ctx.agreement();
  },
};

const ITERATIONS = 220;
/** Orders are sent from EARLY_MS before to LATE_MS after the deadline: they reach the decision some tens of ms after
 * being sent, so this window puts the decision itself on both sides of the deadline. */
const EARLY_MS = 800;
const LATE_MS = 100;

export const expiryRace: Scenario = {
  name: 'expiry-race',
  title: `An order placed at the instant its hold expires (${ITERATIONS} holds, orders sent ${EARLY_MS} ms before to ${LATE_MS} ms after expiry): exactly one of ordered or expired`,
  async run(ctx) {
    const [p] = await ctx.createProducts(1, 10_000);
    ctx.startSampling();
    // Holds in waves, so the orders at their deadlines spread over a few seconds.
    const held: Held[] = [];
    for (let wave = 0; wave < ITERATIONS / 5; wave++) {
      held.push(...(await makeHolds(ctx, p, 5, 1)));
      await sleep(100);
    }
    ctx.expect(held.length === ITERATIONS, `${held.length}/${ITERATIONS} holds answered 201`);
    const outcome = new Map<number, 'ordered' | 'expired' | string>();
    await Promise.all(
      held.map(async (h) => {
        const offset = rand(-EARLY_MS, LATE_MS);
        await sleep(Math.max(0, h.expiresAt + offset - Date.now()));
        const key = randomUUID();
        const a = await ctx.api.retrying(() => ctx.api.order(h.holdId, key), 20, 30_000);
        if (a.status === 201) outcome.set(h.holdId, 'ordered');
        else if (a.status === 400 && a.body?.message === 'Cannot create order: Hold has expired')
          outcome.set(h.holdId, 'expired');
        else outcome.set(h.holdId, `${a.status} ${a.body?.message ?? ''}`);
        if (a.status === 201)
          await ctx.api.retrying(() => ctx.api.webhook(Number(a.body.data.id), `evt_${randomUUID()}`, 'paid'));
      }),
    );
    ctx.fault(`${held.length} orders sent from ${EARLY_MS} ms before to ${LATE_MS} ms after their hold's expiry`);
    const ordered = [...outcome.values()].filter((o) => o === 'ordered').length;
    const expired = [...outcome.values()].filter((o) => o === 'expired').length;
    ctx.note(`${ordered} ordered, ${expired} expired, ${held.length - ordered - expired} other`);
    for (const [holdId, o] of outcome)
      ctx.expect(o === 'ordered' || o === 'expired', `hold ${holdId}: order answered ${o}`);
    await ctx.stopSampling();
    await ctx.settle();
    const rows = await ctx.query<RowDataPacket>(
      `SELECT h.id, h.released_at, h.release_reason, o.id AS order_id,
              TIMESTAMPDIFF(MICROSECOND, h.used_at, h.hold_expires_at) / 1000 AS margin_ms
       FROM holds h LEFT JOIN orders o ON o.hold_id = h.id WHERE h.product_id = ?`,
      [p],
    );
    const margins = rows
      .filter((r) => r.order_id)
      .map((r) => Number(r.margin_ms))
      .sort((a, b) => a - b);
    if (margins.length)
      ctx.note(
        `ordered holds were taken ${margins[0]} ms (closest) to ${margins[margins.length - 1]} ms before their expiry`,
      );
    for (const r of rows) {
      const said = outcome.get(Number(r.id));
      const db = r.order_id ? 'ordered' : r.released_at ? 'expired' : 'held';
      ctx.expect(said === db, `hold ${r.id}: the client was told ${said}, the database says ${db}`);
    }
    const agreed = await ctx.agreement();
    ctx.note(`workflow = database checked for ${agreed.holds} holds, ${agreed.orders} orders`);
  },
};
