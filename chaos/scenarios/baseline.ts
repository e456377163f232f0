import { share503 } from '../results';
import type { Scenario } from '../scenario';
import { sleep } from '../../harness/wait';
import { finish } from './helpers';

/**
 * No faults: the load and the checker agree before anything breaks (and the harness itself is sound), and on the
 * service's defaults the load is served, never shed: no 503.
 */
export const baseline: Scenario = {
  name: 'baseline',
  title: 'The background load with no faults: holds, orders, payments, releases, expiries; no 503 on the defaults',
  async run(ctx) {
    const [p] = await ctx.createProducts(1, 40);
    ctx.loadOn([p]);
    await sleep(15_000);
    const agreed = await finish(ctx);
    ctx.note(`workflow = database for ${agreed.holds} holds, ${agreed.orders} orders`);
    const shed = ctx.api.tally.byStatus.get(503) ?? 0;
    ctx.expect(shed === 0, `with no fault, ${shed} requests answered 503 (${share503(ctx.api.tally.summary())})`);
  },
};
