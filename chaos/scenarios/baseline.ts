import type { Scenario } from '../scenario';
import { sleep } from '../util';
import { finish } from './helpers';

/** No faults: the load and the checker agree before anything breaks (and the harness itself is sound). */
export const baseline: Scenario = {
  name: 'baseline',
  title: 'The background load with no faults: holds, orders, payments, releases, expiries',
  async run(ctx) {
    const [p] = await ctx.createProducts(1, 40);
    ctx.loadOn([p]);
    await sleep(15_000);
    const agreed = await finish(ctx);
    ctx.note(`workflow = database for ${agreed.holds} holds, ${agreed.orders} orders`);
  },
};
