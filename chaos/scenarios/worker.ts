import { randomUUID } from 'node:crypto';
import { createConnection, type RowDataPacket } from 'mysql2/promise';
import { holdWorkflowId } from '../../src/shared/workflow-ids';
import { TTL_MS, type Ctx, type Scenario } from '../scenario';
import { log } from '../util';
import { poll, sleep } from '../../harness/wait';
import {
  armedRelease,
  exitWithin,
  expectOneHoldPerKey,
  faultFired,
  freeze,
  finish,
  holdCount,
  holdsForKey,
  holdsSettled,
  holdHost,
  killAt,
  makeHolds,
  makeOrders,
  probeOutage,
  type Held,
} from './helpers';

/** How long a host frozen right after a reservation's COMMIT stays frozen: past the API's 10 s call deadline. */
const FREEZE_MS = 12_000;

/**
 * Worker SIGKILL at a reservation fault point (under the background load, so the point may fire in anyone's
 * reservation): every key answered 201 made exactly one hold, and nothing else was stored for them.
 */
function reserveKill(when: 'before' | 'after', title: string, extra: (ctx: Ctx, p: number) => Promise<number>) {
  const point = `reserve.${when}Commit`;
  return {
    name: `reserve-kill-${when}-commit`,
    title,
    async run(ctx: Ctx) {
      const [p] = await ctx.createProducts(1, 100);
      const held = await killAt(ctx, point, () => makeHolds(ctx, p, 4, 2));
      ctx.expect(held.length === 4, `after the kill ${held.length}/4 holds were answered 201`);
      await expectOneHoldPerKey(ctx, held);
      const more = await extra(ctx, p);
      const stored = await holdCount(ctx, p);
      ctx.expect(stored === 4 + more, `product ${p}: ${stored} holds stored for ${4 + more} answered`);
      await finish(ctx);
    },
  } satisfies Scenario;
}

/** Mid-transaction: the reservation has started and waits on the product's row lock, which we hold; kill then. */
async function killDuringLockWait(ctx: Ctx, p: number): Promise<number> {
  const lock = await createConnection({ uri: ctx.stack.directDbUrl });
  await lock.query('START TRANSACTION');
  await lock.query('SELECT available_stock FROM products WHERE id = ? FOR UPDATE', [p]);
  const pending = makeHolds(ctx, p, 3, 2);
  const waiting = await poll(async () => {
    const [rows] = await lock.query(
      `SELECT COUNT(*) AS n FROM information_schema.INNODB_TRX t
       JOIN information_schema.INNODB_LOCK_WAITS w ON w.requesting_trx_id = t.trx_id
       WHERE w.blocking_trx_id = (SELECT trx_id FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id = CONNECTION_ID())`,
    );
    return Number((rows as { n: number }[])[0].n);
  }, 15_000);
  ctx.expect(waiting > 0, 'no reservation ever waited on the row lock');
  const host = holdHost(ctx);
  await host.kill();
  ctx.fault(`${host.name} SIGKILLed with ${waiting} reservation transaction(s) open, waiting on our row lock`);
  await sleep(1_000);
  await lock.query('COMMIT');
  await lock.end();
  await host.start();
  const second = await pending;
  ctx.expect(second.length === 3, `after the mid-transaction kill ${second.length}/3 holds were answered 201`);
  await expectOneHoldPerKey(ctx, second);
  return second.length;
}

/**
 * Frozen right after the commit past the API's call deadline (the worker; or the API itself, its HTTP answer with it):
 * the client hears 503 (or, from a frozen API, its answer late) while its hold goes on to live and expire; its retry
 * with the same key, after that hold's workflow has finished, gets the hold it made.
 */
async function freezeAfterCommit(ctx: Ctx, p: number): Promise<number> {
  const host = holdHost(ctx);
  await host.arm('reserve.afterCommit=stop');
  const key = randomUUID();
  const since = Date.now();
  const first = ctx.api.hold(p, 1, key);
  if (await faultFired(ctx, 'reserve.afterCommit', since, 15_000)) {
    ctx.fault(`${host.name} SIGSTOPped right after a reservation committed, past the API deadline`);
  }
  await Promise.race([first, sleep(FREEZE_MS)]);
  host.proc().signal('SIGCONT');
  const a = await first;
  ctx.note(`the POST whose worker froze after the commit answered ${a.status} after ${a.ms} ms`);
  const [row] = await ctx.query<RowDataPacket>(
    "SELECT k.resource_id FROM idempotency_keys k WHERE k.scope = 'holds' AND k.idempotency_key = ?",
    [key],
  );
  const client = ctx.stack.temporalClient();
  const finished = async () => {
    const d = await client.workflow.getHandle(holdWorkflowId(Number(row.resource_id))).describe();
    return d.status.name !== 'RUNNING';
  };
  // The frozen reservation may have been someone else's (the load's) and this key's attempt may never have started
  // its workflow (shed with a 503 before it): then there is no run to wait for.
  const started = row ? (await finished().catch(() => null)) !== null : false;
  if (!started) {
    ctx.note('the reservation frozen after its commit was not this key’s');
    await host.arm('');
    return (await ctx.api.retrying(() => ctx.api.hold(p, 1, key), 30, 60_000)).status === 201 ? 1 : 0;
  }
  ctx.expect(await poll(finished, TTL_MS + 30_000), 'the hold’s workflow never finished after the freeze');
  const retried = await ctx.api.retrying(() => ctx.api.hold(p, 1, key), 10, 30_000);
  ctx.note(
    `its retry after the hold's workflow finished: ${retried.status} ${JSON.stringify(retried.body).slice(0, 100)}`,
  );
  ctx.expect(
    retried.status === 201 && retried.body.data.hold_id === Number(row.resource_id),
    `the retry after the workflow finished answered ${retried.status}`,
  );
  ctx.expect((await holdsForKey(ctx, key)) === 1, 'the retried key does not map to exactly one hold');
  await host.arm('');
  return 1;
}

export const reserveKillBeforeCommit = reserveKill(
  'before',
  'Worker SIGKILL inside the reservation before its COMMIT (at the fault point, and while the transaction waits on the row lock), under load',
  killDuringLockWait,
);

export const reserveKillAfterCommit = reserveKill(
  'after',
  'Worker SIGKILL right after the reservation COMMIT under load, clients retrying with their key; then frozen there past the API deadline: 503, and the same key later gets the hold it made',
  freezeAfterCommit,
);

/** Worker SIGKILL at a release fault point: on expiry, and on a client's early release (retried). */
function releaseKill(when: 'before' | 'after', title: string): Scenario {
  const point = `release.${when}Commit`;
  return {
    name: `release-kill-${when}-commit`,
    title,
    async run(ctx) {
      const [p] = await ctx.createProducts(1, 100);
      // Armed first, then the holds: their expiry comes back to the process that started them (its sticky cache),
      // which an armed restart after them would have emptied, sending the expiries to any worker.
      const held = await killAt(ctx, point, () => makeHolds(ctx, p, 4, 2), 1_000);
      ctx.expect(held.length === 4, `${held.length}/4 holds answered 201`);
      ctx.expect(await holdsSettled(ctx, p), 'expired holds not released after the worker came back');

      // A client's release is a scheduled activity: a worker's, whichever process started the hold. The hold is made
      // just before the point wakes: made before the worker's armed restart, it could expire (TTL 5 s) while the
      // restart waits for the load to come back, and the client's release would find nothing to release.
      let h: Held | undefined;
      const makeHold = async () => void ([h] = await makeHolds(ctx, p, 1, 1));
      const release = () => ctx.api.release(h!.holdId);
      const a = await killAt(ctx, point, release, 1_000, holdHost(ctx, 'worker'), makeHold);
      const retried = a.status === 503 ? await ctx.api.retrying(release, 20, 30_000) : a;
      ctx.note(
        `client release during the kill: ${a.status}, after retrying: ${retried.status} ${retried.body?.message ?? ''}`,
      );
      ctx.expect(
        retried.status === 200 || (retried.status === 400 && /released/.test(retried.body?.message ?? '')),
        `the client's release answered ${retried.status} ${retried.body?.message ?? ''}`,
      );
      await finish(ctx);
    },
  };
}

export const releaseKillBeforeCommit = releaseKill(
  'before',
  'Worker SIGKILL inside the release transaction before COMMIT under load: on expiry, and on a client release',
);
export const releaseKillAfterCommit = releaseKill(
  'after',
  'Worker SIGKILL right after the release COMMIT under load: on expiry, and on a client release; the retry gives nothing back twice',
);

export const timersWorkerDown: Scenario = {
  name: 'timers-worker-down',
  title:
    'Worker down under load while hold and payment timers fire; API calls meanwhile answer 503 with Retry-After, reads still work',
  async run(ctx) {
    const [p] = await ctx.createProducts(1, 100);
    const held = await makeHolds(ctx, p, 6, 2);
    const orders = await makeOrders(ctx, held.slice(0, 2));
    ctx.expect(orders.size === 2, `${orders.size}/2 orders answered 201`);
    await ctx.stack.killWorker('w1');
    ctx.fault('worker SIGKILLed with holds and unpaid orders open');
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
    // With eager start the API's own hold worker reserves: a hold may still be taken with no worker process.
    const holdOk = ctx.stack.eager ? [201, 503].includes(probes[0].status) : probes[0].status === 503;
    ctx.expect(holdOk, `POST /api/holds with no worker answered ${probes[0].status}`);
    ctx.expect(probes[1].status === 200 && probes[2].status === 200, 'reads failed with no worker');
    // Down past every hold's expiry and past a sweep tick.
    const until = Math.max(...held.map((h) => h.expiresAt)) + 6_000;
    await sleep(Math.max(0, until - Date.now()));
    await ctx.stack.startWorker('w1');
    await finish(ctx);
  },
};

export const workerSigstop: Scenario = {
  name: 'worker-sigstop',
  title:
    'The holds’ process (the API and its hold worker; the worker without eager start) SIGSTOPped past the activity timeout (inside a release transaction, row locks held, a second worker taking over; then at a random moment), under load, then SIGCONT',
  async run(ctx) {
    const host = holdHost(ctx);
    // 1. Frozen inside a release transaction (row locks held) past startToCloseTimeout, with a healthy second worker.
    const isApi = host.name === 'API';
    if (await armedRelease(ctx, 2, 'stop', true))
      ctx.fault(`${host.name} SIGSTOPped itself inside a release transaction`);
    await ctx.stack.startWorker('w2');
    await sleep(15_000); // past the release activity's 10 s startToCloseTimeout
    host.proc().signal('SIGCONT');
    if (isApi) ctx.stack.apiOutages.end();
    log(`  SIGCONT ${host.name}`);

    // 2. Frozen at a random moment under load.
    await sleep(4_000);
    await freeze(ctx, host.proc(), 12_000, `${host.name} SIGSTOPped under load for 12 s`, isApi);
    await sleep(3_000);
    await ctx.stack.stopWorker('w2');
    ctx.stack.workers.delete('w2');
    await host.arm('');
    await finish(ctx);
  },
};

export const workerSigterm: Scenario = {
  name: 'worker-sigterm',
  title:
    'The holds’ process (the API and its hold worker; the worker without eager start) SIGTERMed mid-activity under load, requests in flight: it drains (the release in flight commits and reports) and exits cleanly',
  async run(ctx) {
    const host = holdHost(ctx);
    await armedRelease(ctx, 1, 'pause:4000');
    for (let i = 0; i < 3; i++) {
      const p = host.proc();
      if (host.name === 'API') ctx.stack.apiOutages.begin();
      p.signal('SIGTERM');
      const what = i === 0 ? 'while a release transaction was open' : 'under load';
      ctx.fault(`${host.name} SIGTERMed ${what}`);
      const exit = await exitWithin(p);
      ctx.expect(exit !== null && exit.code === 0, `${host.name} did not shut down cleanly: ${JSON.stringify(exit)}`);
      await host.start();
      await sleep(4_000);
    }
    await finish(ctx);
  },
};

export const workerKillUnderLoad: Scenario = {
  name: 'worker-kill-under-load',
  title:
    'Worker SIGKILLed at a random moment under load (twice), restarted: nothing lost, nothing doubled, every timer fires',
  async run(ctx) {
    for (let i = 0; i < 2; i++) {
      await sleep(2_000 + Math.random() * 3_000);
      await ctx.stack.killWorker('w1');
      ctx.fault('worker SIGKILLed under load');
      await sleep(1_000);
      await ctx.stack.startWorker('w1');
    }
    await finish(ctx);
  },
};
