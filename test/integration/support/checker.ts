import { randomUUID } from 'node:crypto';
import { QueryTypes, type Sequelize } from 'sequelize';
import { Acks, InvariantChecker } from '../../../harness/checker/checker';
import { testConfig, type Stack } from '../../../harness/stack';
import { sqlTime } from '../../../src/db/time';

/** What the invariant checker's tests share: the stack's settings, checkers, a consistent product to break. */
export const CHECKER_STACK = { HOLD_TTL_SECONDS: '15', PAYMENT_TIMEOUT_SECONDS: '3', SWEEP_GRACE_SECONDS: '1' };

/** `checkerFor(productId, …)`: an invariant checker on the stack `stack()`, closed after the test that made it. */
export function checkersOn(stack: () => Stack, cleanup: (cleanUp: () => unknown) => void) {
  return (
    productId: number,
    acks = new Acks(),
    ledger?: Map<number, number>,
    lateness?: ConstructorParameters<typeof InvariantChecker>[0]['lateness'],
  ) => {
    const checker = new InvariantChecker({
      url: testConfig().DATABASE_URL,
      productIds: () => [productId],
      acks,
      ledger,
      lateness,
      paymentTimeoutSeconds: Number(stack().config.PAYMENT_TIMEOUT_SECONDS),
      sweepGraceSeconds: Number(stack().config.SWEEP_GRACE_SECONDS),
    });
    cleanup(() => checker.close());
    return checker;
  };
}

export type Fixture = Awaited<ReturnType<typeof fixture>>;

/** Inserts of one product's rows, at `at(offset)` (ms from the fixture's now), straight to the database. */
function rowWriters(db: Sequelize, productId: number, at: (offsetMs: number) => string) {
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
  return { hold, order, event };
}

/** A consistent product written straight to the database: every state a hold and an order can be in. */
export async function fixture(stack: Stack) {
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
  const { hold, order, event } = rowWriters(db, productId, at);

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
