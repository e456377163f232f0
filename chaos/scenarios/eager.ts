import { sleep } from '../../harness/wait';
import type { Scenario } from '../scenario';
import { expectFired, expectOneHoldPerKey, finish, holdCount, makeHolds } from './helpers';

/**
 * With eager start (the default) the API processes are hold workers: a reservation runs in the API's own worker and
 * its outcome is answered in-process, possibly before the workflow task that ran it is complete. Killing an API then
 * loses that task; Temporal retries it elsewhere after its timeout, and the reservation, idempotent by hold id, finds
 * the hold it already took. Every 201 must be a hold, every key must have made exactly one.
 */
export const eagerApiKill: Scenario = {
  name: 'eager-api-kill',
  title:
    'API processes running holds eagerly, SIGKILLed under load: right after a reservation COMMIT (the 201 may precede the workflow task), and the load’s API at a random moment',
  async run(ctx) {
    const [p] = await ctx.createProducts(1, 100);
    const since = Date.now();
    await ctx.stack.restartApi('reserve.afterCommit=kill');
    const pending = makeHolds(ctx, p, 4, 2);
    if (await expectFired(ctx, 'reserve.afterCommit', since, 30_000, 'reserve.afterCommit never fired in the API')) {
      ctx.fault('API SIGKILLed right after an eager reservation committed');
      await ctx.stack.api!.exited;
    } else await ctx.stack.restartApi('');
    await sleep(1_000);
    await ctx.stack.startApi();
    const held = await pending;
    ctx.expect(held.length === 4, `after the kill ${held.length}/4 keyed holds were answered 201`);
    await expectOneHoldPerKey(ctx, held);

    // The load's own API carries most of the holds in flight: every one it was running is lost with it.
    await ctx.loaded();
    ctx.stack.apiOutages.begin();
    // Recorded as it is sent: the requests the kill cuts leave the count as it lands.
    ctx.fault('the load’s API (a hold worker) SIGKILLed under load');
    await ctx.stack.loadApi!.kill();
    await sleep(1_000);
    await ctx.stack.startLoadApi();
    const more = await makeHolds(ctx, p, 2, 1);
    ctx.expect(more.length === 2, `after the load API's kill ${more.length}/2 holds were answered 201`);
    const stored = await holdCount(ctx, p);
    ctx.expect(stored === 6, `product ${p}: ${stored} holds stored for 6 answered`);
    await finish(ctx);
  },
};
