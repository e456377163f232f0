import Redis from 'ioredis';
import { Load } from '../load';
import type { Ctx, Scenario } from '../scenario';
import { log, pick, rand, randInt, sleep } from '../util';

interface Nemesis {
  name: string;
  /** Breaks something, waits, heals it; resolves once healed. */
  strike: (ctx: Ctx, redis: Redis, products: number[]) => Promise<string>;
}

const NEMESES: Nemesis[] = [
  {
    name: 'worker-kill',
    async strike(ctx) {
      const down = randInt(1, 5);
      await ctx.stack.killWorker('w1');
      await sleep(down * 1000);
      await ctx.stack.startWorker('w1');
      return `worker SIGKILLed, back after ${down} s`;
    },
  },
  {
    name: 'worker-stop',
    async strike(ctx) {
      const s = randInt(5, 13);
      ctx.stack.worker('w1')?.signal('SIGSTOP');
      await sleep(s * 1000);
      ctx.stack.worker('w1')?.signal('SIGCONT');
      return `worker SIGSTOPped for ${s} s`;
    },
  },
  {
    name: 'worker-term',
    async strike(ctx) {
      await ctx.stack.stopWorker('w1');
      await ctx.stack.startWorker('w1');
      return 'worker SIGTERMed (drained) and restarted';
    },
  },
  {
    name: 'temporal-kill',
    async strike(ctx) {
      const down = randInt(3, 8);
      await ctx.stack.killTemporal();
      await sleep(down * 1000);
      await ctx.stack.startTemporal();
      await ctx.stack.superviseWorkers();
      return `Temporal SIGKILLed, restarted after ${down} s`;
    },
  },
  {
    name: 'db-down',
    async strike(ctx) {
      const s = randInt(3, 8);
      ctx.stack.db.setMode('refuse');
      await sleep(s * 1000);
      ctx.stack.db.setMode('pass');
      return `MariaDB down for ${s} s`;
    },
  },
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
    name: 'db-hang',
    async strike(ctx) {
      const s = randInt(2, 6);
      ctx.stack.db.setMode('blackhole');
      await sleep(s * 1000);
      ctx.stack.db.setMode('pass');
      return `MariaDB hung for ${s} s`;
    },
  },
  {
    name: 'redis-down',
    async strike(ctx) {
      const s = randInt(3, 8);
      ctx.stack.redis.setMode('refuse');
      await sleep(s * 1000);
      ctx.stack.redis.setMode('pass');
      return `Redis down for ${s} s`;
    },
  },
  {
    name: 'redis-hang',
    async strike(ctx) {
      const s = randInt(3, 8);
      ctx.stack.redis.setMode('blackhole');
      await sleep(s * 1000);
      ctx.stack.redis.setMode('pass');
      return `Redis hung for ${s} s`;
    },
  },
  {
    name: 'cache-poison',
    async strike(_ctx, redis, products) {
      const p = pick(products);
      const keys = await redis.keys(`product:${p}*`);
      for (const k of new Set([...keys, `product:${p}`]))
        await redis.set(k, pick(['0', '-1', '{"id":', '999999']), 'EX', 30);
      return `cache of product ${p} poisoned`;
    },
  },
];

/** Random faults from the list every 10–20 s under steady load, the checker sampling throughout. */
export function nemesisSoak(seconds: number): Scenario {
  return {
    name: 'nemesis-soak',
    title: `Nemesis soak, ${seconds} s: a random fault every 10–20 s (worker kill/stop/term, Temporal kill, MariaDB down/cut/hang, Redis down/hang, cache poison) under load`,
    async run(ctx) {
      const products = [...(await ctx.createProducts(2, 2_000)), ...(await ctx.createProducts(1, 8))];
      const redis = new Redis(ctx.stack.directRedisUrl, { maxRetriesPerRequest: 1 });
      const load = new Load(ctx.api, () => products, { users: 6 });
      const end = Date.now() + seconds * 1000;
      const used = new Map<string, number>();
      try {
        ctx.startSampling(2_000);
        load.start();
        while (Date.now() < end) {
          await sleep(Math.min(rand(10_000, 20_000), Math.max(0, end - Date.now())));
          if (Date.now() >= end) break;
          const n = pick(NEMESES);
          used.set(n.name, (used.get(n.name) ?? 0) + 1);
          ctx.fault(await n.strike(ctx, redis, products));
          await ctx.stack.superviseWorkers();
        }
        await load.stop();
        await ctx.stopSampling();
        log(`  soak done after ${load.flows} customer flows; settling`);
        await ctx.settle(60_000);
        const agreed = await ctx.agreement(ctx.products, 45_000);
        ctx.note(
          `${load.flows} customer flows; faults: ${[...used].map(([k, v]) => `${k}×${v}`).join(', ')}; workflow = database for ${agreed.holds} holds, ${agreed.orders} orders`,
        );
      } finally {
        redis.disconnect();
      }
    },
  };
}
