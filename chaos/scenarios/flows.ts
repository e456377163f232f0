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
    // Set-up, not under test: on a loaded machine a few holds may expire before their order lands.
    const orders: number[] = [];
    for (let i = 0; i < 3; i++) {
      const held = await makeHolds(ctx, p, 4, 1);
      orders.push(...(await makeOrders(ctx, held)).values());
    }
    if (orders.length < 12) ctx.note(`set-up: ${orders.length}/12 orders placed before their hold expired`);
    ctx.expect(orders.length >= 6, `set-up: only ${orders.length}/12 orders placed`);
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
/**
 * The decision (the workflow's validator, then the order transaction under the hold's row lock) comes some time after
 * the request is sent. The scenario measures that time on a few orders first and sends each order so that it
 * arrives within ±SPREAD_MS of its hold's expiry: the decisions straddle the deadline.
 */
const SPREAD_MS = 250;

export const expiryRace: Scenario = {
  name: 'expiry-race',
  title: `An order placed at the instant its hold expires (${ITERATIONS} holds, orders timed to arrive within ±${SPREAD_MS} ms of expiry): exactly one of ordered or expired`,
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
    // How long an order takes right now (on holds far from expiry); it is decided shortly before it is answered.
    const [probe] = await ctx.createProducts(1, 100);
    const probes = await makeHolds(ctx, probe, 5, 1);
    const took: number[] = [];
    await Promise.all(
      probes.map(async (h) => {
        const a = await ctx.api.order(h.holdId, randomUUID());
        if (a.status === 201) took.push(a.ms);
      }),
    );
    took.sort((a, b) => a - b);
    const lead = Math.min(took[Math.floor(took.length / 2)] ?? 200, 2_000) * 0.9;
    ctx.note(
      `orders answer in ${took.join(', ')} ms now: each is sent ${lead.toFixed(0)} ms ± ${SPREAD_MS} ms before its deadline`,
    );
    const timings: { hold: number; sent: number; answered: number; status: number }[] = [];
    const outcome = new Map<number, 'ordered' | 'expired' | string>();
    await Promise.all(
      held.map(async (h) => {
        await sleep(Math.max(0, h.expiresAt - lead + rand(-SPREAD_MS, SPREAD_MS) - Date.now()));
        const key = randomUUID();
        const sentAt = Date.now();
        const a = await ctx.api.retrying(() => ctx.api.order(h.holdId, key), 20, 30_000);
        timings.push({
          hold: h.holdId,
          sent: sentAt - h.expiresAt,
          answered: Date.now() - h.expiresAt,
          status: a.status,
        });
        if (a.status === 201) outcome.set(h.holdId, 'ordered');
        else if (a.status === 400 && a.body?.message === 'Cannot create order: Hold has expired')
          outcome.set(h.holdId, 'expired');
        else outcome.set(h.holdId, `${a.status} ${a.body?.message ?? ''}`);
        if (a.status === 201)
          await ctx.api.retrying(() => ctx.api.webhook(Number(a.body.data.id), `evt_${randomUUID()}`, 'paid'));
      }),
    );
    ctx.fault(`${held.length} orders timed to arrive within ±${SPREAD_MS} ms of their hold's expiry`);
    const ordered = [...outcome.values()].filter((o) => o === 'ordered').length;
    const expired = [...outcome.values()].filter((o) => o === 'expired').length;
    ctx.note(`${ordered} ordered, ${expired} expired, ${held.length - ordered - expired} other`);
    const refused = timings.filter((t) => t.status === 400).sort((a, b) => a.answered - b.answered)[0];
    if (refused) {
      ctx.note(`the earliest "expired" answer came ${refused.answered} ms after the deadline`);
      ctx.expect(
        refused.answered >= 0,
        `hold ${refused.hold}: "expired" answered ${-refused.answered} ms before its expiry`,
      );
    }
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
