import { QueryTypes } from 'sequelize';
import { availableStock, createProduct, expectConserved } from '../../harness/fixtures';
import type { Stack } from '../../harness/stack';
import { waitFor } from '../../harness/wait';
import { unreleasedHolds } from './support/rows';
import { temporalProxy, useStack } from './support/stack';

/**
 * A buyer told "no" owns nothing (issue 20): a hold request answered 503 because Temporal or the reservation stalled
 * past the API's call deadline must not leave a unit held by a hold nobody was told of, with or without an
 * Idempotency-Key. The API abandons the hold in the database at its deadline; the reservation, when it finally runs,
 * refuses. Both stacks run the defaults (eager start on the API's hold worker), with a short deadline and a TTL far
 * longer than the test, so stock that came back cannot have come back by expiry.
 */
const DEADLINE_MS = 2_000;
const settings = { HOLD_EAGER_START: 'true', TEMPORAL_CALL_TIMEOUT_MS: String(DEADLINE_MS), HOLD_TTL_SECONDS: '300' };

/** Every tombstone now, to tell a test's own from those before it. */
const tombstones = async (stack: Stack) => {
  const rows = await stack.db.query<{ hold_id: number }>('SELECT hold_id FROM abandoned_holds', {
    type: QueryTypes.SELECT,
  });
  return new Set(rows.map((r) => Number(r.hold_id)));
};

/**
 * The holds abandoned since `before` (a 503 after its start was sent writes a tombstone each), but for tombstones of
 * holds of other products that had reserved by then (their callers were answered 201 after all).
 */
async function abandonedSince(stack: Stack, before: Set<number>, productId: number): Promise<number[]> {
  const fresh = [...(await tombstones(stack))].filter((id) => !before.has(id));
  if (!fresh.length) return [];
  const others = await stack.db.query<{ id: number }>('SELECT id FROM holds WHERE id IN (?) AND product_id <> ?', {
    replacements: [fresh, productId],
    type: QueryTypes.SELECT,
  });
  const elsewhere = new Set(others.map((r) => Number(r.id)));
  return fresh.filter((id) => !elsewhere.has(id));
}

/**
 * Waits until the run of every abandoned hold has finished (a start still in flight may not have landed yet: it will
 * refuse the same way), and at least `ran` of them did run: the refusal was exercised, not just the 503. Each that ran
 * was refused as CallerGone.
 */
async function abandonedRunsFinished(stack: Stack, ids: number[], ran: number) {
  const statusOf = (id: number) =>
    stack.client.workflow
      .getHandle(`hold-${id}`)
      .describe()
      .then(
        (d) => d.status.name,
        () => 'NONE',
      );
  await waitFor(
    `the runs of ${ids.length} abandoned holds to finish`,
    async () => {
      const states = await Promise.all(ids.map(statusOf));
      if (!states.includes('RUNNING') && states.filter((s) => s === 'COMPLETED').length >= ran) return true;
      // Not yet: the states, for the timeout's message.
      throw new Error(ids.map((id, i) => `${id}:${states[i]}`).join(' '));
    },
    60_000,
  );
  for (const id of ids) {
    const run = stack.client.workflow.getHandle(`hold-${id}`);
    const status = await run.result().catch(() => null);
    if (status) expect(status).toMatchObject({ state: 'REJECTED', rejection: 'CallerGone' });
  }
}

describe('Temporal frozen past the deadline', () => {
  const proxy = temporalProxy();
  const stack = useStack(settings, { worker: false, holdWorker: true, proxy });

  test('buyers answered 503 while Temporal was frozen own nothing once it thaws, keyed or not', async () => {
    const productId = await createProduct(stack, 40);
    const ask = (headers: Record<string, string> = {}) =>
      stack.http.post('/api/holds', { product_id: productId, quantity: 1 }, headers);
    // A hold first, so the connection and the worker are warm.
    expect((await ask()).status).toBe(201);
    const before = await tombstones(stack);
    proxy.setMode('blackhole');
    const keyed = (i: number) => ({ 'Idempotency-Key': `frozen-${productId}-${i}` });
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => ask(i % 4 === 0 ? keyed(i) : {})));
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 503));
    const abandoned = await abandonedSince(stack, before, productId);
    expect(abandoned).toHaveLength(20);
    proxy.setMode('pass');
    // The starts held in the frozen connection reach the server now, after their callers were answered (or, cancelled
    // by their deadline, never start): either way none may hold stock. A keyed buyer who retries with the same key
    // gets a fresh hold, not the abandoned one; these new calls also go after the held ones on the same connection.
    const retries = await Promise.all([0, 4, 8, 12, 16].map((i) => ask(keyed(i))));
    expect(retries.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    for (const r of retries) expect(abandoned).not.toContain(r.body.data.hold_id);
    await abandonedRunsFinished(stack, abandoned, 0);
    expect(await availableStock(stack.db, productId)).toBe(34);
    expect(await unreleasedHolds(stack.db, productId)).toBe(6);
    await expectConserved(stack.db, productId, 40);
  }, 120_000);
});

describe('the reservation stalled past the deadline', () => {
  const stack = useStack(settings, { worker: false, holdWorker: true });

  test('a product row locked past the deadline: the buyers are told 503 and nothing stays held', async () => {
    const productId = await createProduct(stack, 10);
    const before = await tombstones(stack);
    const lock = await stack.db.transaction();
    let answers;
    try {
      await stack.db.query('SELECT id FROM products WHERE id = ? FOR UPDATE', {
        replacements: [productId],
        transaction: lock,
      });
      answers = await Promise.all(
        Array.from({ length: 5 }, () => stack.http.post('/api/holds', { product_id: productId, quantity: 1 })),
      );
    } finally {
      await lock.rollback();
    }
    expect(answers.map((a) => a.status)).toEqual([503, 503, 503, 503, 503]);
    const abandoned = await abandonedSince(stack, before, productId);
    expect(abandoned).toHaveLength(5);
    await abandonedRunsFinished(stack, abandoned, 5);
    expect(await availableStock(stack.db, productId)).toBe(10);
    expect(await unreleasedHolds(stack.db, productId)).toBe(0);
    // The stock is free again for a buyer who asks now.
    expect((await stack.http.post('/api/holds', { product_id: productId, quantity: 10 })).status).toBe(201);
  }, 120_000);
});
