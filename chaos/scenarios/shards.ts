import { SETTINGS } from '../settings';
import type { Scenario } from '../scenario';
import { sleep } from '../../harness/wait';
import { finish } from './helpers';

/**
 * A hot product split over stock shards (issue 7), sold out under load while it is resharded twice and the worker is
 * SIGKILLed: shard fast paths, the slow path across shards, releases to shards that no longer count, and the sweep's
 * bulk release all race, and conservation must hold for the product's sum.
 */
export const shardedStampede: Scenario = {
  name: 'sharded-stampede',
  title: 'Hot product on stock shards: load, two reshards and a worker SIGKILL mid-sale',
  async run(ctx) {
    const [hot] = await ctx.createProducts(1, 60);
    const reshard = async (shards: number, when = 'under load') => {
      const a = await ctx.api.call(
        'PUT',
        `/api/admin/products/${hot}/stock-shards`,
        { shards },
        { authorization: `Bearer ${SETTINGS.adminToken}` },
      );
      ctx.expect(a.status === 200, `reshard to ${shards}: answered ${a.status}`);
      ctx.expect(a.status !== 200 || a.body.data.total_stock === 60, `reshard to ${shards} changed total_stock`);
      ctx.fault(`product ${hot} resharded to ${shards} ${when}`);
    };
    await reshard(8, 'before the sale');
    ctx.loadOn([hot, hot, hot]);
    await sleep(5_000);
    await reshard(3);
    await sleep(2_000);
    await ctx.stack.killWorker('w1');
    ctx.fault('worker SIGKILLed during the sharded sale');
    await sleep(1_000);
    await ctx.stack.startWorker('w1');
    await sleep(4_000);
    await reshard(1);
    await sleep(4_000);
    const agreed = await finish(ctx);
    ctx.note(`workflow = database for ${agreed.holds} holds of the sharded product`);
  },
};
