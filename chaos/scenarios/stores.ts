import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import type { RowDataPacket } from 'mysql2/promise';
import type { Ctx, Scenario } from '../scenario';
import { log } from '../util';
import { sleep } from '../../harness/wait';
import {
  faultFired,
  finish,
  holdsForKey,
  holdHost,
  holdsSettled,
  makeHolds,
  makeOrders,
  proxyFault,
  restartWorker,
} from './helpers';

/** After a database fault heals, the service takes new holds and orders again within this long. */
const RECOVERY_MS = 20_000;

async function recovered(ctx: Ctx, productId: number): Promise<void> {
  const t = Date.now();
  const key = randomUUID();
  const a = await ctx.api.retrying(() => ctx.api.hold(productId, 1, key), 40, RECOVERY_MS);
  ctx.expect(a.status === 201, `no hold answered 201 within ${RECOVERY_MS / 1000} s of the heal (last ${a.status})`);
  log(`  service recovered in ${Date.now() - t} ms`);
}

async function availableInDb(ctx: Ctx, productId: number): Promise<number> {
  const [row] = await ctx.query<RowDataPacket>('SELECT available_stock FROM products WHERE id = ?', [productId]);
  return Number(row.available_stock);
}

export const mariadbDown: Scenario = {
  name: 'mariadb-down',
  title:
    'MariaDB unreachable under load (every connection refused), then connections cut at random and inside open transactions (a release, an order): the retry does the work once',
  async run(ctx) {
    const [p] = await ctx.createProducts(1, 300);
    await proxyFault(ctx, 'db', 'refuse', 8_000);
    await recovered(ctx, p);
    for (let i = 0; i < 3; i++) {
      await sleep(1_500);
      await ctx.loaded();
      const n = ctx.stack.db.reset();
      ctx.expect(n > 0, 'a random cut found no MariaDB connection to cut');
      ctx.fault(`${n} MariaDB connections cut mid-flight`);
    }
    // Cut exactly while a transaction is open (its rows updated, no COMMIT yet): one phase per transaction, so each
    // cut is its own and shows what it cut. The commit never happens; the retry must do the work once.
    for (const point of ['release.beforeCommit', 'order.beforeCommit'] as const) {
      await restartWorker(ctx, `${point}=pause:1500`);
      const since = Date.now();
      const [h] = await makeHolds(ctx, p, 1, 1);
      const ordering = point === 'order.beforeCommit' && h ? makeOrders(ctx, [h]) : null;
      const fired = await faultFired(ctx, point, since, 20_000);
      ctx.expect(fired, `${point} never fired`);
      if (!fired) continue;
      await sleep(300);
      const cut = ctx.stack.db.reset();
      ctx.expect(cut > 0, `the cut at ${point} found no connection to cut`);
      ctx.fault(`${cut} MariaDB connections cut while a transaction paused at ${point}`);
      if (ordering) {
        // The order's own transaction may not be the one that paused (the load orders too); either way the order
        // ends once: 201, or the hold expired meanwhile (and the client is told so, and the database agrees).
        const [a] = [...(await ordering).values()];
        ctx.note(`the order cut at ${point}: ${a ? `order ${a}` : 'not placed before its hold expired'}`);
      }
    }
    await restartWorker(ctx, '');
    await finish(ctx);
  },
};

/**
 * A real crash: the suite's own mariadbd SIGKILLed under load (durable commits: innodb_flush_log_at_trx_commit=1), then
 * started on the same data directory. InnoDB crash recovery must keep every hold, order, payment and release a client
 * was told about (the checker holds the database to every acknowledged answer at each sample).
 */
export const mariadbCrash: Scenario = {
  name: 'mariadb-crash',
  title:
    'MariaDB SIGKILLed under load and restarted (InnoDB crash recovery): every acknowledged hold, order, payment and release survives; the service recovers',
  async run(ctx) {
    const [p] = await ctx.createProducts(1, 300);
    await ctx.loaded();
    const before = { holds: ctx.acks.holds.size, orders: ctx.acks.orders.size, payments: ctx.acks.payments.size };
    await ctx.stack.killMariadb();
    ctx.fault(
      `MariaDB SIGKILLed (acknowledged so far: ${before.holds} holds, ${before.orders} orders, ${before.payments} payments)`,
    );
    await sleep(3_000);
    const recoveryMs = await ctx.stack.restartMariadb();
    ctx.note(`mariadbd answered again ${recoveryMs} ms after its restart (crash recovery included)`);
    await recovered(ctx, p);
    await sleep(5_000);
    // A second crash, sooner after the first recovery, while the pools are still reconnecting.
    await ctx.stack.killMariadb();
    ctx.fault('MariaDB SIGKILLed again, seconds after recovering');
    await sleep(1_000);
    await ctx.stack.restartMariadb();
    await recovered(ctx, p);
    await ctx.sample();
    await finish(ctx);
  },
};

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

    await ctx.stack.killRedis();
    ctx.fault('Redis SIGKILLed');
    const during = await ctx.api.hold(s, 1, randomUUID());
    ctx.expect(during.status === 400, `sold out, Redis dead: a hold answered ${during.status}`);
    const restock = await ctx.api.restock(s, 3);
    ctx.expect(restock.status === 200, `a restock with Redis dead answered ${restock.status}`);
    await sleep(2_000);
    await ctx.stack.restartRedis();
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
    for (const id of [p, s]) {
      const a = await ctx.api.product(id);
      const inDb = await availableInDb(ctx, id);
      ctx.expect(
        a.body?.available_stock === inDb,
        `product ${id} after Redis was lost: read ${a.body?.available_stock}, database ${inDb}`,
      );
    }
    // A second loss while the load's counters and entries have refilled.
    await sleep(3_000);
    await ctx.stack.killRedis();
    ctx.fault('Redis SIGKILLed again under load');
    await sleep(3_000);
    await ctx.stack.restartRedis();
    await finish(ctx);
  },
};

export const mariadbHang: Scenario = {
  name: 'mariadb-hang',
  title:
    'MariaDB connections hang (black hole, then late delivery): the API answers 503 without SQL, never hangs; the pool recovers',
  async run(ctx) {
    const products = await ctx.createProducts(2, 300);
    ctx.stack.db.setMode('blackhole');
    ctx.fault('MariaDB black-holed for 10 s: open connections and new ones hang');
    const during = await Promise.all([
      ctx.api.call('GET', '/api/holds?limit=5'),
      ctx.api.product(products[0]),
      ctx.api.hold(products[0], 1, randomUUID()),
    ]);
    ctx.note(`during the hang: ${during.map((a) => `${a.status}/${a.ms}ms`).join(' ')}`);
    await sleep(Math.max(0, 10_000 - Math.max(...during.map((a) => a.ms))));
    ctx.stack.db.setMode('pass');
    await recovered(ctx, products[0]);
    await sleep(3_000);
    // A hang that never ends for the connections caught in it: they are cut when the network comes back.
    ctx.stack.db.setMode('blackhole');
    ctx.fault('MariaDB black-holed for 6 s, then those connections cut');
    await sleep(6_000);
    ctx.stack.db.reset();
    ctx.stack.db.setMode('pass');
    await recovered(ctx, products[1]);
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
        let a = await ctx.api.product(p);
        let inDb = await availableInDb(ctx, p);
        ctx.expect(
          a.body?.available_stock === inDb,
          `after Redis came back: read ${a.body?.available_stock}, database ${inDb} (stale cache)`,
        );
        // ... and the cache fills again, with that.
        let cached: string | null = null;
        for (let i = 0; i < 40 && cached === null; i++) {
          await ctx.api.product(p);
          cached = await redis.get(`product:${p}`);
          if (cached === null) await sleep(250);
        }
        ctx.expect(cached !== null, 'the cache did not refill within 10 s of Redis coming back');
        a = await ctx.api.product(p);
        inDb = await availableInDb(ctx, p);
        ctx.expect(
          a.body?.available_stock === inDb,
          `refilled cache: read ${a.body?.available_stock}, database ${inDb}`,
        );
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
      const keys = await redis.keys(`product:${p}*`);
      for (const k of new Set([...keys, `product:${p}`])) await redis.set(k, value(k), 'EX', 60);
      ctx.fault(`cache poisoned: ${[...new Set([...keys, `product:${p}`])].join(', ')}`);
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
    try {
      await poison(plausible(10_000));
      let a = await ctx.api.hold(p, 11, randomUUID());
      ctx.expect(
        a.status === 400 && /Only 10 units/.test(a.body?.message),
        `11 of 10 with a cache saying 10000: ${a.status} ${a.body?.message}`,
      );
      await poison(plausible(0));
      a = await ctx.api.hold(p, 4, randomUUID());
      ctx.expect(a.status === 201, `4 of 10 with a cache saying 0: ${a.status} ${a.body?.message}`);
      await poison(() => '{not json');
      a = await ctx.api.hold(p, 6, randomUUID());
      ctx.expect(a.status === 201, `6 of 6 with a malformed cache: ${a.status} ${a.body?.message}`);
      await poison(plausible(-5));
      a = await ctx.api.hold(p, 1, randomUUID());
      ctx.expect(
        a.status === 400 && /Only 0 units/.test(a.body?.message),
        `1 of 0 with a cache saying -5: ${a.status} ${a.body?.message}`,
      );
      await poison(() => '99999999999999999999999');
      a = await ctx.api.hold(p, 1, randomUUID());
      ctx.expect(
        a.status === 400 && /Only 0 units/.test(a.body?.message),
        `1 of 0 with a huge cache value: ${a.status} ${a.body?.message}`,
      );
      // The stock comes back (a restock) while the cache still claims 0: the database decides.
      await ctx.api.restock(p, 5);
      await poison(plausible(0));
      a = await ctx.api.hold(p, 5, randomUUID());
      ctx.expect(a.status === 201, `5 of 5 restocked with a cache saying 0: ${a.status} ${a.body?.message}`);
      const inDb = await availableInDb(ctx, p);
      ctx.expect(inDb === 0, `after the poisoned run the database has ${inDb} available, expected 0`);
      await finish(ctx);
    } finally {
      redis.disconnect();
    }
  },
};

export const mariadbLongOutage: Scenario = {
  name: 'mariadb-long-outage',
  title:
    'MariaDB down 35 s (longer than the reservation retry budget) under a keyed POST: 503, and its retry afterwards gets one hold',
  async run(ctx) {
    const [p] = await ctx.createProducts(1, 100);
    // The reservation pauses at its fault point (where holds reserve: the API, or the worker); the database goes away
    // while it is in flight.
    const host = holdHost(ctx);
    await host.arm('reserve.beforeCommit=pause:1500');
    const key = randomUUID();
    const since = Date.now();
    const first = ctx.api.hold(p, 2, key);
    const fired = await faultFired(ctx, 'reserve.beforeCommit', since, 15_000);
    ctx.expect(fired, 'reserve.beforeCommit never fired');
    ctx.stack.db.setMode('refuse');
    ctx.fault('MariaDB down for 35 s with a keyed reservation in flight');
    const a = await first;
    ctx.note(`the POST in flight answered ${a.status} after ${a.ms} ms`);
    await sleep(Math.max(0, since + 35_000 - Date.now()));
    ctx.stack.db.setMode('pass');
    await host.arm('');
    const retried = await ctx.api.retrying(() => ctx.api.hold(p, 2, key), 20, 30_000);
    ctx.note(`the same key after the outage: ${retried.status} ${JSON.stringify(retried.body).slice(0, 120)}`);
    ctx.expect(retried.status === 201, `the retried key answered ${retried.status}, not a hold`);
    const n = await holdsForKey(ctx, key);
    ctx.expect(n === (retried.status === 201 ? 1 : 0), `the key made ${n} holds`);
    await finish(ctx);
  },
};
