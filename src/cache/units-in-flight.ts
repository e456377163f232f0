import type Redis from 'ioredis';
import type { Logger } from '../logger';
import { epochKey, gateKey, reservingKey, reservingMember, reservingUnitsKey } from './keys';

/**
 * Units being reserved, per product, shared by every API process: a hold's units are counted from the moment its
 * request passes the sold-out gate until its reservation has an outcome. The gate answers "sold out" at once when the
 * committed stock it knows, minus the units others are reserving, is below a request: such a buyer would only wait
 * behind those reservations to be refused. MariaDB still decides every hold; this only decides who need not wait.
 */

// Drops the members whose reservation outlived its lapse (an API process died with it) and their units. KEYS[1] the
// set, KEYS[2] the units.
const PURGE_LAPSED = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lapsed = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
for _, m in ipairs(lapsed) do redis.call('DECRBY', KEYS[2], tonumber(string.match(m, ':(%d+)$'))) end
if #lapsed > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now) end
if redis.call('ZCARD', KEYS[1]) == 0 then redis.call('DEL', KEYS[2]) end`;

/**
 * Removes a member and its units (a no-op when it is gone already). Also part of the stock note, so a committed
 * reservation leaves the count in the same step as its units leave the gate's figure: never counted twice.
 */
export const REMOVE_MEMBER = (set: string, units: string, member: string, quantity: string) =>
  `if ${member} ~= '' and redis.call('ZREM', KEYS[${set}], ${member}) == 1 then
  if redis.call('DECRBY', KEYS[${units}], ${quantity}) <= 0 then redis.call('DEL', KEYS[${units}]) end
end`;

// KEYS: set, units, gate, gate epoch. ARGV: member ('' to only look), quantity, lapse ms, mode (claim|peek|force).
// The member's own units never count against it (a recheck after a wait). Refused, a member that was counted leaves.
const CHECK_UNITS = `${PURGE_LAPSED}
local q = tonumber(ARGV[2])
local counted = ARGV[1] ~= '' and redis.call('ZSCORE', KEYS[1], ARGV[1])
local others = tonumber(redis.call('GET', KEYS[2]) or '0')
if counted then others = others - q end
local gate = redis.call('GET', KEYS[3]) or ''
local epoch = redis.call('GET', KEYS[4]) or '0'
local g = tonumber(gate)
if ARGV[4] ~= 'force' and g and g - others < q then
  if counted then ${REMOVE_MEMBER('1', '2', 'ARGV[1]', 'ARGV[2]').replace(/\n/g, ' ')} end
  return {0, gate, epoch, others}
end
if ARGV[4] ~= 'peek' and ARGV[1] ~= '' and not counted then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
  redis.call('INCRBY', KEYS[2], q)
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
end
return {1, gate, epoch, others}`;

const RELEASE = REMOVE_MEMBER('1', '2', 'ARGV[1]', 'ARGV[2]');

// The members still under way. KEYS[1] the set, KEYS[2] the units.
const LIST_MEMBERS = `${PURGE_LAPSED}
return redis.call('ZRANGE', KEYS[1], 0, -1)`;

/** A reservation under way: the hold and its units. */
export interface Reserving {
  holdId: number;
  quantity: number;
}

/** What the gate and the count said about a request. */
export interface UnitsCheck {
  /** Counted (or, for a look, it would be): the gate's figure minus the others' units covers it, or is unknown. */
  admitted: boolean;
  /** The last committed available_stock the gate knows, or null (unknown: ask the database). */
  available: number | null;
  /** The gate epoch read with it (a reservation hands it to the stock note). */
  epoch: string;
  /** Units other requests are reserving. */
  others: number;
}

/**
 * `claim`: counts hold `holdId`'s units unless the gate shows them taken; `peek`: only looks (no hold id yet);
 * `force`: counts them whatever the gate says (the database said the stock is there).
 */
export type UnitsCheckMode = 'claim' | 'peek' | 'force';

/** The scripts as commands of this connection: sent by their SHA (EVALSHA), not their text, on every request. */
interface UnitsCommands {
  checkUnits(...args: (string | number)[]): Promise<[number, string, string, number]>;
  releaseUnits(...args: (string | number)[]): Promise<unknown>;
  reservingMembers(...args: string[]): Promise<string[]>;
}

export function createUnitsInFlight(redis: Redis, log: Logger) {
  redis.defineCommand('checkUnits', { numberOfKeys: 4, lua: CHECK_UNITS });
  redis.defineCommand('releaseUnits', { numberOfKeys: 2, lua: RELEASE });
  redis.defineCommand('reservingMembers', { numberOfKeys: 2, lua: LIST_MEMBERS });
  const commands = redis as unknown as UnitsCommands;
  return {
    async check(
      id: number,
      quantity: number,
      holdId: number | null,
      mode: UnitsCheckMode,
      lapseMs: number,
    ): Promise<UnitsCheck | null> {
      const member = holdId === null ? '' : reservingMember(holdId, quantity);
      try {
        const [admitted, gate, epoch, others] = await commands.checkUnits(
          reservingKey(id),
          reservingUnitsKey(id),
          gateKey(id),
          epochKey(id),
          member,
          quantity,
          lapseMs,
          mode,
        );
        const available = gate === '' ? null : Number(gate);
        return {
          admitted: admitted === 1,
          available: available !== null && Number.isSafeInteger(available) && available >= 0 ? available : null,
          epoch,
          others: Math.max(0, Number(others)),
        };
      } catch (err) {
        log.debug({ err: (err as Error).message, product_id: id }, 'units in flight not checked');
        return null;
      }
    },

    /** The reservations under way on a product (lapsed ones dropped), or null when Redis cannot tell. */
    async members(id: number): Promise<Reserving[] | null> {
      try {
        const members = await commands.reservingMembers(reservingKey(id), reservingUnitsKey(id));
        return members.map((m) => {
          const [holdId, quantity] = m.split(':').map(Number);
          return { holdId, quantity };
        });
      } catch (err) {
        log.debug({ err: (err as Error).message, product_id: id }, 'units in flight not listed');
        return null;
      }
    },

    /** The reservation of `holdId` has an outcome: its units no longer count. Never throws. */
    async release(id: number, holdId: number, quantity: number): Promise<void> {
      await commands
        .releaseUnits(reservingKey(id), reservingUnitsKey(id), reservingMember(holdId, quantity), quantity)
        .catch((err: Error) => log.debug({ err: err.message, product_id: id, hold_id: holdId }, 'units not released'));
    },
  };
}

export type UnitsInFlight = ReturnType<typeof createUnitsInFlight>;
