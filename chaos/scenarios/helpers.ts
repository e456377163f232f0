import { randomUUID } from 'node:crypto';
import type { RowDataPacket } from 'mysql2/promise';
import { TTL_MS, type Ctx } from '../scenario';
import type { Proc } from '../../harness/process';
import { ASLEEP } from '../service';
import { log } from '../util';
import { poll, sleep } from '../../harness/wait';

/** Restarts worker `name` with these fault points armed ('' for none). */
export async function restartWorker(ctx: Ctx, faults = '', name = 'w1'): Promise<void> {
  await ctx.stack.stopWorker(name);
  await ctx.stack.startWorker(name, faults);
  if (faults) log(`  worker ${name} armed: ${faults}`);
}

/** Waits until a fault point fires in some worker (after `since`); true when it did. */
export const faultFired = (ctx: Ctx, point: string, since: number, ms = 30_000): Promise<boolean> =>
  poll(() => ctx.stack.firedPoints.some((f) => f.point === point && f.at >= since), ms, 50);

/** `faultFired`, a violation (`msg`) when the point never fired. */
export async function expectFired(ctx: Ctx, point: string, since: number, ms: number, msg = `${point} never fired`) {
  const fired = await faultFired(ctx, point, since, ms);
  ctx.expect(fired, msg);
  return fired;
}

/** The count (`COUNT(...) AS n`) a query straight from MariaDB answers. */
export async function count(ctx: Ctx, sql: string, params: unknown[]): Promise<number> {
  const rows = await ctx.query<RowDataPacket>(sql, params);
  return Number(rows[0]?.n ?? 0);
}

export interface Held {
  key: string;
  holdId: number;
  expiresAt: number;
}

/** `n` holds of `quantity` on a product, each with its own Idempotency-Key, retried through 503s until answered. */
export async function makeHolds(
  ctx: Ctx,
  productId: number,
  n: number,
  quantity = 1,
  untilMs = 60_000,
): Promise<Held[]> {
  const out: Held[] = [];
  await Promise.all(
    Array.from({ length: n }, async () => {
      const key = randomUUID();
      const a = await ctx.api.retrying(() => ctx.api.hold(productId, quantity, key), 30, untilMs);
      if (a.status === 201) {
        out.push({ key, holdId: Number(a.body.data.hold_id), expiresAt: Date.parse(a.body.data.hold_expires_at) });
      }
    }),
  );
  return out;
}

/** Orders for holds, each with its own key, retried through 503s; returns order ids by hold id. */
export async function makeOrders(ctx: Ctx, holds: Held[], untilMs = 30_000): Promise<Map<number, number>> {
  const orders = new Map<number, number>();
  await Promise.all(
    holds.map(async (h) => {
      const key = randomUUID();
      const a = await ctx.api.retrying(() => ctx.api.order(h.holdId, key), 30, untilMs);
      if (a.status === 201) orders.set(h.holdId, Number(a.body.data.id));
    }),
  );
  return orders;
}

/** The holds stored for one Idempotency-Key: exactly one whenever the key was answered 201. */
export const holdsForKey = (ctx: Ctx, key: string): Promise<number> =>
  count(
    ctx,
    `SELECT COUNT(h.id) AS n FROM idempotency_keys k JOIN holds h ON h.id = k.resource_id
     WHERE k.scope = 'holds' AND k.idempotency_key = ?`,
    [key],
  );

/** Every key answered 201 made exactly one hold, and the product has no hold nobody asked for twice. */
export async function expectOneHoldPerKey(ctx: Ctx, held: Held[]): Promise<void> {
  for (const h of held) {
    const n = await holdsForKey(ctx, h.key);
    ctx.expect(n === 1, `Idempotency-Key ${h.key}: ${n} holds`);
  }
}

export const holdCount = (ctx: Ctx, productId: number): Promise<number> =>
  count(ctx, 'SELECT COUNT(*) AS n FROM holds WHERE product_id = ?', [productId]);

/** Answers to these calls, made while something is down: how fast each 503 came and that none hung. */
export async function probeOutage(
  ctx: Ctx,
  calls: (() => Promise<{ status: number; ms: number }>)[],
  quickMs: number,
  what: string,
) {
  const answers = await Promise.all(calls.map((c) => c()));
  const slow = answers.filter((a) => a.status === 503 && a.ms > quickMs);
  const statuses = answers.map((a) => `${a.status}/${a.ms}ms`).join(' ');
  ctx.note(`${what}: ${statuses}`);
  ctx.expect(slow.length === 0, `${what}: ${slow.length} 503 answers slower than ${quickMs} ms`);
  return answers;
}

const UNSETTLED = 'SELECT COUNT(*) AS n FROM holds WHERE product_id = ? AND released_at IS NULL AND used_at IS NULL';
/** Waits until none of the product's holds is still held (all released or ordered); true when quiet. */
export const holdsSettled = (ctx: Ctx, productId: number, ms = 40_000): Promise<boolean> =>
  poll(async () => (await count(ctx, UNSETTLED, [productId])) === 0, ms, 500);

/** How process `p` exited, or null when it still runs `ms` later. */
export const exitWithin = (p: Proc, ms = 30_000) => Promise.race([p.exited, sleep(ms).then(() => null)]);

/**
 * `p` SIGSTOPped for `ms`, then SIGCONTinued; the outage windows follow both edges exactly, and a frozen API is down
 * on purpose for its clients meanwhile.
 */
export async function freeze(ctx: Ctx, p: Proc, ms: number, fault: string, isApi = false): Promise<void> {
  if (isApi) ctx.stack.apiOutages.begin();
  p.signal('SIGSTOP');
  ctx.stack.outages.tick();
  ctx.fault(fault);
  await sleep(ms);
  p.signal('SIGCONT');
  if (isApi) ctx.stack.apiOutages.end();
  ctx.stack.outages.tick();
}

/**
 * A process that runs holds: where a scenario's holds reserve and expire. With eager start (the service's default) the
 * API the scenario talks to (the reservation and the expiry's release are local activities of its hold worker), else
 * worker w1. A client's release or order is a scheduled activity: always a worker's (`where = 'worker'`).
 */
export function holdHost(ctx: Ctx, where: 'holds' | 'worker' = 'holds') {
  const stack = ctx.stack;
  const inWorker = where === 'worker' || !stack.eager;
  const proc = () => (inWorker ? stack.worker('w1')! : stack.api!);
  return {
    name: inWorker ? 'worker' : 'API',
    proc,
    /**
     * Restarted with these fault points armed ('' for none), woken once the load is back; `beforeWake` runs first,
     * while nothing can fire yet (a scenario's own set-up, which a point firing on the load's work would freeze).
     */
    async arm(faults: string, beforeWake?: () => Promise<void>) {
      const asleep = faults && ASLEEP + faults;
      await (inWorker ? restartWorker(ctx, asleep) : stack.restartApi(asleep));
      if (!faults) return;
      // Its points asleep until the load has been back for 3 s: a fault lands in the full load, not in the restart's
      // dip (requests the restart stranded time out at the API's 10 s deadline and back off).
      await ctx.loaded(3_000);
      await beforeWake?.();
      proc().signal('SIGUSR2');
    },
    async kill() {
      if (inWorker) return stack.killWorker('w1');
      stack.apiOutages.begin();
      await stack.api!.kill();
    },
    async start() {
      await (inWorker ? stack.startWorker('w1') : stack.startApi());
    },
  };
}

/**
 * Restarts the holds' host (`holdHost`) armed to die at `point`, runs `trigger`, restarts the host once the point
 * fired; `trigger`'s result. `beforeWake` (the trigger's set-up) runs just before the point wakes.
 */
export async function killAt<T>(
  ctx: Ctx,
  point: string,
  trigger: () => Promise<T>,
  downMs = 1_000,
  host = holdHost(ctx),
  beforeWake?: () => Promise<void>,
): Promise<T> {
  await host.arm(`${point}=kill`, beforeWake);
  const since = Date.now();
  const pending = trigger();
  const fired = await expectFired(ctx, point, since, 40_000, `fault point ${point} never fired`);
  if (fired) {
    ctx.fault(`${host.name} SIGKILLed at ${point}`);
    ctx.expect((await exitWithin(host.proc())) !== null, `${host.name} survived its SIGKILL at ${point}`);
    await sleep(downMs);
  }
  // Back with no fault point armed (a point that never fired must not fire in the next step).
  if (fired) await host.start();
  else await host.arm('');
  return pending;
}

/** Puts a fault proxy in `mode` for `ms`, then back to pass; returns what it did. */
export async function proxyFault(
  ctx: Ctx,
  which: 'db' | 'redis',
  mode: 'refuse' | 'blackhole',
  ms: number,
  record = true,
): Promise<string> {
  const what = `${which === 'db' ? 'MariaDB' : 'Redis'} ${mode === 'refuse' ? 'unreachable' : 'hung (black hole)'} for ${(ms / 1000).toFixed(0)} s`;
  const proxy = which === 'db' ? ctx.stack.db : ctx.stack.redis;
  if (record) await ctx.loaded();
  proxy.setMode(mode);
  if (record) ctx.fault(what);
  await sleep(ms);
  proxy.setMode('pass');
  return what;
}

/**
 * The end of every scenario: sampling stops, everything in flight settles (given `longerMs` more when its holds live
 * longer than the suite's TTL), workflows and database agree for every product it touched.
 */
export async function finish(
  ctx: Ctx,
  agreementWaitMs?: number,
  longerMs = 0,
): Promise<{ holds: number; orders: number }> {
  await ctx.checks.stopSampling();
  await ctx.settle(45_000 + longerMs);
  return ctx.agreement(undefined, agreementWaitMs);
}

/** `n` pending orders on product `p`, each ordered right after its own hold (retried: on a busy machine a hold may expire first). */
export async function pendingOrders(ctx: Ctx, productId: number, n: number, tries = 3 * n): Promise<number[]> {
  const orders: number[] = [];
  for (let i = 0; i < tries && orders.length < n; i++) {
    orders.push(...(await makeOrders(ctx, await makeHolds(ctx, productId, 1, 1))).values());
  }
  ctx.expect(orders.length === n, `set-up: ${orders.length}/${n} orders placed`);
  return orders;
}

/**
 * The holds' host (`holdHost`) restarted with release.beforeCommit=`action`, and three holds of `quantity` on a
 * product of the scenario's made before its points wake (their expiry comes back to the process that started them, so
 * the point fires even if no release of the load's reaches it first). Made after the wake, a release of the load's
 * could freeze the host first, and the holds would never be answered.
 */
export async function armedRelease(ctx: Ctx, quantity: number, action: string, freezes = false): Promise<boolean> {
  const [p] = await ctx.createProducts(1, 100);
  const host = holdHost(ctx);
  let held: Held[] = [];
  await host.arm(`release.beforeCommit=${action}`, async () => {
    held = await makeHolds(ctx, p, 3, quantity);
  });
  const woke = Date.now();
  // An API that will freeze itself is down on purpose from then on, for its clients, until it is continued.
  if (freezes && host.name === 'API') ctx.stack.apiOutages.begin();
  ctx.expect(held.length === 3, `${held.length}/3 holds answered 201`);
  return expectFired(ctx, 'release.beforeCommit', woke, TTL_MS + 20_000);
}
