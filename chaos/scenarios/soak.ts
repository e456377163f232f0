import Redis from 'ioredis';
import type { Ctx, Scenario } from '../scenario';
import { log, pick, rand, randInt } from '../util';
import { sleep } from '../../harness/wait';
import { finish, proxyFault } from './helpers';

interface Nemesis {
  name: string;
  /** Breaks something, waits, heals it; resolves once healed with what it did. */
  strike: (ctx: Ctx, redis: Redis, products: number[]) => Promise<string>;
}

/** A part of the system the nemeses take down (`kill`: SIGKILL, or SIGSTOP) and bring back (`start`). */
type Target = { kill(): Promise<unknown>; start(): Promise<unknown> };

/** `target` down for `seconds`, then back: the shape of most nemeses. */
const downFor = (name: string, seconds: [number, number], what: string, target: (ctx: Ctx) => Target): Nemesis => ({
  name,
  async strike(ctx) {
    const s = randInt(...seconds);
    await target(ctx).kill();
    await sleep(s * 1000);
    await target(ctx).start();
    return `${what} for ${s} s`;
  },
});

export const NEMESES: Nemesis[] = [
  downFor('worker-kill', [1, 5], 'worker SIGKILLed', (c) => ({
    kill: () => c.stack.killWorker('w1'),
    start: () => c.stack.startWorker('w1'),
  })),
  downFor('worker-stop', [5, 13], 'worker SIGSTOPped', (c) => ({
    kill: async () => c.stack.worker('w1')?.signal('SIGSTOP'),
    start: async () => c.stack.worker('w1')?.signal('SIGCONT'),
  })),
  {
    name: 'worker-term',
    async strike(ctx) {
      await ctx.stack.stopWorker('w1');
      await ctx.stack.startWorker('w1');
      return 'worker SIGTERMed (drained) and restarted';
    },
  },
  downFor('temporal-kill', [3, 8], 'Temporal SIGKILLed', (c) => ({
    kill: async () => c.stack.temporal?.kill(),
    start: async () => {
      await c.stack.startTemporal();
      await c.stack.superviseWorkers();
    },
  })),
  downFor('mariadb-kill', [1, 4], 'MariaDB SIGKILLed', (c) => c.stack.mariadb),
  downFor('redis-kill', [1, 4], 'Redis SIGKILLed (back empty)', (c) => c.stack.redisServer),
  { name: 'db-down', strike: (ctx) => proxyFault(ctx, 'db', 'refuse', randInt(3, 8) * 1000, false) },
  { name: 'db-hang', strike: (ctx) => proxyFault(ctx, 'db', 'blackhole', randInt(2, 6) * 1000, false) },
  { name: 'redis-down', strike: (ctx) => proxyFault(ctx, 'redis', 'refuse', randInt(3, 8) * 1000, false) },
  { name: 'redis-hang', strike: (ctx) => proxyFault(ctx, 'redis', 'blackhole', randInt(3, 8) * 1000, false) },
  {
    name: 'db-cut',
    async strike(ctx) {
      let n = 0;
      for (let i = 0; i < 3; i++) {
        n += ctx.stack.db.reset();
        await sleep(rand(200, 1_500));
      }
      return `${n} MariaDB connections cut in 3 bursts`;
    },
  },
  {
    name: 'api-kill',
    async strike(ctx) {
      ctx.stack.apiOutages.begin();
      await ctx.stack.api?.kill();
      await sleep(randInt(1, 3) * 1000);
      await ctx.stack.startApi();
      return 'API SIGKILLed under load and restarted';
    },
  },
  {
    name: 'cache-poison',
    async strike(_ctx, redis, products) {
      const p = pick(products);
      const keys = await redis.keys(`product:${p}*`).catch(() => [] as string[]);
      for (const k of new Set([...keys, `product:${p}`]))
        await redis.set(k, pick(['0', '-1', '{"id":', '999999']), 'EX', 30).catch(() => undefined);
      return `cache of product ${p} poisoned`;
    },
  },
];

/** Two nemeses at once (different ones), overlapping: the second strikes while the first is still in effect. */
async function pair(ctx: Ctx, redis: Redis, products: number[]): Promise<string> {
  const a = pick(NEMESES);
  const b = pick(NEMESES.filter((n) => n.name !== a.name && n.name.split('-')[0] !== a.name.split('-')[0]));
  const first = a.strike(ctx, redis, products);
  await sleep(rand(300, 1_500));
  const second = b.strike(ctx, redis, products);
  return `${await first} + ${await second} (overlapping)`;
}

/** Random faults (one at a time, or two overlapping) every 8–16 s under the background load. */
export function nemesisSoak(seconds: number): Scenario {
  return {
    name: 'nemesis-soak',
    title: `Nemesis soak, ${seconds} s: a random fault, or two overlapping, every 8–16 s (worker kill/stop/term, Temporal kill, MariaDB kill/down/cut/hang, Redis kill/down/hang, API kill, cache poison) under load`,
    async run(ctx) {
      const products = await ctx.createProducts(2, 2_000);
      ctx.loadOn(products);
      const redis = new Redis(ctx.stack.directRedisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
      redis.on('error', () => undefined);
      const end = Date.now() + seconds * 1000;
      const used = new Map<string, number>();
      try {
        while (Date.now() < end) {
          await sleep(Math.min(rand(8_000, 16_000), Math.max(0, end - Date.now())));
          if (Date.now() >= end) break;
          const both = Math.random() < 0.4;
          const n = both ? { name: 'pair', strike: pair } : pick(NEMESES);
          used.set(n.name, (used.get(n.name) ?? 0) + 1);
          ctx.fault(`nemesis ${n.name}`);
          log(`    ${await n.strike(ctx, redis, products)}`);
          await ctx.stack.superviseWorkers();
        }
        await ctx.checks.stopSampling();
        log('  soak done; settling');
        await ctx.settle(60_000);
        const agreed = await ctx.agreement(products, 45_000);
        ctx.note(
          `faults: ${[...used].map(([k, v]) => `${k}×${v}`).join(', ')}; workflow = database for ${agreed.holds} holds, ${agreed.orders} orders`,
        );
      } finally {
        redis.disconnect();
      }
    },
  };
}

/** The named two-fault nemesis: the worker SIGKILLed while MariaDB is stalled (black hole), restarted into the stall. */
export const workerKillDuringDbStall: Scenario = {
  name: 'worker-kill-during-db-stall',
  title:
    'Two faults at once under load: MariaDB stalls (black hole), the worker is SIGKILLed inside the stall and restarted while it lasts; then the stall lifts',
  async run(ctx) {
    const [p] = await ctx.createProducts(1, 200);
    ctx.loadOn([p]);
    await sleep(2_000);
    ctx.stack.db.setMode('blackhole');
    ctx.fault('MariaDB stalled (black hole)');
    await sleep(2_000);
    await ctx.stack.killWorker('w1');
    ctx.fault('worker SIGKILLed during the MariaDB stall');
    // The new worker starts into the stall (its connections wait); the stall lifts while it comes up.
    const starting = ctx.stack.startWorker('w1');
    await sleep(5_000);
    ctx.stack.db.setMode('pass');
    await starting;
    await sleep(5_000);
    await finish(ctx);
  },
};
