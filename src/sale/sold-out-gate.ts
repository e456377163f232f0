import type { Reserving, UnitsCheck, UnitsCheckMode } from '../cache/product-cache';
import { stockBesideHolds } from '../db/products';
import type { SaleDeps } from './deps';

/** How long one read of a product's committed stock may confirm refusals. */
const CONFIRM_MS = 1_000;
/**
 * How old that read may be to let a request through that the gate refused: not at all (only a read still under way is
 * shared). During a sale the committed stock falls by many units a second, and a read from before this process's own
 * last reservation would let a buyer through past the units others are reserving, ahead of them.
 */
const OVERRULE_MS = 0;

/** A product's committed stock, the units its reservations under way have taken, and those reservations. */
type ExactRead = { available: number; taken: number; members: Reserving[] } | null;
/** The exact read under way on a product, and the one requests that came meanwhile wait for. */
type ExactSlot = { current: Promise<ExactRead>; next?: Promise<ExactRead> };

/** A request the gate let through (with the epoch its reservation carries), or its refusal. */
export type GateVerdict = { soldOut: null; epoch?: string } | { soldOut: number };

/** What the gate needs to know about the hold calls: how long a reservation can be in flight, at most. */
export interface GateSettings {
  lapseMs: number;
}

/** Units left to a request: the committed stock minus what others are reserving. */
export const unitsLeft = (committed: number, others: number) => Math.max(0, committed - others);

/**
 * The units left to a request once the reservations under way that MariaDB has already committed stop counting twice:
 * their units are out of the committed stock, and still in Redis's count until their note gets there. One such read
 * at a time per product; a request joins the next one to begin after it came.
 */
function createExactCount({ db, cache }: Pick<SaleDeps, 'db' | 'cache'>) {
  const exactReads = new Map<number, ExactSlot>();
  const beginExact = (productId: number) => {
    const current = readExact(productId);
    const slot: ExactSlot = { current };
    exactReads.set(productId, slot);
    void current.catch(() => undefined).then(() => exactReads.get(productId) === slot && exactReads.delete(productId));
    return current;
  };
  const exactRead = (productId: number) => {
    const slot = exactReads.get(productId);
    if (!slot) return beginExact(productId);
    return (slot.next ??= slot.current.catch(() => undefined).then(() => beginExact(productId)));
  };
  async function readExact(productId: number): Promise<ExactRead> {
    const members = await cache.reservingMembers(productId);
    if (members === null) return null;
    const stock = await stockBesideHolds(
      db,
      productId,
      members.map((m) => m.holdId),
    );
    return { ...stock, members };
  }
  async function exactLeft(productId: number, holdId: number | null) {
    const read = await exactRead(productId);
    // Redis cannot list them: MariaDB decides, as it always can.
    if (read === null) return Infinity;
    const others = read.members.reduce((sum, m) => sum + (m.holdId === holdId ? 0 : m.quantity), 0);
    return unitsLeft(read.available, others - read.taken);
  }
  return exactLeft;
}

/**
 * The sold-out gate's answer to a hold request. The gate (Redis) says when to look: the last committed stock a
 * reservation noted, minus the units other requests are reserving (src/cache/units-in-flight.ts). MariaDB says what
 * to answer, with a primary-key read of the committed stock (no lock, no Temporal), so a wrong or poisoned gate entry
 * can never refuse stock that exists and is not being reserved. A gate found too low is dropped; an unknown gate is
 * seeded from that read, so the first buyers of a sale are counted from the first request.
 */
export function createSoldOutGate(
  { db, models, cache }: Pick<SaleDeps, 'db' | 'models' | 'cache'>,
  settings: GateSettings,
) {
  const exactLeft = createExactCount({ db, cache });
  // The committed stock, read at most once per CONFIRM_MS per product and gate epoch (which moves whenever stock comes
  // back): a stampede of sold-out requests costs MariaDB a few primary-key reads a second, not one per request.
  // Concurrent requests share the read in flight.
  const confirmed = new Map<
    number,
    { epoch: string; at: number; startedAt: number; settled: boolean; available: Promise<number> }
  >();
  const read = (productId: number, epoch: string, maxAgeMs: number) => {
    const known = confirmed.get(productId);
    // A read still under way is as fresh as any new one would be: it is shared, however long the database takes.
    const fresh = known && (!known.settled || Date.now() - known.at < maxAgeMs);
    if (known && known.epoch === epoch && fresh) return known;
    if (confirmed.size >= 10_000) confirmed.clear();
    // The whole product's stock (its row plus any shards: the model's default scope sums them).
    const available = models.Product.findByPk(productId, { raw: true }).then((row) =>
      Number(row?.available_stock ?? 0),
    );
    const entry = { epoch, at: Date.now(), startedAt: Date.now(), settled: false, available };
    confirmed.set(productId, entry);
    // Its age counts from its answer: the requests that waited for it resume in their order, none reads again.
    available.then(
      () => Object.assign(entry, { settled: true, at: Date.now() }),
      () => confirmed.delete(productId),
    );
    return entry;
  };

  /** The database's word on a request the gate refused or could not judge. */
  async function confirm(productId: number, quantity: number, seen: UnitsCheck, holdId: number | null) {
    const asked = Date.now();
    const first = read(productId, seen.epoch, CONFIRM_MS);
    let committed = await first.available;
    // Letting a request through needs a read begun after it came (a read from before this process's own last
    // reservation would let it past the units others are reserving).
    if (committed - seen.others >= quantity && first.startedAt < asked) {
      committed = await read(productId, seen.epoch, OVERRULE_MS).available;
    }
    // An unknown gate learns the figure (kept only while the epoch is unchanged, and only ever lowered).
    if (seen.available === null) await cache.noteStock(productId, committed, seen.epoch, false);
    let left = unitsLeft(committed, seen.others);
    // Refused only for the units others are reserving: some of those may be in the committed figure already.
    if (left < quantity && committed >= quantity) left = await exactLeft(productId, holdId);
    if (left < quantity) {
      if (seen.admitted && holdId !== null) await cache.releaseUnits(productId, holdId, quantity);
      return { soldOut: left };
    }
    if (seen.available !== null && quantity > seen.available) {
      // The gate alone refused stock the database has: it is wrong, drop it.
      confirmed.delete(productId);
      await cache.invalidate([productId]);
    }
    if (!seen.admitted && holdId !== null)
      await cache.checkUnits(productId, quantity, holdId, 'force', settings.lapseMs);
    return { soldOut: null, epoch: seen.epoch };
  }

  /**
   * Checks a request against the gate: `holdId` null only looks (a request without a hold id yet); with a hold id the
   * request's units are counted as in flight when it is let through, until `release`.
   */
  async function check(productId: number, quantity: number, holdId: number | null): Promise<GateVerdict> {
    const mode: UnitsCheckMode = holdId === null ? 'peek' : 'claim';
    const seen = await cache.checkUnits(productId, quantity, holdId, mode, settings.lapseMs);
    // Redis cannot tell: the reservation decides, as it always can.
    if (seen === null) return { soldOut: null };
    if (seen.admitted && seen.available !== null) return { soldOut: null, epoch: seen.epoch };
    return confirm(productId, quantity, seen, holdId);
  }

  return {
    check,
    /** The reservation of `holdId` has an outcome: its units stop counting as in flight. */
    release: (productId: number, holdId: number, quantity: number) => cache.releaseUnits(productId, holdId, quantity),
  };
}

export type SoldOutGate = ReturnType<typeof createSoldOutGate>;
