import type { Sequelize } from 'sequelize';
import type { ProductCache, Reserving, UnitsCheck } from '../../src/cache/product-cache';
import type { Models } from '../../src/db/models';
import { createSoldOutGate, unitsLeft } from '../../src/sale/sold-out-gate';

/**
 * The gate's decisions on what Redis says (stubbed here), with MariaDB's committed stock in a variable, and the
 * reservations Redis lists as under way, of which MariaDB has committed `taken` units.
 */
function gateWith(seen: UnitsCheck | null, committed: number, underWay: Reserving[] = [], taken = 0) {
  const reads: number[] = [];
  let release: () => void = () => undefined;
  const answered = new Promise<void>((resolve) => (release = resolve));
  const models = {
    Product: {
      findByPk: jest.fn(async () => {
        reads.push(committed);
        await answered;
        return { available_stock: committed };
      }),
    },
  };
  const db = { query: jest.fn(async () => [{ available: committed, taken }]) };
  const cache = {
    reservingMembers: jest.fn(async () => underWay),
    checkUnits: jest.fn(async () => seen),
    releaseUnits: jest.fn(async () => undefined),
    noteStock: jest.fn(async () => undefined),
    invalidate: jest.fn(async () => undefined),
  };
  const gate = createSoldOutGate(
    { db: db as unknown as Sequelize, models: models as unknown as Models, cache: cache as unknown as ProductCache },
    { lapseMs: 30_000 },
  );
  return { gate, cache, db, reads, answer: () => release() };
}

const seen = (available: number | null, others: number, admitted: boolean): UnitsCheck => ({
  admitted,
  available,
  epoch: '3',
  others,
});

describe('the sold-out gate', () => {
  test('units left: committed less what others reserve, never below 0', () => {
    expect(unitsLeft(5, 2)).toBe(3);
    expect(unitsLeft(2, 5)).toBe(0);
  });

  test('counted and known: let through without asking the database', async () => {
    const { gate, reads } = gateWith(seen(4, 1, true), 4);
    expect(await gate.check(1, 1, 10)).toEqual({ soldOut: null, epoch: '3' });
    expect(reads).toEqual([]);
  });

  test('Redis cannot tell: let through, the reservation decides', async () => {
    const { gate } = gateWith(null, 0);
    expect(await gate.check(1, 1, 10)).toEqual({ soldOut: null });
  });

  test('every unit being reserved: refused with what no one reserves, and its count given back', async () => {
    const { gate, cache, answer } = gateWith(seen(null, 3, true), 3, [
      { holdId: 11, quantity: 2 },
      { holdId: 12, quantity: 1 },
    ]);
    answer();
    expect(await gate.check(1, 1, 10)).toEqual({ soldOut: 0 });
    expect(cache.releaseUnits).toHaveBeenCalledWith(1, 10, 1);
    // The unknown gate learned the committed figure, under the epoch it was read with.
    expect(cache.noteStock).toHaveBeenCalledWith(1, 3, '3', false);
  });

  test('a stampede on an unknown gate costs one database read, shared in arrival order', async () => {
    // Arriving together means within one clock tick: a request that came after the read began would, by design, need
    // a read of its own before it is let through, and a slow machine can cross a millisecond between these three.
    const now = jest.spyOn(Date, 'now').mockReturnValue(Date.parse('2026-12-06T00:00:00Z'));
    try {
      const { gate, reads, answer } = gateWith(seen(null, 0, true), 2);
      const order: number[] = [];
      const checks = [1, 2, 3].map((n) => gate.check(1, 1, n).then(() => order.push(n)));
      answer();
      await Promise.all(checks);
      expect(reads).toHaveLength(1);
      expect(order).toEqual([1, 2, 3]);
    } finally {
      now.mockRestore();
    }
  });

  test('a request that came after the read began waits for a read of its own before it is let through', async () => {
    let clock = Date.parse('2026-12-06T00:00:00Z');
    const now = jest.spyOn(Date, 'now').mockImplementation(() => clock);
    try {
      const { gate, reads, answer } = gateWith(seen(null, 0, true), 2);
      const first = gate.check(1, 1, 1);
      await new Promise((resolve) => setImmediate(resolve)); // the first request's read is under way
      clock += 1;
      const later = gate.check(1, 1, 2);
      answer();
      await Promise.all([first, later]);
      expect(reads).toHaveLength(2);
    } finally {
      now.mockRestore();
    }
  });

  test('a gate the database contradicts: dropped, and the request counted anyway', async () => {
    const { gate, cache, answer } = gateWith(seen(0, 0, false), 5);
    answer();
    expect(await gate.check(1, 2, 10)).toEqual({ soldOut: null, epoch: '3' });
    expect(cache.invalidate).toHaveBeenCalledWith([1]);
    expect(cache.checkUnits).toHaveBeenLastCalledWith(1, 2, 10, 'force', 30_000);
  });

  test('reservations committed but not yet noted count once: in the stock, not again as under way', async () => {
    // 3 units committed; Redis counts 3 being reserved, of which MariaDB already took 2 (their notes are late).
    const underWay = [
      { holdId: 11, quantity: 2 },
      { holdId: 12, quantity: 1 },
      { holdId: 10, quantity: 1 }, // the request itself, counted on arrival
    ];
    const { gate, answer } = gateWith(seen(null, 3, true), 3, underWay, 2);
    answer();
    expect(await gate.check(1, 2, 10)).toEqual({ soldOut: null, epoch: '3' });
    // With only 1 of them taken, 2 units are still being reserved: the third buyer's 2 are refused.
    const { gate: later, answer: answerLater } = gateWith(seen(null, 3, true), 3, underWay, 1);
    answerLater();
    expect(await later.check(1, 2, 10)).toEqual({ soldOut: 1 });
  });

  test('Redis cannot list the reservations under way: MariaDB decides', async () => {
    const { gate, cache, answer } = gateWith(seen(null, 3, true), 3);
    cache.reservingMembers.mockResolvedValue(null as unknown as Reserving[]);
    answer();
    expect(await gate.check(1, 1, 10)).toEqual({ soldOut: null, epoch: '3' });
  });

  test('those exact reads are shared: requests that come during one join the next, which begins after it', async () => {
    const { gate, db, answer } = gateWith(seen(null, 3, true), 3, [{ holdId: 11, quantity: 3 }], 3);
    answer();
    const answers = await Promise.all([1, 2, 3, 4].map((n) => gate.check(1, 1, n)));
    expect(answers).toEqual(Array(4).fill({ soldOut: null, epoch: '3' }));
    expect(db.query).toHaveBeenCalledTimes(2);
  });
});
