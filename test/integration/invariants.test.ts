import Redis from 'ioredis';
import { Acks } from '../../harness/checker/checker';
import { LiveChecks } from '../../harness/checker/live';
import { holdWorkflowId } from '../../src/shared/workflow-ids';
import { createProduct } from '../../harness/fixtures';
import { testConfig } from '../../harness/stack';
import { waitFor } from '../../harness/wait';
import { auth } from './support/admin';
import { CHECKER_STACK, checkersOn, fixture } from './support/checker';
import { cleanupAfterEach } from './support/cleanup';
import { newEventId } from './support/purchase';
import { holdOf, orderOf, useStack } from './support/stack';
import { expectNoViolation, violationsOf } from './support/violations';

/**
 * The chaos suite's oracle (harness/checker/checker.ts) against real data: quiet on what the service really does,
 * and each stricter check loud on its planted defect. Broken data of every other kind: invariants-broken-data.test.ts.
 */
const stack = useStack(CHECKER_STACK);
const cleanup = cleanupAfterEach();
const checkerFor = checkersOn(() => stack, cleanup);

describe('invariant checker on the real service', () => {
  test.each([1, 4])(
    'holds, orders, payments, releases and expiries on %i stock row(s) leave no violation',
    async (shards) => {
      const productId = await createProduct(stack, 50);
      if (shards > 1) {
        const res = await stack.http.put(`/api/admin/products/${productId}/stock-shards`, { shards }, auth);
        expect(res.status).toBe(200);
      }
      const acks = new Acks();
      const checker = checkerFor(productId, acks);
      const hold = async (quantity: number) => {
        const { hold_id, hold_expires_at } = await holdOf(stack, productId, quantity);
        acks.holds.set(hold_id, { productId, quantity, expiresAt: hold_expires_at });
        return hold_id;
      };
      const order = async (holdId: number) => {
        const { id } = await orderOf(stack, holdId);
        acks.orders.set(id, { holdId });
        return id as number;
      };
      const pay = async (orderId: number, status: 'paid' | 'failed') => {
        const eventId = newEventId();
        const res = await stack.http.post('/api/payments/webhook', { event_id: eventId, order_id: orderId, status });
        expect(res.status).toBe(200);
        acks.payments.set(eventId, { orderId, sent: status, answered: res.body.data.status });
      };

      await pay(await order(await hold(3)), 'paid');
      await expectNoViolation(checker);
      await pay(await order(await hold(2)), 'failed');
      await order(await hold(4)); // cancelled by the payment timeout
      expect((await stack.http.post(`/api/holds/${await hold(1)}/release`)).status).toBe(200);
      await hold(5); // left to expire
      await expectNoViolation(checker);

      await waitFor(
        'every hold and order to settle',
        async () => {
          const r = await checker.check();
          return r.openHolds === 0 && r.pendingOrders === 0;
        },
        45_000,
      );
      const settled = await checker.check({ graceSeconds: 0 });
      expect(settled.violations).toEqual([]);
      expect(settled).toMatchObject({ holds: 5, orders: 3, events: 2 });
      expect(checker.checks).toBeGreaterThanOrEqual(4);
    },
    90_000,
  );
});

/**
 * Mutation tests of the stricter oracle (issue 14): each check is shown quiet on correct data and loud on its planted
 * defect, and the defect is shown to pass without that check.
 */
describe('the stricter checks catch their planted defect', () => {
  test('ledger: stock conjured in the database (total and available raised together) passes a checker that trusts total_stock, not the ledger', async () => {
    const f = await fixture(stack);
    const ledger = new Map([[f.productId, 100]]);
    const trusting = checkerFor(f.productId);
    const strict = checkerFor(f.productId, new Acks(), ledger);
    await expectNoViolation(strict);
    await f.sql(
      'UPDATE products SET total_stock = total_stock + 5, available_stock = available_stock + 5 WHERE id = :id',
      { id: f.productId },
    );
    await expectNoViolation(trusting);
    expect(await violationsOf(strict)).toMatch(/conservation broken: available 94 \+ held 11 != put in 100/);
  });

  test('ledger: a restock the database has committed but the harness has not heard back about passes only while it is in flight', async () => {
    const f = await fixture(stack);
    const acks = new Acks();
    const strict = checkerFor(f.productId, acks, new Map([[f.productId, 100]]));
    await f.sql(
      'UPDATE products SET total_stock = total_stock + 7, available_stock = available_stock + 7 WHERE id = :id',
      { id: f.productId },
    );
    acks.restocking.set(f.productId, 7);
    await expectNoViolation(strict);
    acks.restocking.delete(f.productId);
    expect(await violationsOf(strict)).toMatch(/conservation broken: available 96 \+ held 11 != put in 100/);
  });

  test('lateness: a hold left unreleased 60 s past expiry is a violation at any sample, unless the system was down meanwhile', async () => {
    const f = await fixture(stack);
    await f.sql(
      'UPDATE holds SET hold_expires_at = NOW(3) - INTERVAL 60 SECOND, created_at = NOW(3) - INTERVAL 65 SECOND WHERE id = :id',
      { id: f.held },
    );
    const lateness = { boundSeconds: 13, slackSeconds: 15 };
    const old = checkerFor(f.productId);
    const strict = checkerFor(f.productId, new Acks(), undefined, lateness);
    const outage = checkerFor(f.productId, new Acks(), undefined, {
      ...lateness,
      downtime: { overlap: (from, to) => Math.max(0, to - from) },
    });
    await expectNoViolation(old);
    expect(await violationsOf(strict)).toMatch(
      new RegExp(`hold ${f.held}: unreleased 6\\d s past its expiry \\(bound 13 s \\+ slack 15 s \\+ 0 s down\\)`),
    );
    await expectNoViolation(outage);
  });

  test('acknowledged releases: a release answered 200 whose hold is not released by the client is reported', async () => {
    const f = await fixture(stack);
    const acks = new Acks();
    acks.releases.set(f.held, { releasedAt: new Date().toISOString() });
    acks.releases.set(f.expired, { releasedAt: new Date().toISOString() });
    const checker = checkerFor(f.productId, acks);
    const blind = checkerFor(f.productId);
    await expectNoViolation(blind);
    const text = await violationsOf(checker);
    expect(text).toMatch(new RegExp(`hold ${f.held}: release answered 200, stored released_at null`));
    expect(text).toMatch(new RegExp(`hold ${f.expired}: release answered 200, stored released_at .* for "expired"`));
  });

  test('live agreement: an open hold whose workflow was ended is reported during load, not only when quiet', async () => {
    const productId = await createProduct(stack, 10);
    const holdId = Number((await holdOf(stack, productId)).hold_id);
    const live = liveFor(productId);
    await waitFor('the hold to be a second old', async () => (await live.agreement()).length === 0, 5_000);
    await new Promise((r) => setTimeout(r, 1_100));
    expect(await live.agreement()).toEqual([]);
    await stack.client.workflow.getHandle(holdWorkflowId(holdId)).terminate('mutation test: planted defect');
    expect((await live.agreement()).join('\n')).toMatch(
      new RegExp(`hold ${holdId}: open in the database, its workflow is TERMINATED`),
    );
  });

  test('live cache freshness: a cached product showing more stock than the database, past the bound, is reported', async () => {
    const productId = await createProduct(stack, 10);
    const live = liveFor(productId, 0);
    const redis = new Redis(testConfig().REDIS_URL);
    cleanup(() => redis.disconnect());
    expect(await live.freshness()).toEqual([]);
    const cached = (await stack.http.get(`/api/products/${productId}`)).body;
    await redis.set(`product:${productId}`, JSON.stringify({ ...cached, available_stock: 1000 }), 'EX', 60);
    expect(await live.freshness()).toEqual([]); // first seen: stale from now on
    await new Promise((r) => setTimeout(r, 20));
    expect((await live.freshness()).join('\n')).toMatch(
      new RegExp(`product ${productId}: reads showed more stock than the database`),
    );
  });
});

/** Live checks on one product, closed after the test (like the checkers). */
function liveFor(productId: number, staleBoundMs = 5_000): LiveChecks {
  const live = new LiveChecks({
    dbUrl: testConfig().DATABASE_URL,
    temporal: async () => stack.client,
    readProduct: async (id) => {
      const r = await stack.http.get(`/api/products/${id}`);
      return r.status === 200 ? Number(r.body.available_stock) : null;
    },
    products: () => [productId],
    staleBoundMs,
  });
  cleanup(() => live.close());
  return live;
}
