import { QueryTypes } from 'sequelize';
import { availableStock, createProduct, expectConserved } from '../../harness/fixtures';
import { startStack } from '../../harness/stack';
import { waitFor } from '../../harness/wait';
import { unreleasedHolds } from './support/rows';
import { holdOf, useStack } from './support/stack';

/** POST /api/holds/{id}/extend on the real services: the rules, and 200 extensions racing the expiry instant. */
const stack = useStack({ HOLD_TTL_SECONDS: '3', HOLD_MAX_EXTENSION_SECONDS: '10', SWEEP_GRACE_SECONDS: '0' });

const extend = (holdId: number, seconds: unknown) => stack.http.post(`/api/holds/${holdId}/extend`, { seconds });
const hold = (productId: number, quantity = 1) => holdOf(stack, productId, quantity);

describe('hold extension', () => {
  test('disabled without HOLD_MAX_EXTENSION_SECONDS', async () => {
    const off = await startStack({}, { worker: false });
    try {
      const res = await off.http.post('/api/holds/1/extend', { seconds: 5 });
      expect(res.status).toBe(400);
      expect(res.body.message).toBe('Hold extension is disabled');
    } finally {
      await off.close();
    }
  });

  test('moves the expiry, the timer and HoldExpiresAt; up to the limit in total', async () => {
    const productId = await createProduct(stack, 5);
    const { hold_id, hold_expires_at } = await hold(productId, 2);
    const first = await extend(hold_id, 6);
    expect(first.status).toBe(200);
    const movedTo = Date.parse(hold_expires_at) + 6000;
    expect(Date.parse(first.body.data.hold_expires_at)).toBe(movedTo);
    expect((await stack.http.get(`/api/holds/${hold_id}`)).body.hold_expires_at).toBe(first.body.data.hold_expires_at);
    const handle = stack.client.workflow.getHandle(`hold-${hold_id}`);
    expect((await handle.describe()).searchAttributes.HoldExpiresAt?.[0]).toEqual(new Date(movedTo));

    const over = await extend(hold_id, 5);
    expect(over.status).toBe(400);
    expect(over.body.message).toBe('Cannot extend hold: extension limit reached');
    expect((await extend(hold_id, 4)).status).toBe(200);

    // Still held past its first expiry (the sweep too leaves it alone), then released once at the new one.
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(hold_expires_at) + 1500 - Date.now())));
    expect((await stack.http.get(`/api/holds/${hold_id}`)).body.released_at).toBeNull();
    await handle.result();
    const released = (await stack.http.get(`/api/holds/${hold_id}`)).body;
    expect(Date.parse(released.released_at)).toBeGreaterThanOrEqual(movedTo + 4000);
    expect(await availableStock(stack.db, productId)).toBe(5);
  });

  test('refusals: expired, released, ordered; validation', async () => {
    const productId = await createProduct(stack, 5);
    const released = await hold(productId);
    await stack.http.post(`/api/holds/${released.hold_id}/release`, {});
    expect((await extend(released.hold_id, 1)).body.message).toBe('Cannot extend hold: Hold has been released');
    const ordered = await hold(productId);
    await stack.http.post('/api/orders', { hold_id: ordered.hold_id });
    expect((await extend(ordered.hold_id, 1)).body.message).toBe(
      'Cannot extend hold: Hold is already associated with an order',
    );
    const expired = await hold(productId);
    await stack.client.workflow.getHandle(`hold-${expired.hold_id}`).result();
    expect((await extend(expired.hold_id, 1)).body.message).toBe('Cannot extend hold: Hold has expired');
    expect((await extend(expired.hold_id, 0)).status).toBe(422);
    expect((await extend(expired.hold_id, 'x')).body.errors.seconds).toEqual(['The seconds field must be an integer.']);
    expect((await extend(99_999_999, 1)).status).toBe(404);
  });

  test('200 extensions racing the expiry instant: each one outcome, stock back exactly once', async () => {
    const n = 200;
    const productId = await createProduct(stack, n);
    // Each extension is sent within ±150 ms of its hold's expiry instant; holds come in waves of 20 (a busy machine).
    const race = async (h: { hold_id: number; hold_expires_at: string }, i: number) => {
      const at = Date.parse(h.hold_expires_at) + ((i % 7) - 3) * 50;
      await new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));
      const res = await extend(h.hold_id, 2);
      return { holdId: h.hold_id, status: res.status, message: res.body.message as string | undefined };
    };
    const racing: Promise<Awaited<ReturnType<typeof race>>>[] = [];
    for (let wave = 0; wave < n / 20; wave++) {
      const holds = await Promise.all(Array.from({ length: 20 }, () => hold(productId)));
      racing.push(...holds.map((h, i) => race(h, wave * 20 + i)));
    }
    const answers = await Promise.all(racing);
    for (const a of answers) {
      expect([200, 400]).toContain(a.status);
      if (a.status === 400) expect(a.message).toBe('Cannot extend hold: Hold has expired');
    }
    await waitFor('every hold to be released', async () => (await unreleasedHolds(stack.db, productId)) === 0, 60_000);
    const rows = await stack.db.query<{
      id: number;
      extended_seconds: number;
      hold_expires_at: Date;
      released_at: Date;
    }>('SELECT id, extended_seconds, hold_expires_at, released_at FROM holds WHERE product_id = ?', {
      replacements: [productId],
      type: QueryTypes.SELECT,
    });
    const byId = new Map(rows.map((r) => [Number(r.id), r]));
    for (const a of answers) {
      const row = byId.get(a.holdId)!;
      // Extended exactly when answered 200; never released before its (final) expiry.
      expect(`${a.holdId}:${Number(row.extended_seconds)}`).toBe(`${a.holdId}:${a.status === 200 ? 2 : 0}`);
      expect(new Date(row.released_at).getTime()).toBeGreaterThanOrEqual(new Date(row.hold_expires_at).getTime());
    }
    expect(await availableStock(stack.db, productId)).toBe(n);
    await expectConserved(stack.db, productId, n);
  }, 120_000);
});
