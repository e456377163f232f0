import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import type { RowDataPacket } from 'mysql2/promise';
import { Load } from '../load';
import type { Ctx, Scenario } from '../scenario';
import { log, sleep } from '../util';
import { holdsForKey, holdsSettled, makeHolds, makeOrders, restartWorker } from './helpers';

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
  title: 'MariaDB "killed and restarted" (all connections refused), connections cut at random and mid-transaction',
  async run(ctx) {
    const products = await ctx.createProducts(2, 300);
    const load = new Load(ctx.api, () => products, { users: 5 });
    ctx.startSampling();
    load.start();
    await sleep(3_000);
    ctx.stack.db.setMode('refuse');
    ctx.fault('MariaDB down: every connection cut, new ones refused, for 8 s');
    await sleep(8_000);
    ctx.stack.db.setMode('pass');
    await recovered(ctx, products[0]);
    for (let i = 0; i < 3; i++) {
      await sleep(1_500);
      const n = ctx.stack.db.reset();
      ctx.fault(`${n} MariaDB connections cut mid-flight`);
    }
    await load.stop();

    // Cut exactly while a transaction is open: a release that has updated its rows and not yet committed, and an
    // order likewise. The commit never happens; the retry must do the work once.
    await restartWorker(ctx, 'release.beforeCommit=pause:3000,order.beforeCommit=pause:3000');
    const since = Date.now();
    const [h1, h2] = await makeHolds(ctx, products[1], 2, 2);
    const ordering = makeOrders(ctx, [h2]);
    // Whichever pauses first is cut first, while its transaction is still open.
    const pending = new Set(['order.beforeCommit', 'release.beforeCommit']);
    const deadline = Date.now() + 25_000;
    while (pending.size && Date.now() < deadline) {
      const fired = ctx.stack.firedPoints.find((f) => f.at >= since && pending.has(f.point));
      if (!fired) {
        await sleep(50);
        continue;
      }
      pending.delete(fired.point);
      await sleep(300);
      ctx.fault(`${ctx.stack.db.reset()} MariaDB connections cut while a transaction paused at ${fired.point}`);
    }
    for (const point of pending) ctx.expect(false, `${point} never fired`);
    const ordered = await ordering;
    ctx.expect(ordered.size === 1, 'the order whose transaction was cut never answered 201');
    void h1;
    await restartWorker(ctx, '');
    await ctx.stopSampling();
    await ctx.settle();
    await ctx.agreement();
  },
};

export const mariadbHang: Scenario = {
  name: 'mariadb-hang',
  title:
    'MariaDB connections hang (black hole, then late delivery): the API answers 503 without SQL, never hangs; the pool recovers',
  async run(ctx) {
    const products = await ctx.createProducts(2, 300);
    const load = new Load(ctx.api, () => products, { users: 5 });
    ctx.startSampling();
    load.start();
    await sleep(3_000);
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
    await sleep(2_000);
    await load.stop();
    await ctx.stopSampling();
    await ctx.settle();
    await ctx.agreement();
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
      ctx.startSampling();
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
        const restock = await ctx.api.admin(`/api/admin/products/${p}/restock`, { quantity: 7 });
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
      await ctx.stopSampling();
      await ctx.settle();
      await ctx.agreement();
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
      ctx.startSampling();
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
      await ctx.api.admin(`/api/admin/products/${p}/restock`, { quantity: 5 });
      await poison(plausible(0));
      a = await ctx.api.hold(p, 5, randomUUID());
      ctx.expect(a.status === 201, `5 of 5 restocked with a cache saying 0: ${a.status} ${a.body?.message}`);
      const inDb = await availableInDb(ctx, p);
      ctx.expect(inDb === 0, `after the poisoned run the database has ${inDb} available, expected 0`);
      await ctx.stopSampling();
      await ctx.settle();
      await ctx.agreement();
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
    ctx.startSampling();
    // The reservation pauses at its fault point; the database goes away while it is in flight.
    await restartWorker(ctx, 'reserve.beforeCommit=pause:1500');
    const key = randomUUID();
    const since = Date.now();
    const first = ctx.api.hold(p, 2, key);
    const fired = await waitForPoint(ctx, 'reserve.beforeCommit', since, 15_000);
    ctx.expect(fired, 'reserve.beforeCommit never fired');
    ctx.stack.db.setMode('refuse');
    ctx.fault('MariaDB down for 35 s with a keyed reservation in flight');
    const a = await first;
    ctx.note(`the POST in flight answered ${a.status} after ${a.ms} ms`);
    await sleep(Math.max(0, since + 35_000 - Date.now()));
    ctx.stack.db.setMode('pass');
    await restartWorker(ctx, '');
    const retried = await ctx.api.retrying(() => ctx.api.hold(p, 2, key), 20, 30_000);
    ctx.note(`the same key after the outage: ${retried.status} ${JSON.stringify(retried.body).slice(0, 120)}`);
    ctx.expect(retried.status === 201, `the retried key answered ${retried.status}, not a hold`);
    const n = await holdsForKey(ctx, key);
    ctx.expect(n === (retried.status === 201 ? 1 : 0), `the key made ${n} holds`);
    await ctx.stopSampling();
    await ctx.settle();
    await ctx.agreement();
  },
};

async function waitForPoint(ctx: Ctx, point: string, since: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (ctx.stack.firedPoints.some((f) => f.point === point && f.at >= since)) return true;
    await sleep(25);
  }
  return false;
}
