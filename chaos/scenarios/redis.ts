import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import type { RowDataPacket } from 'mysql2/promise';
import type { Ctx, Scenario } from '../scenario';
import { sleep } from '../../harness/wait';
import { finish, holdsSettled } from './helpers';

/** Redis lost, unreachable, hung or poisoned: the cache never decides a reservation and refills with the truth. */

async function availableInDb(ctx: Ctx, productId: number): Promise<number> {
  const [row] = await ctx.query<RowDataPacket>('SELECT available_stock FROM products WHERE id = ?', [productId]);
  return Number(row.available_stock);
}

/** A product read shows what the database has (`when`: the moment, for the violation). */
async function expectReadFresh(ctx: Ctx, productId: number, when: string, suffix = ''): Promise<void> {
  const a = await ctx.api.product(productId);
  const inDb = await availableInDb(ctx, productId);
  ctx.expect(a.body?.available_stock === inDb, `${when}: read ${a.body?.available_stock}, database ${inDb}${suffix}`);
}

/**
 * Redis lost: the suite's own redis-server SIGKILLed under load, restarted empty (no persistence). Stock, the sold-out
 * gate, idempotency and rate limits stay correct: the database is the authority, and the cache refills.
 */
export const redisCrash: Scenario = {
  name: 'redis-crash',
  title:
    'Redis SIGKILLed under load and restarted empty: a sold-out product stays sold out until restocked (the restock made while Redis was dead), a keyed hold replays as itself, reads match the database',
  async run(ctx) {
    const [p, s] = await ctx.createProducts(2, 4);
    const key = randomUUID();
    const first = await ctx.api.retrying(() => ctx.api.hold(p, 1, key), 10, 20_000);
    ctx.expect(first.status === 201, `the keyed hold answered ${first.status}`);
    const sold = await ctx.api.retrying(() => ctx.api.hold(s, 4, randomUUID()), 10, 20_000);
    ctx.expect(sold.status === 201, `selling out answered ${sold.status}`);
    const gate = await ctx.api.hold(s, 1, randomUUID());
    ctx.expect(gate.status === 400, `a hold on the sold-out product answered ${gate.status}`);

    await ctx.stack.redisServer.kill();
    ctx.fault('Redis SIGKILLed');
    const during = await ctx.api.hold(s, 1, randomUUID());
    ctx.expect(during.status === 400, `sold out, Redis dead: a hold answered ${during.status}`);
    const restock = await ctx.api.restock(s, 3);
    ctx.expect(restock.status === 200, `a restock with Redis dead answered ${restock.status}`);
    await sleep(2_000);
    await ctx.stack.redisServer.start();
    ctx.note('Redis restarted empty: no cached product, no gate, no rate-limit counter');

    const again = await ctx.api.retrying(() => ctx.api.hold(p, 1, key), 10, 20_000);
    ctx.expect(
      again.status === 201 && again.body.data.hold_id === first.body.data.hold_id,
      `the same key after Redis was lost answered ${again.status} hold ${again.body?.data?.hold_id} (first ${first.body.data.hold_id})`,
    );
    const restocked = await ctx.api.retrying(() => ctx.api.hold(s, 3, randomUUID()), 10, 20_000);
    ctx.expect(
      restocked.status === 201,
      `3 of the 3 restocked units answered ${restocked.status} ${restocked.body?.message ?? ''}`,
    );
    const over = await ctx.api.hold(s, 1, randomUUID());
    ctx.expect(over.status === 400, `sold out again, fresh Redis: a hold answered ${over.status}`);
    await sleep(3_000); // past the post-outage cache bypass: reads come from the cache again
    for (const id of [p, s]) await expectReadFresh(ctx, id, `product ${id} after Redis was lost`);
    // A second loss while the load's counters and entries have refilled.
    await sleep(3_000);
    await ctx.stack.redisServer.kill();
    ctx.fault('Redis SIGKILLed again under load');
    await sleep(3_000);
    await ctx.stack.redisServer.start();
    await finish(ctx);
  },
};

/** Product reads while Redis is unreachable must come from MariaDB within this budget. */
const READ_BUDGET_MS = 1_000;

export const redisOutage: Scenario = {
  name: 'redis-outage',
  title:
    'Redis down, then hung (a restock inside each): product reads from MariaDB within 1 s, holds unaffected; afterwards reads show the committed stock and the cache refills',
  async run(ctx) {
    const [p] = await ctx.createProducts(1, 300);
    const redis = new Redis(ctx.stack.directRedisUrl, { maxRetriesPerRequest: 1 });
    try {
      for (const mode of ['refuse', 'blackhole'] as const) {
        await ctx.api.product(p); // warm
        ctx.stack.redis.setMode(mode);
        ctx.fault(`Redis ${mode === 'refuse' ? 'down' : 'hung (black hole)'} for about 15 s`);
        const until = Date.now() + 4_000;
        let reads = 0;
        let holds = 0;
        let worst = 0;
        while (Date.now() < until) {
          const [r, h] = await Promise.all([ctx.api.product(p), ctx.api.hold(p, 1, randomUUID())]);
          reads++;
          worst = Math.max(worst, r.ms);
          ctx.expect(r.status === 200, `GET product with Redis ${mode}: ${r.status}`);
          if (h.status === 201) holds++;
          else ctx.expect(false, `POST hold with Redis ${mode}: ${h.status} ${h.body?.message ?? ''}`);
          await sleep(200);
        }
        ctx.expect(
          worst <= READ_BUDGET_MS,
          `slowest product read with Redis ${mode}: ${worst} ms (budget ${READ_BUDGET_MS})`,
        );
        ctx.note(`Redis ${mode}: ${reads} reads (slowest ${worst} ms), ${holds} holds 201`);
        // Still away: the outage's holds expire (their releases cannot invalidate either), then one last change, a
        // restock, whose invalidation cannot be delivered now. An entry cached before the outage is now stale.
        ctx.expect(await holdsSettled(ctx, p, 30_000), `holds made with Redis ${mode} not released`);
        const restock = await ctx.api.restock(p, 7);
        ctx.expect(restock.status === 200, `restock with Redis ${mode}: ${restock.status}`);
        ctx.stack.redis.setMode('pass');
        await sleep(2_500); // every client's reconnect attempt comes within 2 s
        // Fresh: a read equals the database (an entry cached before the outage would show older stock) ...
        await expectReadFresh(ctx, p, 'after Redis came back', ' (stale cache)');
        // ... and the cache fills again, with that.
        let cached: string | null = null;
        for (let i = 0; i < 40 && cached === null; i++) {
          await ctx.api.product(p);
          cached = await redis.get(`product:${p}`);
          if (cached === null) await sleep(250);
        }
        ctx.expect(cached !== null, 'the cache did not refill within 10 s of Redis coming back');
        await expectReadFresh(ctx, p, 'refilled cache');
      }
      await finish(ctx);
    } finally {
      redis.disconnect();
    }
  },
};

export const poisonedCache: Scenario = {
  name: 'poisoned-cache',
  title: 'Poisoned cache entries (plausible, malformed, negative, huge) never decide a reservation',
  async run(ctx) {
    const [p] = await ctx.createProducts(1, 10);
    const redis = new Redis(ctx.stack.directRedisUrl, { maxRetriesPerRequest: 1 });
    const poison = async (value: (key: string) => string) => {
      await ctx.api.product(p); // make sure the entry (and any companion keys) exist
      const keys = new Set([...(await redis.keys(`product:${p}*`)), `product:${p}`]);
      for (const k of keys) await redis.set(k, value(k), 'EX', 60);
      ctx.fault(`cache poisoned: ${[...keys].join(', ')}`);
    };
    const plausible = (available: number) => (k: string) =>
      k === `product:${p}`
        ? JSON.stringify({
            id: p,
            name: 'x',
            total_stock: 10_000,
            available_stock: available,
            price: 1,
            created_at: 'x',
            updated_at: 'x',
          })
        : String(available);
    // Each poison, then a hold the database must decide: `refused` names what it still has, else it is a 201.
    const cases: [(k: string) => string, number, RegExp | null, string][] = [
      [plausible(10_000), 11, /Only 10 units/, '11 of 10 with a cache saying 10000'],
      [plausible(0), 4, null, '4 of 10 with a cache saying 0'],
      [() => '{not json', 6, null, '6 of 6 with a malformed cache'],
      [plausible(-5), 1, /Only 0 units/, '1 of 0 with a cache saying -5'],
      [() => '99999999999999999999999', 1, /Only 0 units/, '1 of 0 with a huge cache value'],
    ];
    try {
      for (const [value, quantity, refused, what] of cases) {
        await poison(value);
        const a = await ctx.api.hold(p, quantity, randomUUID());
        const ok = refused ? a.status === 400 && refused.test(a.body?.message) : a.status === 201;
        ctx.expect(ok, `${what}: ${a.status} ${a.body?.message}`);
      }
      // The stock comes back (a restock) while the cache still claims 0: the database decides.
      await ctx.api.restock(p, 5);
      await poison(plausible(0));
      const a = await ctx.api.hold(p, 5, randomUUID());
      ctx.expect(a.status === 201, `5 of 5 restocked with a cache saying 0: ${a.status} ${a.body?.message}`);
      const inDb = await availableInDb(ctx, p);
      ctx.expect(inDb === 0, `after the poisoned run the database has ${inDb} available, expected 0`);
      await finish(ctx);
    } finally {
      redis.disconnect();
    }
  },
};
