import type Redis from 'ioredis';
import type { Logger } from '../logger';
import type { ProductView } from '../shared/views';
import {
  epochKey,
  gateKey,
  genKey,
  productKey as key,
  reservingKey,
  reservingMember,
  reservingUnitsKey,
  writingKey,
} from './keys';
import { PRODUCT_CACHE_TTL_SECONDS, readThrough, REDIS_NOW_MS, type CheckedEntries } from './product-read';
import {
  createUnitsInFlight,
  REMOVE_MEMBER,
  type Reserving,
  type UnitsCheck,
  type UnitsCheckMode,
} from './units-in-flight';

export { PRODUCT_CACHE_TTL_SECONDS };

/**
 * How long a stock write's mark can last. A reservation sends its whole transaction, COMMIT included, in one round
 * trip, so once sent it commits on the server even if its worker dies at that instant, and then no one invalidates the
 * cached product until Temporal retries the reservation. The mark, set before the batch is sent and removed once its
 * outcome is noted, keeps readers from caching the product meanwhile; a mark whose writer died lapses after this,
 * when the batch can no longer commit: each of its statements that can wait for a lock is bounded
 * (RESERVATION_LOCK_WAIT_SECONDS: the stock row, the customer's limit row, the abandoned-hold tombstone, the
 * decrement and the hold's insert, five at most, though only the first waits long in practice).
 */
export const STOCK_WRITE_MARK_MS = 18_000;

// Marks a stock write on the product and drops its cached copy.
const BEGIN_WRITE = `${REDIS_NOW_MS}
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('INCR', KEYS[2])
redis.call('DEL', KEYS[3])
return 1`;

// After a reservation (or a refusal) read available_stock under the product's row lock: drops the cached product
// when the stock moved, and lowers the gate to that figure, but only while no invalidation (stock coming back) has
// happened since the caller read the epoch. Between stock increases the committed figures only fall, so the gate
// keeps the lowest one it is given. The reservation's units stop counting as in flight in the same step.
const NOTE_STOCK = `
if ARGV[5] ~= '' then redis.call('ZREM', KEYS[5], ARGV[5]) end
${REMOVE_MEMBER('6', '7', 'ARGV[6]', 'ARGV[7]')}
if ARGV[4] == '1' then redis.call('INCR', KEYS[2]) redis.call('DEL', KEYS[1]) end
if ARGV[3] == '0' then return 0 end
local e = redis.call('GET', KEYS[4]) or '0'
if e ~= ARGV[1] then return 0 end
local cur = tonumber(redis.call('GET', KEYS[3]) or '')
if cur and cur <= tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[3], ARGV[2], 'EX', ARGV[3])
return 1`;

export interface StockGate {
  /** The last committed available_stock the gate knows, or null (unknown: ask the database). */
  available: number | null;
  /** The gate epoch read with it; hand it to `noteStock` after the database has answered. */
  epoch: string;
}

export interface ProductCache {
  /** Read-through: the cached product, or the loader's answer (then cached). Redis trouble falls back to the loader. */
  read(id: number, load: () => Promise<ProductView | null>): Promise<ProductView | null>;
  /** Call after the transaction that changed these products has committed; it also reopens their sold-out gates. */
  invalidate(ids: number[]): Promise<void>;
  /**
   * Call right before sending a stock write that commits on the server whatever becomes of its sender: drops the
   * cached product and keeps it uncached until `endStockWrite` (or `noteStock` with this `writeId`), or for
   * STOCK_WRITE_MARK_MS if that never comes. Never throws.
   */
  beginStockWrite(id: number, writeId: string): Promise<void>;
  /** The write marked with `writeId` has an outcome (committed and invalidated, or failed). Never throws. */
  endStockWrite(id: number, writeId: string): Promise<void>;
  /** The sold-out gate of a product; null when Redis cannot tell (then the database decides). */
  readGate(id: number): Promise<StockGate | null>;
  /**
   * After a committed reservation (`changed`) or a refusal: `available` is the stock read under the row lock and
   * `epoch` what `readGate` returned before the database was asked. Never throws.
   */
  noteStock(
    id: number,
    available: number,
    epoch: string | undefined,
    changed: boolean,
    writeId?: string,
    reserving?: Reserving,
  ): Promise<void>;
  /** Units being reserved against the gate (src/cache/units-in-flight.ts); null when Redis cannot tell. */
  checkUnits(
    id: number,
    quantity: number,
    holdId: number | null,
    mode: UnitsCheckMode,
    lapseMs: number,
  ): Promise<UnitsCheck | null>;
  /** The reservation of `holdId` has an outcome: its units stop counting. Never throws. */
  releaseUnits(id: number, holdId: number, quantity: number): Promise<void>;
  /** The reservations under way on a product; null when Redis cannot tell. */
  reservingMembers(id: number): Promise<Reserving[] | null>;
}

export type { Reserving, UnitsCheck, UnitsCheckMode } from './units-in-flight';

export interface ProductCacheOptions {
  /** Lifetime of a gate entry without a newer figure; 0 turns the gate off. */
  gateTtlSeconds?: number;
}

/**
 * After Redis comes back from an outage, reads skip the cache (and the gate) this long: an entry may predate a commit
 * whose invalidation could not be sent meanwhile, by this process or another, and each process needs a moment to
 * reconnect (ioredis retries every 2 s at most) and resend its own.
 */
const DISTRUST_AFTER_OUTAGE_MS = 5_000;

async function readGateEntry(redis: Redis, log: Logger, id: number) {
  try {
    const [gate, epoch] = await redis.mget(gateKey(id), epochKey(id));
    const available = gate === null ? null : Number(gate);
    return {
      available: available !== null && Number.isSafeInteger(available) && available >= 0 ? available : null,
      epoch: epoch ?? '0',
    };
  } catch (err) {
    log.debug({ err: (err as Error).message, product_id: id }, 'sold-out gate read failed');
    return null;
  }
}

type StockNote = [
  id: number,
  available: number,
  epoch: string | undefined,
  ttl: number,
  changed: boolean,
  writeId?: string,
  reserving?: Reserving,
];

/** Writes a stock figure read under the lock into the cached entry and the gate; true when Redis did not take it. */
async function writeStockNote(
  redis: Redis,
  log: Logger,
  [id, available, epoch, ttl, changed, writeId, reserving]: StockNote,
): Promise<boolean> {
  return redis
    .eval(
      NOTE_STOCK,
      7,
      key(id),
      genKey(id),
      gateKey(id),
      epochKey(id),
      writingKey(id),
      reservingKey(id),
      reservingUnitsKey(id),
      epoch ?? '',
      available,
      ttl,
      changed ? 1 : 0,
      writeId ?? '',
      reserving ? reservingMember(reserving.holdId, reserving.quantity) : '',
      reserving?.quantity ?? 0,
    )
    .then(
      () => false,
      (err: Error) => {
        log.warn({ err: err.message, product_id: id }, 'product cache update failed');
        return true;
      },
    );
}

export function createProductCache(redis: Redis, log: Logger, options: ProductCacheOptions = {}): ProductCache {
  const gateTtl = options.gateTtlSeconds ?? 30;
  const units = createUnitsInFlight(redis, log);
  const checked: CheckedEntries = new Map();
  // Invalidations that did not reach Redis: sent again as soon as it answers, so no entry outlives a commit by more
  // than the outage itself (until then this process reads those products from the database).
  const unsent = new Set<number>();
  let wasDown = false;
  let distrustUntil = 0;
  const send = async (ids: number[]) => {
    const tx = redis.multi();
    for (const id of ids) tx.incr(genKey(id)).del(key(id)).incr(epochKey(id)).del(gateKey(id));
    const results = await tx.exec();
    const failed = results?.find(([err]) => err)?.[0];
    if (failed) throw failed;
  };
  const resend = async () => {
    if (unsent.size === 0) return;
    const ids = [...unsent];
    unsent.clear();
    await send(ids).catch(() => ids.forEach((id) => unsent.add(id)));
  };
  const distrusted = (id: number) => unsent.has(id) || Date.now() < distrustUntil;
  redis.on('close', () => {
    wasDown = true;
  });
  redis.on('ready', () => {
    if (!wasDown) return;
    wasDown = false;
    distrustUntil = Date.now() + DISTRUST_AFTER_OUTAGE_MS;
    void resend();
  });

  return {
    async read(id, load) {
      if (unsent.size) await resend();
      if (distrusted(id)) return load();
      return readThrough(redis, log, id, load, checked);
    },
    async invalidate(ids) {
      if (ids.length === 0) return;
      const all = [...new Set([...ids, ...unsent])];
      unsent.clear();
      await send(all).catch((err: Error) => {
        all.forEach((id) => unsent.add(id));
        log.warn(
          { err: err.message, product_ids: ids },
          'product cache invalidation failed; resent when Redis is back',
        );
      });
    },
    async beginStockWrite(id, writeId) {
      try {
        await redis.eval(BEGIN_WRITE, 3, writingKey(id), genKey(id), key(id), writeId, STOCK_WRITE_MARK_MS);
      } catch (err) {
        // Unmarked, a reader could cache the product before this write commits: this process stops trusting the
        // entry and drops it again once Redis answers.
        unsent.add(id);
        log.warn({ err: (err as Error).message, product_id: id }, 'could not mark a stock write in the product cache');
      }
    },
    async endStockWrite(id, writeId) {
      await redis
        .zrem(writingKey(id), writeId)
        .catch((err: Error) => log.debug({ err: err.message, product_id: id }, 'stock write mark not removed'));
    },
    async readGate(id) {
      if (gateTtl === 0 || distrusted(id)) return null;
      return readGateEntry(redis, log, id);
    },
    async noteStock(id, available, epoch, changed, writeId, reserving) {
      if (unsent.size) void resend();
      const ttl = epoch === undefined ? 0 : gateTtl;
      if (!changed && ttl === 0 && writeId === undefined && reserving === undefined) return;
      const failed = await writeStockNote(redis, log, [id, available, epoch, ttl, changed, writeId, reserving]);
      if (failed && changed) unsent.add(id);
    },
    async checkUnits(id, quantity, holdId, mode, lapseMs) {
      if (gateTtl === 0 || distrusted(id)) return null;
      return units.check(id, quantity, holdId, mode, lapseMs);
    },
    releaseUnits: (id, holdId, quantity) => units.release(id, holdId, quantity),
    reservingMembers: (id) => units.members(id),
  };
}
