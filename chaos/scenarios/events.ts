import type { RowDataPacket } from 'mysql2/promise';
import { startReceiver, type ReceivedEvent } from '../../src/events/receiver';
import type { OutboundEvent } from '../../src/shared/events';
import { Ctx, type Scenario } from '../scenario';
import { freePort, poll, sleep } from '../../harness/wait';
import { finish, makeHolds, makeOrders, restartWorker } from './helpers';

const SECRET = 'chaos-events-secret';

/** Turns outbound events on for the API and the worker (restarted), runs `body`, then turns them off again. */
async function withEvents(ctx: Ctx, port: number, body: () => Promise<void>): Promise<void> {
  ctx.stack.extraEnv = { EVENTS_URL: `http://127.0.0.1:${port}/`, EVENTS_SECRET: SECRET };
  try {
    await ctx.stack.restartApi();
    await restartWorker(ctx);
    await body();
  } finally {
    ctx.stack.extraEnv = {};
    await ctx.stack.restartApi();
    await restartWorker(ctx);
  }
}

/** Holds and orders of the scenario's own product, taken through each path an event comes from. */
async function someLives(ctx: Ctx, productId: number): Promise<void> {
  const held = await makeHolds(ctx, productId, 8, 1);
  const orders = [...(await makeOrders(ctx, held.slice(0, 6))).values()];
  for (const [i, o] of orders.entries()) {
    if (i < 4) await ctx.api.retrying(() => ctx.api.webhook(o, `evt_${ctx.started}_${o}`, i % 2 ? 'failed' : 'paid'));
  }
  if (held[6]) await ctx.api.release(held[6].holdId);
}

/** What the database says each hold of the product went through, as the event types its receiver must hear. */
async function expectedEvents(ctx: Ctx, productId: number): Promise<Map<number, string[]>> {
  const rows = await ctx.query<RowDataPacket>(
    `SELECT h.id, h.release_reason, h.used_at, o.status FROM holds h LEFT JOIN orders o ON o.hold_id = h.id
     WHERE h.product_id = ?`,
    [productId],
  );
  const expected = new Map<number, string[]>();
  for (const r of rows) {
    const types = ['hold.created'];
    if (r.used_at) {
      types.push('order.created');
      if (r.status === 'completed') types.push('order.completed');
      if (r.status === 'cancelled') types.push('order.cancelled');
    } else if (r.release_reason === 'released') types.push('hold.released');
    else if (r.release_reason) types.push('hold.expired');
    expected.set(Number(r.id), types);
  }
  return expected;
}

const holdOf = (e: OutboundEvent) =>
  Number(e.type.startsWith('hold.') ? (e.data as { id: number }).id : (e.data as { hold_id: number }).hold_id);

/** Every expected event arrived once after dedup by id, in order per hold, and nothing else for these holds. */
async function expectAllDelivered(ctx: Ctx, productId: number, received: ReceivedEvent[]): Promise<void> {
  const expected = await expectedEvents(ctx, productId);
  const want = [...expected.values()].flat().length;
  const heard = () => {
    const byHold = new Map<number, string[]>();
    for (const r of received) {
      if (r.duplicate || !expected.has(holdOf(r.event))) continue;
      byHold.set(holdOf(r.event), [...(byHold.get(holdOf(r.event)) ?? []), r.event.type]);
    }
    return byHold;
  };
  await poll(() => [...heard().values()].flat().length >= want, 120_000, 500);
  const got = heard();
  for (const [holdId, types] of expected) {
    ctx.expect(
      JSON.stringify(got.get(holdId) ?? []) === JSON.stringify(types),
      `hold ${holdId}: heard ${JSON.stringify(got.get(holdId) ?? [])}, expected ${JSON.stringify(types)}`,
    );
  }
  const dups = received.filter((r) => r.duplicate).length;
  ctx.note(`${want} events heard once each in order per hold (${dups} redeliveries deduped by id)`);
}

/** The receiver is down while holds live and die, then comes up: it gets every event afterwards. */
export const eventsReceiverDown: Scenario = {
  name: 'events-receiver-down',
  title:
    'EVENTS_URL set (outbound events on): the receiver down, then up: every event arrives afterwards, once by id, in order per hold',
  async run(ctx) {
    const port = await freePort();
    await withEvents(ctx, port, async () => {
      const [p] = await ctx.createProducts(1, 50);
      await someLives(ctx, p);
      ctx.fault('receiver down while holds are created, ordered, paid, released and expire');
      // The holds settle with the receiver still down; their workflows stay open until their events are out, so the
      // workflow/database agreement is checked once the receiver has heard them all.
      await ctx.checks.stopSampling();
      await ctx.settle();
      await sleep(5_000);
      const received: ReceivedEvent[] = [];
      const rejected: string[] = [];
      const receiver = await startReceiver({
        port,
        secret: SECRET,
        onEvent: (r) => received.push(r),
        onRejected: (why) => rejected.push(why),
      });
      try {
        await expectAllDelivered(ctx, p, received);
        ctx.expect(rejected.length === 0, `receiver rejected ${rejected.length}: ${rejected.slice(0, 3).join(', ')}`);
        await ctx.agreement(ctx.products);
      } finally {
        await receiver.close();
      }
    });
  },
};

/** The worker SIGKILLed while deliveries are in flight (the receiver answers slowly): another attempt delivers them. */
export const eventsWorkerKill: Scenario = {
  name: 'events-worker-kill',
  title:
    'EVENTS_URL set (outbound events on): worker SIGKILLed mid-delivery of outbound events: none lost, each once by id, in order per hold',
  async run(ctx) {
    const port = await freePort();
    const received: ReceivedEvent[] = [];
    let inFlight = 0;
    const receiver = await startReceiver({ port, secret: SECRET, onEvent: (r) => received.push(r) });
    // Slow answers keep deliveries in flight when the worker dies (its attempts then time out and are retried).
    receiver.server.prependListener('request', (_req, res) => {
      inFlight++;
      res.on('close', () => inFlight--);
      const end = res.end.bind(res);
      res.end = ((...args: Parameters<typeof res.end>) => {
        setTimeout(() => end(...args), 1_500);
        return res;
      }) as typeof res.end;
    });
    try {
      await withEvents(ctx, port, async () => {
        const [p] = await ctx.createProducts(1, 50);
        await someLives(ctx, p);
        await poll(() => inFlight > 0, 30_000, 50);
        ctx.fault(`worker SIGKILLed with ${inFlight} deliveries in flight`);
        await ctx.stack.killWorker();
        await sleep(2_000);
        await ctx.stack.startWorker();
        await finish(ctx);
        await expectAllDelivered(ctx, p, received);
      });
    } finally {
      await receiver.close();
    }
  },
};
