import { randomUUID } from 'node:crypto';
import { createConnection, type RowDataPacket } from 'mysql2/promise';
import { Load } from '../load';
import { Ctx, TTL_MS, type Scenario } from '../scenario';
import { log, sleep, waitFor } from '../util';
import {
  expectOneHoldPerKey,
  faultFired,
  holdCount,
  holdsForKey,
  holdsSettled,
  makeHolds,
  makeOrders,
  probeOutage,
  restartWorker,
  workerExited,
} from './helpers';

/** Kills the worker at a fault point while `trigger` runs, restarts it, and waits for `trigger` to finish. */
async function killAt<T>(ctx: Ctx, point: string, trigger: () => Promise<T>, downMs = 1_000): Promise<T> {
  await restartWorker(ctx, `${point}=kill`);
  const since = Date.now();
  const pending = trigger();
  const fired = await faultFired(ctx, point, since, 40_000);
  ctx.expect(fired, `fault point ${point} never fired`);
  if (fired) {
    ctx.fault(`worker SIGKILLed at ${point}`);
    ctx.expect(await workerExited(ctx), `worker survived its SIGKILL at ${point}`);
    await sleep(downMs);
  }
  await ctx.stack.startWorker('w1');
  return pending;
}

export const reserveKillBeforeCommit: Scenario = {
  name: 'reserve-kill-before-commit',
  title:
    'Worker SIGKILL inside the reservation before its COMMIT (at the fault point, and while the transaction waits on the row lock)',
  async run(ctx) {
    const [p] = await ctx.createProducts(1, 100);
    ctx.startSampling();
    // 1. At the fault point just before the reservation's transaction is sent.
    const first = await killAt(ctx, 'reserve.beforeCommit', () => makeHolds(ctx, p, 3, 2));
    ctx.expect(first.length === 3, `after the kill ${first.length}/3 holds were answered 201`);

    // 2. Mid-transaction: the reservation has started and waits on the product's row lock, which we hold.
    const lock = await createConnection({ uri: ctx.stack.directDbUrl });
    await lock.query('START TRANSACTION');
    await lock.query('SELECT available_stock FROM products WHERE id = ? FOR UPDATE', [p]);
    const pending = makeHolds(ctx, p, 3, 2);
    let waiting = 0;
    for (let i = 0; i < 40 && waiting === 0; i++) {
      await sleep(250);
      const [rows] = await lock.query(
        "SELECT COUNT(*) AS n FROM information_schema.INNODB_TRX WHERE trx_state = 'LOCK WAIT'",
      );
      waiting = Number((rows as { n: number }[])[0].n);
    }
    ctx.expect(waiting > 0, 'no reservation ever waited on the row lock');
    await ctx.stack.killWorker('w1');
    ctx.fault(`worker SIGKILLed with ${waiting} reservation transaction(s) open, waiting on the row lock`);
    await sleep(1_000);
    await lock.query('COMMIT');
    await lock.end();
    await ctx.stack.startWorker('w1');
    const second = await pending;
    ctx.expect(second.length === 3, `after the mid-transaction kill ${second.length}/3 holds were answered 201`);

    await expectOneHoldPerKey(ctx, [...first, ...second]);
    const stored = await holdCount(ctx, p);
    ctx.expect(stored === 6, `product ${p}: ${stored} holds stored for 6 answered`);
    await ctx.stopSampling();
    await ctx.settle();
    await ctx.agreement();
  },
};

export const reserveKillAfterCommit: Scenario = {
  name: 'reserve-kill-after-commit',
  title:
    'Worker SIGKILL right after the reservation COMMIT, clients retrying with their key; then frozen there past the API deadline: 503, and the same key later gets the hold it made',
  async run(ctx) {
    const [p] = await ctx.createProducts(1, 100);
    ctx.startSampling();
    const held = await killAt(ctx, 'reserve.afterCommit', () => makeHolds(ctx, p, 4, 3));
    ctx.expect(held.length === 4, `after the kill ${held.length}/4 holds were answered 201`);
    await expectOneHoldPerKey(ctx, held);
    const stored = await holdCount(ctx, p);
    ctx.expect(stored === 4, `product ${p}: ${stored} holds stored for 4 answered (the retry took stock twice?)`);

    // Frozen right after the commit past the API's call deadline: the client hears 503 while its hold goes on to
    // live and expire; its retry with the same key, after that hold's workflow has finished, gets the hold it made.
    await restartWorker(ctx, 'reserve.afterCommit=stop');
    const key = randomUUID();
    const since = Date.now();
    const first = ctx.api.hold(p, 1, key);
    if (await faultFired(ctx, 'reserve.afterCommit', since, 15_000)) {
      ctx.fault('worker SIGSTOPped right after a reservation committed, past the API deadline');
    }
    const a = await first;
    ctx.stack.worker('w1')!.signal('SIGCONT');
    ctx.note(`the POST whose worker froze after the commit answered ${a.status} after ${a.ms} ms`);
    const [row] = await ctx.query<RowDataPacket>(
      "SELECT k.resource_id FROM idempotency_keys k WHERE k.scope = 'holds' AND k.idempotency_key = ?",
      [key],
    );
    await waitFor(async () => {
      const d = await (await Ctx.temporalClient(ctx.stack)).workflow.getHandle(`hold-${row.resource_id}`).describe();
      return d.status.name !== 'RUNNING';
    }, TTL_MS + 30_000);
    const retried = await ctx.api.retrying(() => ctx.api.hold(p, 1, key), 10, 30_000);
    ctx.note(
      `its retry after the hold's workflow finished: ${retried.status} ${JSON.stringify(retried.body).slice(0, 100)}`,
    );
    ctx.expect(
      retried.status === 201 && retried.body.data.hold_id === Number(row.resource_id),
      `the retry after the workflow finished answered ${retried.status}`,
    );
    ctx.expect((await holdsForKey(ctx, key)) === 1, 'the retried key does not map to exactly one hold');
    await restartWorker(ctx, '');
    await ctx.stopSampling();
    await ctx.settle();
    await ctx.agreement();
  },
};

export const releaseKillBeforeCommit: Scenario = {
  name: 'release-kill-before-commit',
  title: 'Worker SIGKILL inside the release transaction before COMMIT: on expiry, and on a client release',
  async run(ctx) {
    const [p] = await ctx.createProducts(1, 100);
    ctx.startSampling();
    // Expiry: the holds' timers fire, the first release dies before its commit.
    const held = await makeHolds(ctx, p, 4, 2);
    await restartWorker(ctx, 'release.beforeCommit=kill');
    const since = Date.now();
    ctx.expect(held.length === 4, `${held.length}/4 holds answered 201`);
    const fired = await faultFired(ctx, 'release.beforeCommit', since, TTL_MS + 20_000);
    ctx.expect(fired, 'release.beforeCommit never fired on expiry');
    if (fired) ctx.fault('worker SIGKILLed inside an expiry release, before COMMIT');
    await workerExited(ctx);
    await sleep(2_000);
    await ctx.stack.startWorker('w1');
    ctx.expect(await holdsSettled(ctx, p), 'expired holds not released after the worker came back');

    // A client's early release: the worker dies inside it; the client retries.
    const [h] = await makeHolds(ctx, p, 1, 1);
    await restartWorker(ctx, 'release.beforeCommit=kill');
    const since2 = Date.now();
    const first = ctx.api.release(h.holdId);
    if (await faultFired(ctx, 'release.beforeCommit', since2, 10_000))
      ctx.fault('worker SIGKILLed inside a client release, before COMMIT');
    await workerExited(ctx);
    await ctx.stack.startWorker('w1');
    const a = await first;
    const retried = a.status === 503 ? await ctx.api.retrying(() => ctx.api.release(h.holdId), 20, 30_000) : a;
    ctx.note(
      `client release during the kill: ${a.status}, after retrying: ${retried.status} ${retried.body?.message ?? ''}`,
    );
    await ctx.stopSampling();
    await ctx.settle();
    await ctx.agreement();
  },
};

export const releaseKillAfterCommit: Scenario = {
  name: 'release-kill-after-commit',
  title:
    'Worker SIGKILL right after the release COMMIT: on expiry, and on a client release; the retry gives nothing back twice',
  async run(ctx) {
    const [p] = await ctx.createProducts(1, 100);
    ctx.startSampling();
    const held = await makeHolds(ctx, p, 4, 2);
    await restartWorker(ctx, 'release.afterCommit=kill');
    const since = Date.now();
    ctx.expect(held.length === 4, `${held.length}/4 holds answered 201`);
    const fired = await faultFired(ctx, 'release.afterCommit', since, TTL_MS + 20_000);
    ctx.expect(fired, 'release.afterCommit never fired on expiry');
    if (fired) ctx.fault('worker SIGKILLed right after an expiry release committed');
    await workerExited(ctx);
    await sleep(1_000);
    await ctx.stack.startWorker('w1');
    ctx.expect(await holdsSettled(ctx, p), 'expired holds not released after the worker came back');

    const [h] = await makeHolds(ctx, p, 1, 1);
    await restartWorker(ctx, 'release.afterCommit=kill');
    const since2 = Date.now();
    const first = ctx.api.release(h.holdId);
    if (await faultFired(ctx, 'release.afterCommit', since2, 10_000))
      ctx.fault('worker SIGKILLed right after a client release committed');
    await workerExited(ctx);
    await ctx.stack.startWorker('w1');
    const a = await first;
    const retried = a.status === 503 ? await ctx.api.retrying(() => ctx.api.release(h.holdId), 20, 30_000) : a;
    ctx.note(
      `client release during the kill: ${a.status}, after retrying: ${retried.status} ${retried.body?.message ?? ''}`,
    );
    await ctx.stopSampling();
    await ctx.settle();
    await ctx.agreement();
  },
};

export const timersWorkerDown: Scenario = {
  name: 'timers-worker-down',
  title:
    'Worker down while hold and payment timers fire; API calls meanwhile answer 503 with Retry-After, reads still work',
  async run(ctx) {
    const [p] = await ctx.createProducts(1, 100);
    ctx.startSampling();
    const held = await makeHolds(ctx, p, 6, 2);
    const orders = await makeOrders(ctx, held.slice(0, 2));
    ctx.expect(orders.size === 2, `${orders.size}/2 orders answered 201`);
    await ctx.stack.killWorker('w1');
    ctx.fault('worker SIGKILLed with 4 holds and 2 unpaid orders open');
    const probes = await probeOutage(
      ctx,
      [
        () => ctx.api.hold(p, 1, randomUUID()),
        () => ctx.api.call('GET', `/api/holds/${held[0].holdId}`),
        () => ctx.api.product(p),
      ],
      11_000,
      'with no worker: POST hold, GET hold, GET product',
    );
    ctx.expect(probes[0].status === 503, `POST /api/holds with no worker answered ${probes[0].status}`);
    ctx.expect(probes[1].status === 200 && probes[2].status === 200, 'reads failed with no worker');
    // Down past every hold's expiry and past a sweep tick.
    const until = Math.max(...held.map((h) => h.expiresAt)) + 6_000;
    await sleep(Math.max(0, until - Date.now()));
    await ctx.stack.startWorker('w1');
    await ctx.stopSampling();
    await ctx.settle();
    await ctx.agreement();
  },
};

export const workerSigstop: Scenario = {
  name: 'worker-sigstop',
  title:
    'Worker SIGSTOPped past the activity timeout (inside a release transaction, row locks held, a second worker taking over; then under load), then SIGCONT',
  async run(ctx) {
    const [p, q] = await ctx.createProducts(2, 100);
    ctx.startSampling();
    // 1. Frozen inside a release transaction (row locks held) past startToCloseTimeout, with a healthy second worker.
    const held = await makeHolds(ctx, p, 3, 2);
    await restartWorker(ctx, 'release.beforeCommit=stop');
    const since = Date.now();
    ctx.expect(held.length === 3, `${held.length}/3 holds answered 201`);
    const fired = await faultFired(ctx, 'release.beforeCommit', since, TTL_MS + 20_000);
    ctx.expect(fired, 'release.beforeCommit never fired');
    if (fired) ctx.fault('worker SIGSTOPped itself inside a release transaction');
    await ctx.stack.startWorker('w2');
    await sleep(15_000); // past the release activity's 10 s startToCloseTimeout
    ctx.stack.worker('w1')!.signal('SIGCONT');
    log('  SIGCONT w1');

    // 2. Frozen at a random moment under load.
    const load = new Load(ctx.api, () => [q], { users: 4 });
    load.start();
    await sleep(4_000);
    ctx.stack.worker('w1')!.signal('SIGSTOP');
    ctx.fault('worker w1 SIGSTOPped under load for 12 s');
    await sleep(12_000);
    ctx.stack.worker('w1')!.signal('SIGCONT');
    await sleep(3_000);
    await load.stop();
    await ctx.stack.stopWorker('w2');
    await restartWorker(ctx, '');
    await ctx.stopSampling();
    await ctx.settle();
    await ctx.agreement();
  },
};

export const workerSigterm: Scenario = {
  name: 'worker-sigterm',
  title: 'Worker SIGTERM mid-activity: it drains (the release in flight commits and reports) and exits cleanly',
  async run(ctx) {
    const [p, q] = await ctx.createProducts(2, 100);
    ctx.startSampling();
    const held = await makeHolds(ctx, p, 3, 1);
    await restartWorker(ctx, 'release.beforeCommit=pause:4000');
    const since = Date.now();
    ctx.expect(held.length === 3, `${held.length}/3 holds answered 201`);
    const fired = await faultFired(ctx, 'release.beforeCommit', since, TTL_MS + 20_000);
    ctx.expect(fired, 'release.beforeCommit never fired');
    const w = ctx.stack.worker('w1')!;
    w.signal('SIGTERM');
    ctx.fault('worker SIGTERMed while a release transaction was open');
    const exit = await Promise.race([w.exited, sleep(20_000).then(() => null)]);
    ctx.expect(exit !== null && exit.code === 0, `worker did not shut down cleanly: ${JSON.stringify(exit)}`);
    await ctx.stack.startWorker('w1');

    const load = new Load(ctx.api, () => [q], { users: 4 });
    load.start();
    for (let i = 0; i < 2; i++) {
      await sleep(4_000);
      const cur = ctx.stack.worker('w1')!;
      cur.signal('SIGTERM');
      ctx.fault('worker SIGTERMed under load');
      const e = await Promise.race([cur.exited, sleep(20_000).then(() => null)]);
      ctx.expect(e !== null && e.code === 0, `worker did not shut down cleanly under load: ${JSON.stringify(e)}`);
      await ctx.stack.startWorker('w1');
    }
    await sleep(3_000);
    await load.stop();
    await ctx.stopSampling();
    await ctx.settle();
    await ctx.agreement();
  },
};
