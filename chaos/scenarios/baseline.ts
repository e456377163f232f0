import { Load } from '../load';
import type { Scenario } from '../scenario';
import { sleep } from '../util';

/** No faults: the load and the checker agree before anything breaks (and the harness itself is sound). */
export const baseline: Scenario = {
  name: 'baseline',
  title: 'Load with no faults: holds, orders, payments, releases, expiries',
  async run(ctx) {
    const products = [...(await ctx.createProducts(2, 500)), ...(await ctx.createProducts(1, 6))];
    const load = new Load(ctx.api, () => products, { users: 6 });
    ctx.startSampling();
    load.start();
    await sleep(15_000);
    await load.stop();
    await ctx.stopSampling();
    await ctx.settle();
    const agreed = await ctx.agreement();
    ctx.note(`${load.flows} customer flows; workflow = database for ${agreed.holds} holds, ${agreed.orders} orders`);
  },
};
