import { randomUUID } from 'node:crypto';
import { Acks } from '../../harness/checker/checker';
import { CHECKER_STACK, checkersOn, fixture, type Fixture } from './support/checker';
import { cleanupAfterEach } from './support/cleanup';
import { useStack } from './support/stack';
import { expectNoViolation, violationsOf } from './support/violations';

/** The chaos suite's oracle (harness/checker/checker.ts) loud on each way a consistent fixture can be broken. */
const stack = useStack(CHECKER_STACK);
const checkerFor = checkersOn(() => stack, cleanupAfterEach());

/** A consistent fixture and a checker of its product, which finds nothing wrong yet. */
async function checkedFixture() {
  const f = await fixture(stack);
  const checker = checkerFor(f.productId);
  await expectNoViolation(checker);
  return { f, checker };
}

/** Corruptions of the fixture: `SET <set>` on one of its holds, stock given or taken, a second paid event. */
const onHold = (hold: 'held' | 'expired' | 'pending' | 'sold' | 'failed' | 'timedOut', set: string) => (f: Fixture) =>
  f.sql(`UPDATE holds SET ${set} WHERE id = :id`, { id: f[hold] });
const stockUp = (n: number) => (f: Fixture) =>
  f.sql('UPDATE products SET available_stock = available_stock + :n WHERE id = :id', { n, id: f.productId });
const paidAgain = (order: 'soldOrder' | 'pendingOrder') => (f: Fixture) =>
  f.sql("INSERT INTO payment_events (event_id, order_id, status, created_at) VALUES (:e, :o, 'paid', NOW())", {
    e: randomUUID(),
    o: f[order],
  });

describe('invariant checker on broken data', () => {
  test('a consistent fixture has no violation', async () => {
    await checkedFixture();
  });

  const cases: [string, (f: Fixture) => Promise<unknown>, RegExp][] = [
    ['stock given back twice', stockUp(3), /conservation broken: available 92 \+ held 11 != put in 100/],
    ['stock taken twice', stockUp(-2), /conservation broken/],
    [
      'released and sold',
      onHold('sold', "released_at = used_at, release_reason = 'payment_failed'"),
      /released and its order \d+ is completed/,
    ],
    [
      'cancelled without stock back',
      onHold('failed', 'released_at = NULL, release_reason = NULL'),
      /cancelled but the stock was not given back/,
    ],
    ['paid twice', paidAgain('soldOrder'), /2 payment events/],
    [
      'completed without payment',
      (f) => f.sql('DELETE FROM payment_events WHERE order_id = :o', { o: f.soldOrder }),
      /completed without a paid event/,
    ],
    ['ordered after expiry', onHold('pending', 'used_at = hold_expires_at'), /at\/after expiry/],
    ['expired early', onHold('expired', 'released_at = hold_expires_at - INTERVAL 1 SECOND'), /before its expiry/],
    ['cancelled for non-payment early', onHold('timedOut', 'released_at = used_at'), /before its deadline/],
    ['order without used_at', onHold('pending', 'used_at = NULL'), /used_at null but order/],
    ['pending order with a payment', paidAgain('pendingOrder'), /pending with payment event/],
    [
      'a hold created after its own expiry (its reservation ran late)',
      onHold('held', 'created_at = hold_expires_at + INTERVAL 1 SECOND'),
      /created .*, after its own expiry .* \(its reservation ran late\)/,
    ],
    ['wrong release reason', onHold('failed', "release_reason = 'sweep'"), /ordered hold released for "sweep"/],
  ];
  test.each(cases)('%s is reported', async (_name, corrupt, expected) => {
    const { f, checker } = await checkedFixture();
    await corrupt(f);
    expect(await violationsOf(checker)).toMatch(expected);
  });

  test('late payments: owed back or honoured passes; a late paid neither is reported', async () => {
    const { f, checker } = await checkedFixture();
    const late = (eventId: string, status: string) =>
      f.sql(
        `INSERT INTO payment_events (event_id, order_id, status, late, created_at) VALUES (:e, :o, :s, 1, NOW(3))`,
        { e: eventId, o: f.timedOutOrder, s: status },
      );
    await late(`evt-${randomUUID()}`, 'failed');
    await expectNoViolation(checker);
    const unpaid = `evt-${randomUUID()}`;
    await late(unpaid, 'paid');
    expect(await violationsOf(checker)).toMatch(
      new RegExp(`order ${f.timedOutOrder}: late payment ${unpaid} neither honoured nor owed back`),
    );
    await f.sql('UPDATE orders SET refund_due_at = NOW(3) WHERE id = :o', { o: f.timedOutOrder });
    await expectNoViolation(checker);
    // Honoured: the units taken again, the release undone, the cancelled order completed with the late key.
    const honoured = `evt-${randomUUID()}`;
    await late(honoured, 'paid');
    await f.sql('UPDATE holds SET released_at = NULL, release_reason = NULL WHERE id = :h', { h: f.timedOut });
    await f.sql('UPDATE products SET available_stock = available_stock - 1 WHERE id = :p', { p: f.productId });
    await f.sql("UPDATE orders SET status = 'completed', payment_idempotency_key = :e WHERE id = :o", {
      e: honoured,
      o: f.timedOutOrder,
    });
    await expectNoViolation(checker);
    // A completed order's release undone without a late payment behind it is still reported.
    await f.sql("UPDATE orders SET payment_idempotency_key = 'other' WHERE id = :o", { o: f.timedOutOrder });
    expect(await violationsOf(checker)).toMatch(/completed without a paid event/);
  });

  test('extensions: an expiry moved with its extended seconds passes; moved otherwise is reported', async () => {
    const { f, checker } = await checkedFixture();
    await f.sql(
      'UPDATE holds SET hold_expires_at = hold_expires_at + INTERVAL 5 SECOND, extended_seconds = 5 WHERE id = :id',
      { id: f.held },
    );
    await expectNoViolation(checker);
    await f.sql('UPDATE holds SET hold_expires_at = hold_expires_at + INTERVAL 3 SECOND WHERE id = :id', {
      id: f.held,
    });
    expect(await violationsOf(checker)).toMatch(new RegExp(`hold ${f.held}: expiry moved`));
  });

  test('across snapshots: a release rewritten, a final status undone, a hold vanished', async () => {
    const { f, checker } = await checkedFixture();
    await f.sql('UPDATE holds SET released_at = released_at + INTERVAL 1 SECOND WHERE id = :id', { id: f.expired });
    await f.sql("UPDATE orders SET status = 'pending' WHERE id = :id", { id: f.timedOutOrder });
    await f.sql('DELETE FROM holds WHERE id = :id', { id: f.held });
    const text = await violationsOf(checker);
    expect(text).toMatch(new RegExp(`hold ${f.expired}: released_at changed`));
    expect(text).toMatch(new RegExp(`order ${f.timedOutOrder}: final status cancelled became pending`));
    expect(text).toMatch(new RegExp(`hold ${f.held}: vanished`));
  });

  test('what clients were told: a 201 hold missing, a webhook answer the data contradicts', async () => {
    const f = await fixture(stack);
    const acks = new Acks();
    acks.holds.set(987_654_321, { productId: f.productId, quantity: 1, expiresAt: new Date().toISOString() });
    acks.payments.set(f.paidEvent, { orderId: f.soldOrder, sent: 'paid', answered: 'cancelled' });
    const checker = checkerFor(f.productId, acks);
    const text = await violationsOf(checker);
    expect(text).toMatch(/hold 987654321: answered 201 but does not exist/);
    expect(text).toMatch(/answered "cancelled", order \d+ is completed/);
  });

  test('settled: a hold still held past expiry + grace is reported, not before', async () => {
    const f = await fixture(stack);
    await f.sql(
      'UPDATE holds SET hold_expires_at = NOW(3) - INTERVAL 60 SECOND, created_at = NOW(3) - INTERVAL 65 SECOND WHERE id = :id',
      { id: f.held },
    );
    const checker = checkerFor(f.productId);
    const during = await checker.check();
    expect(during.violations).toEqual([]);
    expect(during.overdueHolds).toBe(1);
    const settled = await checker.check({ graceSeconds: 30 });
    expect(settled.violations.join('\n')).toMatch(new RegExp(`hold ${f.held}: still held \\d+ s past its expiry`));
  });

  test('the ledger decides what was put in: the seed shape (200 total, 100 available) conserves with 100 put in', async () => {
    const f = await fixture(stack);
    await f.sql('UPDATE products SET total_stock = total_stock + 100 WHERE id = :id', { id: f.productId });
    const trusting = checkerFor(f.productId);
    const withLedger = checkerFor(f.productId, new Acks(), new Map([[f.productId, 100]]));
    expect(await violationsOf(trusting)).toMatch(/conservation broken/);
    await expectNoViolation(withLedger);
  });
});
