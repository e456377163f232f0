import path from 'node:path';
import type { Acks } from '../../harness/checker/checker';
import { ApiClient, HANG_MS, routeOf, type Answer, type Tally } from '../client';
import { FAULT_LOAD } from '../load';
import { finish } from './helpers';
import type { Scenario } from '../scenario';
import { partScript, startNode } from '../../harness/service';
import { LOG_DIR } from '../settings';
import { log } from '../util';
import { freePort, portOpen, sleep } from '../../harness/wait';

/**
 * A load balancer's view of several API processes: requests go round-robin, and one that gets no HTTP answer
 * (connection refused or reset: that API died) is sent again, same method, body and Idempotency-Key, to the next
 * API. Everything is tallied in one Tally. A connection failure is a contract violation unless it came from an API
 * the scenario killed on purpose (`down`), which is exactly the failure this client exists to absorb.
 */
export class FailoverClient extends ApiClient {
  private next = 0;
  failovers = 0;
  /** Answers (any HTTP status) by API index. */
  readonly answeredBy: number[];
  /** Indexes of the APIs that were killed on purpose. */
  readonly down = new Set<number>();

  constructor(
    private readonly targets: ApiClient[],
    acks: Acks,
    tally: Tally,
  ) {
    super(targets[0].baseUrl, acks);
    this.tally = tally;
    for (const t of targets) t.tally = tally;
    this.answeredBy = targets.map(() => 0);
  }

  override async call(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    timeoutMs = HANG_MS,
  ): Promise<Answer> {
    const first = this.next++ % this.targets.length;
    let a: Answer | null = null;
    for (let k = 0; k < this.targets.length; k++) {
      const i = (first + k) % this.targets.length;
      a = await this.targets[i].call(method, path, body, headers, timeoutMs);
      if (a.status !== 0 || a.error === 'timeout') {
        this.answeredBy[i]++;
        return a;
      }
      if (this.down.has(i)) {
        // Expected of a dead API: not a violation. (The message is the one ApiClient recorded for this call.)
        const at = this.tally.violations.lastIndexOf(`${method} ${routeOf(path)}: connection failed (${a.error})`);
        if (at >= 0) this.tally.violations.splice(at, 1);
      }
      this.failovers++;
    }
    return a!;
  }
}

/** Issue 7: the API and the worker are stateless, so replicas of each survive losing one of them under load. */
export const replicas: Scenario = {
  name: 'replicas',
  // Its load goes through the failover client (both APIs), started below.
  load: false,
  title:
    '2 APIs + 2 workers under load through a failover client; one worker and one API SIGKILLed mid-run, the survivors carry on',
  async run(ctx) {
    const products = [...(await ctx.createProducts(2, 500)), ...(await ctx.createProducts(1, 8))];
    await ctx.stack.startWorker('w2');
    const port = await freePort();
    const api2 = startNode(
      'api a2',
      [partScript(ctx.stack.dist, 'api')],
      ctx.stack.env({ PORT: String(port) }),
      path.join(LOG_DIR, 'api-a2.log'),
    );
    try {
      await api2.untilAnswering(() => portOpen(port), 60_000);
      const targets = [ctx.stack.baseUrl, `http://127.0.0.1:${port}`].map((u) => new ApiClient(u, ctx.acks));
      const client = new FailoverClient(targets, ctx.acks, ctx.api.tally);
      log(`  2 APIs (${targets.map((t) => t.baseUrl).join(', ')}) and 2 workers (w1, w2) on one task queue`);

      const load = await ctx.startLoad(products, FAULT_LOAD, client);
      ctx.checks.startSampling();
      await sleep(6_000);
      const before = [...client.answeredBy];
      await ctx.stack.killWorker('w1');
      ctx.fault('worker w1 SIGKILLed under load (w2 left)');
      await sleep(3_000);
      client.down.add(1);
      await api2.kill();
      ctx.fault('API a2 SIGKILLed under load (requests it drops fail over to a1 with their Idempotency-Key)');
      const atKill = [...client.answeredBy];
      await sleep(10_000);
      const after = [...client.answeredBy];
      ctx.note(
        `answers by API before the kills a1 ${before[0]} / a2 ${before[1]}, at the API kill ${atKill.join(' / ')}, ` +
          `at the end ${after.join(' / ')}; ${client.failovers} requests failed over; ${load.flows} customer flows`,
      );
      ctx.expect(before[0] > 0 && before[1] > 0, 'the load did not reach both APIs before the kills');
      ctx.expect(after[0] > atKill[0], 'the surviving API answered nothing after the kill');
      ctx.expect(client.failovers > 0, 'no request failed over to the surviving API (was a2 under load?)');
      const agreed = await finish(ctx);
      ctx.note(`workflow = database for ${agreed.holds} holds, ${agreed.orders} orders, all finished by w2`);
    } finally {
      await api2.stop(5_000);
    }
  },
};
