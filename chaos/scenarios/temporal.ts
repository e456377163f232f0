import { randomUUID } from 'node:crypto';
import type { RowDataPacket } from 'mysql2/promise';
import { holdWorkflowId } from '../../src/shared/workflow-ids';
import type { Ctx, Scenario } from '../scenario';
import { SETTINGS } from '../settings';
import { log } from '../util';
import { poll, sleep } from '../../harness/wait';
import { count, finish, holdsForKey, makeHolds, pendingOrders, probeOutage } from './helpers';

/** How fast an answer must come while Temporal is down: a 503 quickly, never a hang. */
export const OUTAGE_QUICK_MS = 3_000;

/** SIGKILL: the file-backed server loses nothing it acknowledged. */
async function killTemporal(ctx: Ctx, what: string): Promise<void> {
  await ctx.stack.temporal?.kill();
  ctx.fault(`Temporal dev server SIGKILLed ${what}`);
}

async function restartTemporal(ctx: Ctx): Promise<void> {
  const t = Date.now();
  await ctx.stack.startTemporal();
  log(`  Temporal back after restart in ${Date.now() - t} ms`);
  await ctx.stack.superviseWorkers();
}

export const temporalRestart: Scenario = {
  name: 'temporal-restart',
  title:
    "Temporal dev server (file database) SIGKILLed under load with holds open, down past their expiry: 503 within 3 s meanwhile (reads and webhooks still 200); after the restart every open hold's timer fires, and a key retried across the outage makes one hold",
  async run(ctx) {
    const [k] = await ctx.createProducts(1, 200);
    const [orderId] = await pendingOrders(ctx, k, 1);
    const ready = await makeHolds(ctx, k, 12, 1);
    ctx.expect(ready.length === 12, `set-up: ${ready.length}/12 holds`);
    const open = ready.slice(3);
    await killTemporal(ctx, `under load with ${open.length} holds and an order open`);
    const key = randomUUID();
    const answers = await probeOutage(
      ctx,
      [
        () => ctx.api.hold(k, 1, key),
        () => ctx.api.order(ready[1].holdId, randomUUID()),
        () => ctx.api.release(ready[2].holdId),
        () => ctx.api.call('GET', `/api/holds/${ready[0].holdId}`),
        () => ctx.api.product(k),
        () => ctx.api.webhook(orderId, `evt_${randomUUID()}`, 'paid'),
      ],
      OUTAGE_QUICK_MS,
      'Temporal down: POST hold, POST order, POST release, GET hold, GET product, webhook',
    );
    ctx.expect(answers[0].status === 503, `POST /api/holds with Temporal down answered ${answers[0].status}`);
    ctx.expect(
      answers[1].status === 503 || answers[1].status === 400,
      `POST /api/orders with Temporal down answered ${answers[1].status}`,
    );
    ctx.expect(answers[3].status === 200 && answers[4].status === 200, 'reads failed with Temporal down');
    ctx.expect(answers[5].status === 200, `webhook with Temporal down answered ${answers[5].status}`);
    // A client retrying during the outage keeps getting quick 503s; the outage lasts past every open hold's expiry.
    const until = Math.max(...open.map((h) => h.expiresAt)) + 1_000;
    while (Date.now() < until) {
      await sleep(1_000);
      const a = await ctx.api.hold(k, 1, key);
      ctx.expect(a.status === 503 && a.ms <= OUTAGE_QUICK_MS, `retry during the outage: ${a.status} in ${a.ms} ms`);
    }
    await restartTemporal(ctx);
    const retried = await ctx.api.retrying(() => ctx.api.hold(k, 1, key), 30, 60_000);
    ctx.expect(retried.status === 201, `the retried POST after the restart answered ${retried.status}`);
    const n = await holdsForKey(ctx, key);
    ctx.expect(n === 1, `Idempotency-Key retried across the outage: ${n} holds`);
    // Every hold open at the kill: its workflow (timer included) survived in the file database and finished.
    const client = ctx.stack.temporalClient();
    const closed = await poll(async () => {
      const states = await Promise.all(
        open.map((h) =>
          client.workflow
            .getHandle(holdWorkflowId(h.holdId))
            .describe()
            .then((d) => d.status.name)
            .catch(() => 'unreadable'),
        ),
      );
      return states.every((st) => st === 'COMPLETED') ? states : null;
    }, 60_000);
    ctx.expect(closed !== null, `not every hold open at the kill had its workflow finish within 60 s of the restart`);
    await finish(ctx);
  },
};

export const sweepMissedTick: Scenario = {
  name: 'sweep-missed-tick',
  title:
    'A sweep tick falls while Temporal is down (no worker, no sweep watching): the Schedule runs it once after the restart, and it releases what only the sweep can',
  async run(ctx) {
    const [s] = await ctx.createProducts(1, 50);
    // Keep this product out of the workflow agreement: its workflows are terminated on purpose.
    ctx.products = ctx.products.filter((id) => id !== s);
    const client = ctx.stack.temporalClient();
    const interval = SETTINGS.sweepIntervalSeconds * 1000;
    const held = await makeHolds(ctx, s, 3, 2);
    ctx.expect(held.length === 3, `${held.length}/3 holds answered 201`);
    for (const h of held) {
      ctx.exempt(h.holdId);
      await client.workflow
        .getHandle(holdWorkflowId(h.holdId))
        .terminate('chaos: only the sweep may release this hold');
    }
    ctx.fault('3 hold workflows terminated: their timers will never release them');
    // The missed tick T: the holds are sweepable (expiry + grace) by the time Temporal is back (T + 2 s).
    const sweepable = Math.max(...held.map((h) => h.expiresAt)) + SETTINGS.sweepGraceSeconds * 1000;
    const missedTick = Math.ceil(Math.max(Date.now() + 3_000, sweepable - 1_500) / interval) * interval;
    await sleep(Math.max(0, missedTick - 2_000 - Date.now()));
    // No sweep may be running (a watching sweep would release the holds and the Schedule would skip T for overlap):
    // the worker dies, the current sweep run is ended, then Temporal dies before T.
    await ctx.stack.killWorker('w1');
    // The Schedule names its runs `<workflowId>-<time>`: the running ones are in its description.
    const running = (await client.schedule.getHandle(SETTINGS.sweepScheduleId).describe()).info.runningActions;
    for (const a of running) {
      await client.workflow
        .getHandle(a.workflow.workflowId)
        .terminate('chaos: no sweep may be watching across the missed tick')
        .catch(() => undefined);
    }
    await killTemporal(
      ctx,
      `(worker SIGKILLed too, no sweep running) before the sweep tick at ${new Date(missedTick).toISOString()}`,
    );
    ctx.expect(Date.now() < missedTick - 200, 'set-up took too long: Temporal died after the tick it was to miss');
    await sleep(missedTick + 2_000 - Date.now());
    const restartAt = Date.now();
    await restartTemporal(ctx);
    await ctx.stack.startWorker('w1');

    let released = 0;
    const sql = "SELECT COUNT(*) AS n FROM holds WHERE product_id = ? AND release_reason = 'sweep'";
    await poll(async () => (released = await count(ctx, sql, [s])) >= 3, interval + 30_000);
    ctx.expect(released === 3, `${released}/3 holds released by the sweep after the restart`);
    const d = await client.schedule.getHandle(SETTINGS.sweepScheduleId).describe();
    const actions = d.info.recentActions.filter((a) => a.scheduledAt.getTime() >= missedTick - 1_000);
    const forMissed = actions.filter((a) => Math.abs(a.scheduledAt.getTime() - missedTick) < 1_000);
    ctx.note(
      `schedule actions since the missed tick: ${actions.map((a) => `${a.scheduledAt.toISOString().slice(11, 19)}→${a.takenAt.toISOString().slice(11, 19)}`).join(', ')}; skipped for overlap ${d.info.numActionsSkippedOverlap}, missed catch-up window ${d.info.numActionsMissedCatchupWindow}`,
    );
    ctx.expect(forMissed.length === 1, `the missed tick ran ${forMissed.length} times`);
    ctx.expect(
      forMissed.length === 0 || forMissed[0].takenAt.getTime() >= restartAt,
      'the missed tick claims to have run while Temporal was down',
    );
    await finish(ctx);
  },
};

export const webhookTemporalDown: Scenario = {
  name: 'webhook-temporal-down',
  title:
    'Payment webhooks (and duplicates) while Temporal is down, replayed after the restart: each applied exactly once',
  async run(ctx) {
    const [w] = await ctx.createProducts(1, 50);
    const orders = await pendingOrders(ctx, w, 4);
    await killTemporal(ctx, 'with 4 pending orders');
    const e = orders.map(() => `evt_${randomUUID()}`);
    const first = await probeOutage(
      ctx,
      [
        () => ctx.api.webhook(orders[0], e[0], 'paid'),
        () => ctx.api.webhook(orders[1], e[1], 'failed'),
        () => ctx.api.webhook(orders[2], e[2], 'paid'),
        () => ctx.api.webhook(orders[2], e[2], 'paid'),
      ],
      OUTAGE_QUICK_MS,
      'webhooks with Temporal down (the last two are one event, twice at once)',
    );
    ctx.expect(
      first.every((a) => a.status === 200),
      `webhooks with Temporal down: ${first.map((a) => a.status).join(', ')}`,
    );
    const processed = first.filter((a: any) => a.body?.message === 'Payment processed').length;
    ctx.expect(processed === 3, `${processed} webhooks processed for 3 distinct events`);
    const replay = async (when: string) => {
      for (const [i, status] of (['paid', 'failed', 'paid'] as const).entries()) {
        const a = await ctx.api.webhook(orders[i], e[i], status);
        ctx.expect(a.body?.message === 'Webhook already processed', `replay ${when}: ${a.status} ${a.body?.message}`);
      }
    };
    await replay('during the outage');
    await sleep(3_000);
    await restartTemporal(ctx);
    await replay('after the restart');
    const rows = await ctx.query<RowDataPacket>(
      `SELECT order_id, COUNT(*) AS n FROM payment_events WHERE order_id IN (${orders.join(',')}) GROUP BY order_id`,
    );
    ctx.expect(
      rows.length === 3 && rows.every((r) => Number(r.n) === 1),
      `payment events per order: ${JSON.stringify(rows)}`,
    );
    await finish(ctx);
  },
};
