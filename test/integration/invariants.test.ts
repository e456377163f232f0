import { randomUUID } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import Redis from 'ioredis';
import { Acks, InvariantChecker } from '../../harness/checker/checker';
import { LiveChecks } from '../../harness/checker/live';
import { holdWorkflowId } from '../../src/shared/workflow-ids';
import { sqlTime } from '../../src/db/time';
import { createProduct } from '../../harness/fixtures';
import { ADMIN_TOKEN, startStack, testConfig, type Stack } from '../../harness/stack';
import { waitFor } from '../../harness/wait';

/**
 * The chaos suite's oracle (harness/checker/checker.ts) against real data: quiet on what the service really does, and loud on
 * each way the data can be wrong.
 */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ HOLD_TTL_SECONDS: '15', PAYMENT_TIMEOUT_SECONDS: '3', SWEEP_GRACE_SECONDS: '1' });
});
afterAll(async () => stack.close());

const url = () => testConfig().DATABASE_URL;
const checkerFor = (
  productId: number,
  acks = new Acks(),
  ledger?: Map<number, number>,
  lateness?: ConstructorParameters<typeof InvariantChecker>[0]['lateness'],
) =>
  new InvariantChecker({
    url: url(),
    productIds: () => [productId],
    acks,
    ledger,
    lateness,
    paymentTimeoutSeconds: Number(stack.config.PAYMENT_TIMEOUT_SECONDS),
    sweepGraceSeconds: Number(stack.config.SWEEP_GRACE_SECONDS),
  });

describe('invariant checker on the real service', () => {
  test.each([1, 4])(
    'holds, orders, payments, releases and expiries on %i stock row(s) leave no violation',
    async (shards) => {
      const productId = await createProduct(stack, 50);
      if (shards > 1) {
        const res = await stack.http.put(
          `/api/admin/products/${productId}/stock-shards`,
          { shards },
          {
            Authorization: `Bearer ${ADMIN_TOKEN}`,
          },
        );
        expect(res.status).toBe(200);
      }
      const acks = new Acks();
      const checker = checkerFor(productId, acks);
      try {
        const hold = async (quantity: number) => {
          const res = await stack.http.post('/api/holds', { product_id: productId, quantity });
          expect(res.status).toBe(201);
          acks.holds.set(res.body.data.hold_id, { productId, quantity, expiresAt: res.body.data.hold_expires_at });
          return res.body.data.hold_id as number;
        };
        const order = async (holdId: number) => {
          const res = await stack.http.post('/api/orders', { hold_id: holdId });
          expect(`${res.status} ${res.text}`).toMatch(/^201 /);
          acks.orders.set(res.body.data.id, { holdId });
          return res.body.data.id as number;
        };
        const pay = async (orderId: number, status: 'paid' | 'failed') => {
          const eventId = `evt-${randomUUID()}`;
          const res = await stack.http.post('/api/payments/webhook', { event_id: eventId, order_id: orderId, status });
          expect(res.status).toBe(200);
          acks.payments.set(eventId, { orderId, sent: status, answered: res.body.data.status });
        };

        await pay(await order(await hold(3)), 'paid');
        expect((await checker.check()).violations).toEqual([]);
        await pay(await order(await hold(2)), 'failed');
        await order(await hold(4)); // cancelled by the payment timeout
        expect((await stack.http.post(`/api/holds/${await hold(1)}/release`)).status).toBe(200);
        await hold(5); // left to expire
        expect((await checker.check()).violations).toEqual([]);

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
      } finally {
        await checker.close();
      }
    },
    90_000,
  );
});

/** A consistent product written straight to the database: every state a hold and an order can be in. */
async function fixture() {
  const db = stack.db;
  const now = Date.now();
  const at = (offsetMs: number) => sqlTime(new Date(now + offsetMs));
  const timeout = Number(stack.config.PAYMENT_TIMEOUT_SECONDS) * 1000;
  const [pid] = await db.query(
    `INSERT INTO products (name, total_stock, available_stock, price, created_at, updated_at)
     VALUES ('checker fixture', 100, 89, 1, :now, :now)`,
    { replacements: { now: at(-60_000) }, type: QueryTypes.INSERT },
  );
  const productId = Number(pid);
  const nextId = async () =>
    Number((await db.query<{ id: number }>('SELECT NEXTVAL(hold_ids) AS id', { type: QueryTypes.SELECT }))[0].id);
  const hold = async (q: number, createdMs: number, o: { used?: number; released?: number; reason?: string } = {}) => {
    const id = await nextId();
    await db.query(
      `INSERT INTO holds (id, product_id, quantity, hold_expires_at, released_at, used_at, release_reason, created_at, updated_at)
       VALUES (:id, :productId, :q, :expires, :released, :used, :reason, :created, :created)`,
      {
        replacements: {
          id,
          productId,
          q,
          expires: at(createdMs + 10_000),
          released: o.released === undefined ? null : at(o.released),
          used: o.used === undefined ? null : at(o.used),
          reason: o.reason ?? null,
          created: at(createdMs),
        },
      },
    );
    return id;
  };
  const order = async (holdId: number, status: string, createdMs: number, key: string | null = null) => {
    const [id] = await db.query(
      `INSERT INTO orders (hold_id, status, payment_idempotency_key, amount, currency, created_at, updated_at)
       VALUES (:holdId, :status, :key, 0, 'usd', :created, :created)`,
      { replacements: { holdId, status, key, created: at(createdMs) }, type: QueryTypes.INSERT },
    );
    return Number(id);
  };
  const event = (eventId: string, orderId: number, status: string) =>
    db.query(
      `INSERT INTO payment_events (event_id, order_id, status, created_at) VALUES (:eventId, :orderId, :status, :now)`,
      { replacements: { eventId, orderId, status, now: at(0) } },
    );

  // 100 put in: held 2 + ordered (pending) 4 + sold 5 = 11 taken, 89 available.
  const held = await hold(2, -1_000);
  const expired = await hold(3, -50_000, { released: -40_000 + 5, reason: 'expired' });
  const pending = await hold(4, -5_000, { used: -4_000 });
  const pendingOrder = await order(pending, 'pending', -4_000);
  const sold = await hold(5, -30_000, { used: -29_000 });
  const paidEvent = `evt-${randomUUID()}`;
  const soldOrder = await order(sold, 'completed', -29_000, paidEvent);
  await event(paidEvent, soldOrder, 'paid');
  const failed = await hold(1, -30_000, { used: -29_000, released: -28_000, reason: 'payment_failed' });
  const failedOrder = await order(failed, 'cancelled', -29_000, `evt-${randomUUID()}`);
  await event(`evt-${randomUUID()}`, failedOrder, 'failed');
  const timedOut = await hold(1, -30_000, {
    used: -29_000,
    released: -29_000 + timeout + 100,
    reason: 'payment_timeout',
  });
  const timedOutOrder = await order(timedOut, 'cancelled', -29_000);
  return {
    productId,
    held,
    expired,
    pending,
    pendingOrder,
    sold,
    soldOrder,
    paidEvent,
    failed,
    timedOut,
    timedOutOrder,
    sql: (q: string, replacements: Record<string, unknown> = {}) => db.query(q, { replacements }),
  };
}

describe('invariant checker on broken data', () => {
  test('a consistent fixture has no violation', async () => {
    const f = await fixture();
    const checker = checkerFor(f.productId);
    try {
      expect((await checker.check()).violations).toEqual([]);
    } finally {
      await checker.close();
    }
  });

  const cases: [string, (f: Awaited<ReturnType<typeof fixture>>) => Promise<unknown>, RegExp][] = [
    [
      'stock given back twice',
      (f) => f.sql('UPDATE products SET available_stock = available_stock + 3 WHERE id = :id', { id: f.productId }),
      /conservation broken: available 92 \+ held 11 != put in 100/,
    ],
    [
      'stock taken twice',
      (f) => f.sql('UPDATE products SET available_stock = available_stock - 2 WHERE id = :id', { id: f.productId }),
      /conservation broken/,
    ],
    [
      'released and sold',
      (f) =>
        f.sql("UPDATE holds SET released_at = used_at, release_reason = 'payment_failed' WHERE id = :id", {
          id: f.sold,
        }),
      /released and its order \d+ is completed/,
    ],
    [
      'cancelled without stock back',
      (f) => f.sql('UPDATE holds SET released_at = NULL, release_reason = NULL WHERE id = :id', { id: f.failed }),
      /cancelled but the stock was not given back/,
    ],
    [
      'paid twice',
      (f) =>
        f.sql(
          `INSERT INTO payment_events (event_id, order_id, status, created_at) VALUES ('${randomUUID()}', :o, 'paid', NOW())`,
          { o: f.soldOrder },
        ),
      /2 payment events/,
    ],
    [
      'completed without payment',
      (f) => f.sql('DELETE FROM payment_events WHERE order_id = :o', { o: f.soldOrder }),
      /completed without a paid event/,
    ],
    [
      'ordered after expiry',
      (f) => f.sql('UPDATE holds SET used_at = hold_expires_at WHERE id = :id', { id: f.pending }),
      /at\/after expiry/,
    ],
    [
      'expired early',
      (f) =>
        f.sql('UPDATE holds SET released_at = hold_expires_at - INTERVAL 1 SECOND WHERE id = :id', { id: f.expired }),
      /before its expiry/,
    ],
    [
      'cancelled for non-payment early',
      (f) => f.sql('UPDATE holds SET released_at = used_at WHERE id = :id', { id: f.timedOut }),
      /before its deadline/,
    ],
    [
      'order without used_at',
      (f) => f.sql('UPDATE holds SET used_at = NULL WHERE id = :id', { id: f.pending }),
      /used_at null but order/,
    ],
    [
      'pending order with a payment',
      (f) =>
        f.sql(
          `INSERT INTO payment_events (event_id, order_id, status, created_at) VALUES ('${randomUUID()}', :o, 'paid', NOW())`,
          { o: f.pendingOrder },
        ),
      /pending with payment event/,
    ],
    [
      'a hold created after its own expiry (its reservation ran late)',
      (f) => f.sql('UPDATE holds SET created_at = hold_expires_at + INTERVAL 1 SECOND WHERE id = :id', { id: f.held }),
      /created .*, after its own expiry .* \(its reservation ran late\)/,
    ],
    [
      'wrong release reason',
      (f) => f.sql("UPDATE holds SET release_reason = 'sweep' WHERE id = :id", { id: f.failed }),
      /ordered hold released for "sweep"/,
    ],
  ];
  test.each(cases)('%s is reported', async (_name, corrupt, expected) => {
    const f = await fixture();
    const checker = checkerFor(f.productId);
    try {
      expect((await checker.check()).violations).toEqual([]);
      await corrupt(f);
      const { violations } = await checker.check();
      expect(violations.join('\n')).toMatch(expected);
    } finally {
      await checker.close();
    }
  });

  test('late payments: owed back or honoured passes; a late paid neither is reported', async () => {
    const f = await fixture();
    const checker = checkerFor(f.productId);
    const late = (eventId: string, status: string) =>
      f.sql(
        `INSERT INTO payment_events (event_id, order_id, status, late, created_at) VALUES (:e, :o, :s, 1, NOW(3))`,
        { e: eventId, o: f.timedOutOrder, s: status },
      );
    try {
      expect((await checker.check()).violations).toEqual([]);
      await late(`evt-${randomUUID()}`, 'failed');
      expect((await checker.check()).violations).toEqual([]);
      const unpaid = `evt-${randomUUID()}`;
      await late(unpaid, 'paid');
      expect((await checker.check()).violations.join('\n')).toMatch(
        new RegExp(`order ${f.timedOutOrder}: late payment ${unpaid} neither honoured nor owed back`),
      );
      await f.sql('UPDATE orders SET refund_due_at = NOW(3) WHERE id = :o', { o: f.timedOutOrder });
      expect((await checker.check()).violations).toEqual([]);
      // Honoured: the units taken again, the release undone, the cancelled order completed with the late key.
      const honoured = `evt-${randomUUID()}`;
      await late(honoured, 'paid');
      await f.sql('UPDATE holds SET released_at = NULL, release_reason = NULL WHERE id = :h', { h: f.timedOut });
      await f.sql('UPDATE products SET available_stock = available_stock - 1 WHERE id = :p', { p: f.productId });
      await f.sql("UPDATE orders SET status = 'completed', payment_idempotency_key = :e WHERE id = :o", {
        e: honoured,
        o: f.timedOutOrder,
      });
      expect((await checker.check()).violations).toEqual([]);
      // A completed order's release undone without a late payment behind it is still reported.
      await f.sql("UPDATE orders SET payment_idempotency_key = 'other' WHERE id = :o", { o: f.timedOutOrder });
      expect((await checker.check()).violations.join('\n')).toMatch(/completed without a paid event/);
    } finally {
      await checker.close();
    }
  });

  test('extensions: an expiry moved with its extended seconds passes; moved otherwise is reported', async () => {
    const f = await fixture();
    const checker = checkerFor(f.productId);
    try {
      expect((await checker.check()).violations).toEqual([]);
      await f.sql(
        'UPDATE holds SET hold_expires_at = hold_expires_at + INTERVAL 5 SECOND, extended_seconds = 5 WHERE id = :id',
        { id: f.held },
      );
      expect((await checker.check()).violations).toEqual([]);
      await f.sql('UPDATE holds SET hold_expires_at = hold_expires_at + INTERVAL 3 SECOND WHERE id = :id', {
        id: f.held,
      });
      expect((await checker.check()).violations.join('\n')).toMatch(new RegExp(`hold ${f.held}: expiry moved`));
    } finally {
      await checker.close();
    }
  });

  test('across snapshots: a release rewritten, a final status undone, a hold vanished', async () => {
    const f = await fixture();
    const checker = checkerFor(f.productId);
    try {
      expect((await checker.check()).violations).toEqual([]);
      await f.sql('UPDATE holds SET released_at = released_at + INTERVAL 1 SECOND WHERE id = :id', { id: f.expired });
      await f.sql("UPDATE orders SET status = 'pending' WHERE id = :id", { id: f.timedOutOrder });
      await f.sql('DELETE FROM holds WHERE id = :id', { id: f.held });
      const text = (await checker.check()).violations.join('\n');
      expect(text).toMatch(new RegExp(`hold ${f.expired}: released_at changed`));
      expect(text).toMatch(new RegExp(`order ${f.timedOutOrder}: final status cancelled became pending`));
      expect(text).toMatch(new RegExp(`hold ${f.held}: vanished`));
    } finally {
      await checker.close();
    }
  });

  test('what clients were told: a 201 hold missing, a webhook answer the data contradicts', async () => {
    const f = await fixture();
    const acks = new Acks();
    acks.holds.set(987_654_321, { productId: f.productId, quantity: 1, expiresAt: new Date().toISOString() });
    acks.payments.set(f.paidEvent, { orderId: f.soldOrder, sent: 'paid', answered: 'cancelled' });
    const checker = checkerFor(f.productId, acks);
    try {
      const text = (await checker.check()).violations.join('\n');
      expect(text).toMatch(/hold 987654321: answered 201 but does not exist/);
      expect(text).toMatch(/answered "cancelled", order \d+ is completed/);
    } finally {
      await checker.close();
    }
  });

  test('settled: a hold still held past expiry + grace is reported, not before', async () => {
    const f = await fixture();
    await f.sql(
      'UPDATE holds SET hold_expires_at = NOW(3) - INTERVAL 60 SECOND, created_at = NOW(3) - INTERVAL 65 SECOND WHERE id = :id',
      { id: f.held },
    );
    const checker = checkerFor(f.productId);
    try {
      const during = await checker.check();
      expect(during.violations).toEqual([]);
      expect(during.overdueHolds).toBe(1);
      const settled = await checker.check({ graceSeconds: 30 });
      expect(settled.violations.join('\n')).toMatch(new RegExp(`hold ${f.held}: still held \\d+ s past its expiry`));
    } finally {
      await checker.close();
    }
  });

  test('the ledger decides what was put in: the seed shape (200 total, 100 available) conserves with 100 put in', async () => {
    const f = await fixture();
    await f.sql('UPDATE products SET total_stock = total_stock + 100 WHERE id = :id', { id: f.productId });
    const trusting = checkerFor(f.productId);
    const withLedger = checkerFor(f.productId, new Acks(), new Map([[f.productId, 100]]));
    try {
      expect((await trusting.check()).violations.join('\n')).toMatch(/conservation broken/);
      expect((await withLedger.check()).violations).toEqual([]);
    } finally {
      await trusting.close();
      await withLedger.close();
    }
  });
});

/**
 * Mutation tests of the stricter oracle (issue 14): each check is shown quiet on correct data and loud on its planted
 * defect, and the defect is shown to pass without that check.
 */
describe('the stricter checks catch their planted defect', () => {
  test('ledger: stock conjured in the database (total and available raised together) passes a checker that trusts total_stock, not the ledger', async () => {
    const f = await fixture();
    const ledger = new Map([[f.productId, 100]]);
    const trusting = checkerFor(f.productId);
    const strict = checkerFor(f.productId, new Acks(), ledger);
    try {
      expect((await strict.check()).violations).toEqual([]);
      await f.sql(
        'UPDATE products SET total_stock = total_stock + 5, available_stock = available_stock + 5 WHERE id = :id',
        {
          id: f.productId,
        },
      );
      expect((await trusting.check()).violations).toEqual([]);
      expect((await strict.check()).violations.join('\n')).toMatch(
        /conservation broken: available 94 \+ held 11 != put in 100/,
      );
    } finally {
      await trusting.close();
      await strict.close();
    }
  });

  test('ledger: a restock the database has committed but the harness has not heard back about passes only while it is in flight', async () => {
    const f = await fixture();
    const acks = new Acks();
    const strict = checkerFor(f.productId, acks, new Map([[f.productId, 100]]));
    try {
      await f.sql(
        'UPDATE products SET total_stock = total_stock + 7, available_stock = available_stock + 7 WHERE id = :id',
        { id: f.productId },
      );
      acks.restocking.set(f.productId, 7);
      expect((await strict.check()).violations).toEqual([]);
      acks.restocking.delete(f.productId);
      expect((await strict.check()).violations.join('\n')).toMatch(
        /conservation broken: available 96 \+ held 11 != put in 100/,
      );
    } finally {
      await strict.close();
    }
  });

  test('lateness: a hold left unreleased 60 s past expiry is a violation at any sample, unless the system was down meanwhile', async () => {
    const f = await fixture();
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
    try {
      expect((await old.check()).violations).toEqual([]);
      expect((await strict.check()).violations.join('\n')).toMatch(
        new RegExp(`hold ${f.held}: unreleased 6\\d s past its expiry \\(bound 13 s \\+ slack 15 s \\+ 0 s down\\)`),
      );
      expect((await outage.check()).violations).toEqual([]);
    } finally {
      await old.close();
      await strict.close();
      await outage.close();
    }
  });

  test('acknowledged releases: a release answered 200 whose hold is not released by the client is reported', async () => {
    const f = await fixture();
    const acks = new Acks();
    acks.releases.set(f.held, { releasedAt: new Date().toISOString() });
    acks.releases.set(f.expired, { releasedAt: new Date().toISOString() });
    const checker = checkerFor(f.productId, acks);
    const blind = checkerFor(f.productId);
    try {
      expect((await blind.check()).violations).toEqual([]);
      const text = (await checker.check()).violations.join('\n');
      expect(text).toMatch(new RegExp(`hold ${f.held}: release answered 200, stored released_at null`));
      expect(text).toMatch(new RegExp(`hold ${f.expired}: release answered 200, stored released_at .* for "expired"`));
    } finally {
      await checker.close();
      await blind.close();
    }
  });

  test('live agreement: an open hold whose workflow was ended is reported during load, not only when quiet', async () => {
    const productId = await createProduct(stack, 10);
    const res = await stack.http.post('/api/holds', { product_id: productId, quantity: 1 });
    expect(res.status).toBe(201);
    const holdId = Number(res.body.data.hold_id);
    const live = liveFor(productId);
    try {
      await waitFor('the hold to be a second old', async () => (await live.agreement()).length === 0, 5_000);
      await new Promise((r) => setTimeout(r, 1_100));
      expect(await live.agreement()).toEqual([]);
      await stack.client.workflow.getHandle(holdWorkflowId(holdId)).terminate('mutation test: planted defect');
      expect((await live.agreement()).join('\n')).toMatch(
        new RegExp(`hold ${holdId}: open in the database, its workflow is TERMINATED`),
      );
    } finally {
      await live.close();
    }
  });

  test('live cache freshness: a cached product showing more stock than the database, past the bound, is reported', async () => {
    const productId = await createProduct(stack, 10);
    const live = liveFor(productId, 0);
    const redis = new Redis(testConfig().REDIS_URL);
    try {
      expect(await live.freshness()).toEqual([]);
      const cached = (await stack.http.get(`/api/products/${productId}`)).body;
      await redis.set(`product:${productId}`, JSON.stringify({ ...cached, available_stock: 1000 }), 'EX', 60);
      expect(await live.freshness()).toEqual([]); // first seen: stale from now on
      await new Promise((r) => setTimeout(r, 20));
      expect((await live.freshness()).join('\n')).toMatch(
        new RegExp(`product ${productId}: reads showed more stock than the database`),
      );
    } finally {
      redis.disconnect();
      await live.close();
    }
  });
});

function liveFor(productId: number, staleBoundMs = 5_000): LiveChecks {
  return new LiveChecks({
    dbUrl: url(),
    temporal: async () => stack.client,
    readProduct: async (id) => {
      const r = await stack.http.get(`/api/products/${id}`);
      return r.status === 200 ? Number(r.body.available_stock) : null;
    },
    products: () => [productId],
    staleBoundMs,
  });
}
