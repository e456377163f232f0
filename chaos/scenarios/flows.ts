import { randomUUID } from 'node:crypto';
import type { RowDataPacket } from 'mysql2/promise';
import type { Answer } from '../client';
import type { Ctx, Scenario } from '../scenario';
import { rand } from '../util';
import { sleep } from '../../harness/wait';
import { makeHolds, makeOrders } from './helpers';

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
    ctx.checks.startSampling();
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
    // Late: a paid webhook after the payment timeout cancelled the order is recorded, owes a refund, takes no stock.
    // It runs once the load has settled (the order must have timed out), so it is a check, not a fault under load.
    await ctx.checks.stopSampling();
    await ctx.settle();
    const late = await ctx.api.webhook(o, `evt_${randomUUID()}`, 'paid');
    ctx.expect(
      late.status === 200 && late.body?.message === 'Late payment recorded' && late.body?.data?.refund_due === true,
      `a payment after the timeout cancelled the order answered ${late.status} ${JSON.stringify(late.body ?? {}).slice(0, 120)}`,
    );
    ctx.note('a payment arriving after its order timed out was recorded as a late payment');
    await ctx.checks.sample();
    await ctx.agreement();
  },
};

const PER_ROUND = 55;

/** How long before its hold's expiry the first round sends an order: what an order takes right now (far from expiry). */
async function firstLead(ctx: Ctx, probe: number): Promise<number> {
  const took: number[] = [];
  await Promise.all(
    (await makeHolds(ctx, probe, 5, 1)).map(async (h) => {
      const a = await ctx.api.order(h.holdId, randomUUID());
      if (a.status === 201) took.push(a.ms);
    }),
  );
  took.sort((a, b) => a - b);
  const lead = Math.min(took[Math.floor(took.length / 2)] ?? 300, 3_000) * 0.9;
  ctx.note(
    `orders answer in ${took.join(', ')} ms now: the first round sends each ${lead.toFixed(0)} ms before its expiry`,
  );
  return lead;
}

/**
 * An order sent so that it is decided at its hold's expiry. How long an order takes to be decided after it is sent
 * depends on the load of the moment, so the lead is measured first and corrected after every round (toward as many
 * ordered as expired). The scenario passes only if the race really happened: both outcomes, an order taken in the
 * last moments before expiry and an "expired" whose request was sent before it.
 */
export const expiryRace = (ROUNDS: number): Scenario => ({
  name: 'expiry-race',
  title: `An order decided at the instant its hold expires (${ROUNDS * PER_ROUND} holds in ${ROUNDS} rounds under load, the send lead corrected each round): exactly one of ordered or expired, both outcomes seen, the client told what the database says`,
  async run(ctx) {
    const [p, probe] = await ctx.createProducts(2, 10_000);
    let lead = await firstLead(ctx, probe);
    const outcome = new Map<number, string>();
    const sentBefore = new Map<number, number>();
    for (let round = 0; round < ROUNDS; round++) {
      const spread = Math.max(250, lead * 0.5);
      let ordered = 0;
      let expired = 0;
      let held = 0;
      // Each racer orders right after its own hold is answered, timed against that hold's expiry (holds are slow to
      // come under load: made first and ordered later, most would have expired already).
      await Promise.all(
        Array.from({ length: PER_ROUND }, async (_, i) => {
          await sleep(i * 150);
          const [h] = await makeHolds(ctx, p, 1, 1);
          if (!h) return;
          held++;
          await sleep(Math.max(0, h.expiresAt - lead + rand(-spread, spread) - Date.now()));
          const key = randomUUID();
          sentBefore.set(h.holdId, h.expiresAt - Date.now());
          const a = await ctx.api.retrying(() => ctx.api.order(h.holdId, key), 20, 30_000);
          if (a.status === 201) {
            outcome.set(h.holdId, 'ordered');
            ordered++;
            await ctx.api.retrying(() => ctx.api.webhook(Number(a.body.data.id), `evt_${randomUUID()}`, 'paid'));
          } else if (a.status === 400 && a.body?.message === 'Cannot create order: Hold has expired') {
            outcome.set(h.holdId, 'expired');
            expired++;
          } else outcome.set(h.holdId, `${a.status} ${a.body?.message ?? ''}`);
        }),
      );
      ctx.fault(
        `round ${round + 1}: ${held} orders sent ${lead.toFixed(0)} ± ${spread.toFixed(0)} ms before their hold's expiry: ${ordered} ordered, ${expired} expired`,
      );
      // Too many expired: decisions come later than the lead assumed; too many ordered: earlier.
      const frac = ordered + expired ? ordered / (ordered + expired) : 0.5;
      lead = Math.min(8_000, Math.max(50, lead * (1 + (0.5 - frac) * 1.2)));
    }
    const all = [...outcome.values()];
    const ordered = all.filter((o) => o === 'ordered').length;
    const expired = all.filter((o) => o === 'expired').length;
    ctx.note(`${ordered} ordered, ${expired} expired, ${all.length - ordered - expired} other`);
    for (const [holdId, o] of outcome)
      ctx.expect(o === 'ordered' || o === 'expired', `hold ${holdId}: order answered ${o}`);
    ctx.expect(ordered >= 5 && expired >= 5, `the race did not happen: ${ordered} ordered, ${expired} expired`);
    const expiredSentInTime = [...outcome].filter(([id, o]) => o === 'expired' && sentBefore.get(id)! > 0).length;
    ctx.expect(expiredSentInTime > 0, 'no order sent before its hold expired lost the race');
    await ctx.checks.stopSampling();
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
        `ordered holds were taken ${margins[0]} ms (closest) to ${margins[margins.length - 1]} ms before their expiry; ${expiredSentInTime} orders sent before expiry were refused as expired`,
      );
    ctx.expect(
      margins.length > 0 && margins[0] < 500,
      `no order was taken within 500 ms of its hold's expiry (closest ${margins[0]} ms)`,
    );
    for (const r of rows) {
      const said = outcome.get(Number(r.id));
      const db = r.order_id ? 'ordered' : r.released_at ? 'expired' : 'held';
      ctx.expect(said === db, `hold ${r.id}: the client was told ${said}, the database says ${db}`);
    }
    const agreed = await ctx.agreement();
    ctx.note(`workflow = database checked for ${agreed.holds} holds, ${agreed.orders} orders`);
  },
});
