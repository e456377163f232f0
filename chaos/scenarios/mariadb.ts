import { randomUUID } from 'node:crypto';
import type { Ctx, Scenario } from '../scenario';
import { log } from '../util';
import { sleep } from '../../harness/wait';
import {
  expectFired,
  finish,
  holdsForKey,
  holdHost,
  makeHolds,
  makeOrders,
  proxyFault,
  restartWorker,
} from './helpers';

/** MariaDB unreachable, hung, SIGKILLed, or away longer than the retry budget: the database is the authority. */

/** After a database fault heals, the service takes new holds and orders again within this long. */
const RECOVERY_MS = 20_000;

async function recovered(ctx: Ctx, productId: number): Promise<void> {
  const t = Date.now();
  const key = randomUUID();
  const a = await ctx.api.retrying(() => ctx.api.hold(productId, 1, key), 40, RECOVERY_MS);
  ctx.expect(a.status === 201, `no hold answered 201 within ${RECOVERY_MS / 1000} s of the heal (last ${a.status})`);
  log(`  service recovered in ${Date.now() - t} ms`);
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
      if (!(await expectFired(ctx, point, since, 20_000))) continue;
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
    await ctx.stack.mariadb.kill();
    ctx.fault(
      `MariaDB SIGKILLed (acknowledged so far: ${before.holds} holds, ${before.orders} orders, ${before.payments} payments)`,
    );
    await sleep(3_000);
    const recoveryMs = await ctx.stack.mariadb.start();
    ctx.note(`mariadbd answered again ${recoveryMs} ms after its restart (crash recovery included)`);
    await recovered(ctx, p);
    await sleep(5_000);
    // A second crash, sooner after the first recovery, while the pools are still reconnecting.
    await ctx.stack.mariadb.kill();
    ctx.fault('MariaDB SIGKILLed again, seconds after recovering');
    await sleep(1_000);
    await ctx.stack.mariadb.start();
    await recovered(ctx, p);
    await ctx.checks.sample();
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
    await expectFired(ctx, 'reserve.beforeCommit', since, 15_000);
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
