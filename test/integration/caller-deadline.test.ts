import { QueryTypes } from 'sequelize';
import { FaultProxy } from '../../chaos/proxy';
import { availableStock, createProduct, expectConserved } from '../helpers/fixtures';
import { startStack, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';

/**
 * A buyer told "no" owns nothing (issue 20): a hold request answered 503 because Temporal or the reservation stalled
 * past the API's call deadline must not leave a unit held by a hold nobody was told of, with or without an
 * Idempotency-Key. The API abandons the hold in the database at its deadline; the reservation, when it finally runs,
 * refuses. Both stacks run the defaults (eager start on the API's hold worker), with a short deadline and a TTL far
 * longer than the test, so stock that came back cannot have come back by expiry.
 */
const DEADLINE_MS = 2_000;
const settings = { HOLD_EAGER_START: 'true', TEMPORAL_CALL_TIMEOUT_MS: String(DEADLINE_MS), HOLD_TTL_SECONDS: '300' };

/** The holds the API abandoned since `since` (a 503 after its start was sent writes one each). */
const abandonedSince = async (stack: Stack, since: Date) =>
  (
    await stack.db.query<{ hold_id: number }>('SELECT hold_id FROM abandoned_holds WHERE abandoned_at >= ?', {
      replacements: [since],
      type: QueryTypes.SELECT,
    })
  ).map((r) => Number(r.hold_id));

/**
 * Waits until the run of every abandoned hold has finished (a start still in flight may not have landed yet: it will
 * refuse the same way), and at least `ran` of them did run: the refusal was exercised, not just the 503.
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
      return !states.includes('RUNNING') && states.filter((s) => s === 'COMPLETED').length >= ran;
    },
    60_000,
  );
  for (const id of ids) {
    const run = stack.client.workflow.getHandle(`hold-${id}`);
    const status = await run.result().catch(() => null);
    if (status) expect(status).toMatchObject({ state: 'REJECTED', rejection: 'CallerGone' });
  }
}

const unreleasedHolds = async (stack: Stack, productId: number) =>
  Number(
    (
      await stack.db.query<{ n: number }>(
        'SELECT COUNT(*) AS n FROM holds WHERE product_id = ? AND released_at IS NULL',
        { replacements: [productId], type: QueryTypes.SELECT },
      )
    )[0].n,
  );

describe('Temporal frozen past the deadline', () => {
  let proxy: FaultProxy;
  let stack: Stack;
  beforeAll(async () => {
    const [host, port] = (process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233').split(':');
    proxy = new FaultProxy('temporal', { host, port: Number(port) });
    const proxyPort = await proxy.start();
    stack = await startStack({ ...settings, TEMPORAL_ADDRESS: `127.0.0.1:${proxyPort}` }, { worker: false });
    await waitFor('the API hold worker', () => stack.api.eagerStartReady(), 60_000);
  }, 90_000);
  afterAll(async () => {
    proxy.setMode('pass');
    await stack.close();
    await proxy.close();
  });

  test('buyers answered 503 while Temporal was frozen own nothing once it thaws, keyed or not', async () => {
    const productId = await createProduct(stack, 40);
    // A hold first, so the connection and the worker are warm.
    expect((await stack.http.post('/api/holds', { product_id: productId, quantity: 1 })).status).toBe(201);
    const since = new Date(Date.now() - 1_000);
    proxy.setMode('blackhole');
    const asks = Array.from({ length: 20 }, (_, i) =>
      stack.http.post(
        '/api/holds',
        { product_id: productId, quantity: 1 },
        i % 4 === 0 ? { 'Idempotency-Key': `frozen-${productId}-${i}` } : {},
      ),
    );
    const answers = await Promise.all(asks);
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 503));
    const abandoned = await abandonedSince(stack, since);
    expect(abandoned).toHaveLength(20);
    proxy.setMode('pass');
    // The starts held in the frozen connection reach the server now, after their callers were answered: each refuses.
    await abandonedRunsFinished(stack, abandoned, 1);
    expect(await availableStock(stack.db, productId)).toBe(39);
    expect(await unreleasedHolds(stack, productId)).toBe(1);
    await expectConserved(stack.db, productId, 40);
  }, 120_000);
});

describe('the reservation stalled past the deadline', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(settings, { worker: false });
    await waitFor('the API hold worker', () => stack.api.eagerStartReady(), 60_000);
  }, 90_000);
  afterAll(async () => stack.close());

  test('a product row locked past the deadline: the buyers are told 503 and nothing stays held', async () => {
    const productId = await createProduct(stack, 10);
    const since = new Date(Date.now() - 1_000);
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
    const abandoned = await abandonedSince(stack, since);
    expect(abandoned).toHaveLength(5);
    await abandonedRunsFinished(stack, abandoned, 5);
    expect(await availableStock(stack.db, productId)).toBe(10);
    expect(await unreleasedHolds(stack, productId)).toBe(0);
    // The stock is free again for a buyer who asks now.
    expect((await stack.http.post('/api/holds', { product_id: productId, quantity: 10 })).status).toBe(201);
  }, 120_000);
});
