import type { UnansweredHold } from '../../harness/checker/checker';
import { phantoms } from '../../harness/checker/phantoms';
import { indexed, type HoldRow } from '../../harness/checker/snapshot';

/** The chaos oracle's phantom-hold invariant (harness/checker/phantoms.ts) on hand-made snapshots. */
const T0 = Date.parse('2026-12-04T12:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString().replace('T', ' ').replace('Z', '');

function hold(id: number, createdS: number, released?: { s: number; reason: string }): HoldRow {
  return {
    id,
    product_id: 7,
    quantity: 1,
    hold_expires_at: at(createdS + 30),
    released_at: released ? at(released.s) : null,
    used_at: null,
    release_reason: released?.reason ?? null,
    extended_seconds: 0,
    created_at: at(createdS),
  } as HoldRow;
}

const no = (sentS: number, answeredS: number, key: string | null = null): UnansweredHold => ({
  productId: 7,
  quantity: 1,
  key,
  sentAt: T0 + sentS * 1000,
  answeredAt: T0 + answeredS * 1000,
  answer: '503',
});

const check = (holds: HoldRow[], told: number[], unanswered: UnansweredHold[], nowS = 100, keys = new Map()) =>
  phantoms(
    indexed(T0 + nowS * 1000, [7], { products: [], holds, orders: [], events: [] }, keys),
    { holds: new Set(told), orderedHolds: new Set() },
    unanswered,
    { boundSeconds: 10 },
  );

describe('no phantom holds', () => {
  test('a hold a buyer was answered 201 for may keep its stock', () => {
    expect(check([hold(1, 0)], [1], [])).toEqual([]);
  });

  test('a hold nobody was told of, still held, is a phantom, reported with its id and the answers that could be its', () => {
    const [v] = check([hold(2, 15)], [], [no(0, 10), no(1, 11)]);
    expect(v).toMatch(
      /^hold 2: phantom: 1 × product 7 .* still held, no buyer was answered 201 for it; 2 request\(s\) answered 503×2/,
    );
  });

  test('given back within the bound of its buyer being told no: not a phantom; later: a phantom', () => {
    // Created at 5 s, its buyer told no at 10 s: back by 20 s is in time.
    expect(check([hold(3, 5, { s: 19, reason: 'abandoned' })], [], [no(0, 10)])).toEqual([]);
    expect(check([hold(3, 5, { s: 35, reason: 'expired' })], [], [no(0, 10)]).join()).toMatch(
      /hold 3: phantom: .* kept its stock 25 s after its buyer was told no \(bound 10 s\), released for "expired"/,
    );
  });

  test('the bound runs from the hold’s creation when it was made after its buyer heard 503', () => {
    expect(check([hold(4, 30, { s: 39, reason: 'abandoned' })], [], [no(0, 10)])).toEqual([]);
    expect(check([hold(4, 30)], [], [no(0, 10)], 45)).toHaveLength(1);
    // Not yet past the bound: nothing to say yet.
    expect(check([hold(4, 30)], [], [no(0, 10)], 35)).toEqual([]);
  });

  test('a key that made the hold ties it to that key’s requests only', () => {
    const keys = new Map([['k1', 5]]);
    const [v] = check([hold(5, 2)], [], [no(0, 10, 'k1'), no(0, 10, 'k2'), no(0, 10)], 100, keys);
    expect(v).toMatch(/key k1.*1 request\(s\) answered 503×1/);
  });

  test('a hold no request could have made (none sent before it) is reported as such', () => {
    expect(check([hold(6, 5)], [], [no(20, 30)]).join()).toMatch(/no request sent before it could have made it/);
  });
});
