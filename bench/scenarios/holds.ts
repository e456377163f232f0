/**
 * Holds while stock lasts: the service beside the Temporal floor, at each connection count, in alternating order,
 * `--rounds` times. The headline is service ÷ floor: how much of Temporal's own price the service adds.
 */
import type { Pool } from 'mysql2/promise';
import { cannon, holdRequest, warm } from '../lib/cannon';
import { check, holdCount } from '../lib/checks';
import * as dbx from '../lib/db';
import { waitUntilIdle } from '../lib/procs';
import { run, type ScenarioResult } from '../lib/run-state';
import { settings } from '../lib/settings';
import { round, say } from '../lib/util';
import { waitForFirstHold, type Running } from './processes';

export interface Contender {
  system: 'service' | 'floor';
  running: Running;
  product: number;
}

export async function contender(db: Pool, system: Contender['system'], running: Running): Promise<Contender> {
  const product = await dbx.createProduct(db, `bench: ${system}`, 1_000_000_000);
  await waitForFirstHold(running.http, product);
  await warm(`${running.base}/api/holds`, 'POST', { product_id: product, quantity: 1 });
  return { system, running, product };
}

/** One measured run of holds against one contender, with its lost-holds (by id) and conservation checks. */
export async function holdRun(db: Pool, c: Contender, connections: number, round: number, idSuffix = '') {
  const ids: number[] = [];
  const settled = await waitUntilIdle([run.pids.temporal, c.running.pids.worker]);
  const before = await holdCount(db, c.product);
  const r = await cannon({
    id: `${c.system === 'service' ? 'svc' : 'floor'}-holds-${connections}${idSuffix}`,
    title: `${c.system === 'service' ? 'Service' : 'Temporal floor'}: holds while stock lasts`,
    system: c.system,
    ...holdRequest(c.running.base, c.product),
    connections,
    okStatus: 201,
    pids: c.running.pids,
    onHold: (id) => ids.push(id),
  });
  const { c: conservation, lost } = await check(db, r.id, c.product, ids);
  Object.assign(r, {
    oversold: conservation.oversold,
    lost_holds: lost,
    conservation_ok: conservation.ok,
    extra: { round, holds_created_not_acknowledged: conservation.holds - before - ids.length, settled_s: settled },
  });
  return r;
}

/** Every connection count, floor and service alternating which goes first, `--rounds` times. */
export async function holdsBesideFloor(db: Pool, service: Contender, floor: Contender | null) {
  for (let i = 1; i <= settings.rounds; i++) {
    for (const connections of settings.connections) {
      const order = floor ? (i % 2 === 1 ? [floor, service] : [service, floor]) : [service];
      for (const c of order) await holdRun(db, c, connections, i);
    }
  }
}

/** Best and worst of the rounds per system and connection count, and the service ÷ floor ratios. */
export function holdsSummary(results: ScenarioResult[]) {
  const rates = (system: string, connections: number) =>
    results
      .filter((r) => r.system === system && r.connections === connections && /-holds-\d+$/.test(r.id))
      .map((r) => r.ok_per_second);
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
  return settings.connections.map((connections) => {
    const svc = rates('service', connections);
    const floor = rates('floor', connections);
    const plain = rates('plain', connections);
    return {
      connections,
      service_per_s: svc,
      floor_per_s: floor,
      plain_per_s: plain,
      service_over_floor: floor.length ? round(mean(svc) / mean(floor), 2) : null,
      service_over_plain: plain.length ? round(mean(svc) / mean(plain), 3) : null,
    };
  });
}

/** The service on a product split into stock shards. */
export async function shardedHolds(db: Pool, service: Running) {
  const sharded = await dbx.createProduct(db, `bench: service, ${settings.shards} stock shards`, 1_000_000_000);
  await dbx.shardProduct(db, sharded, settings.shards);
  await waitForFirstHold(service.http, sharded);
  const r = await holdRun(db, { system: 'service', running: service, product: sharded }, 50, 1, '-sharded');
  r.title = `Service: holds while stock lasts, ${settings.shards} stock shards`;
  say(`  sharded: ${r.ok_per_second}/s`);
}

/**
 * Eager workflow start against Update-with-Start, alternating, at 50 connections: on the floor (two processes
 * against one with a shared NativeConnection and `requestEagerStart`), and on the service (API + worker, against the
 * same with HOLD_EAGER_START=true: the API runs a hold worker of its own and starts holds eagerly on it).
 */
export async function eagerBesideUpdateWithStart(db: Pool, pairs: Array<{ plain: Contender; eager: Contender }>) {
  for (let i = 1; i <= settings.rounds; i++) {
    for (const { plain, eager } of pairs) {
      for (const c of i % 2 === 1 ? [plain, eager] : [eager, plain]) {
        const floor = c.system === 'floor';
        const before = c === eager ? await eagerStats(eager) : null;
        const suffix = c === eager ? '-eager' : floor ? '-two-processes' : '-update-with-start';
        const r = await holdRun(db, c, 50, i, suffix);
        // How many starts the server really ran eagerly (it may decline; the call then waits on an update).
        if (before) {
          const after = await eagerStats(eager);
          r.extra = {
            ...r.extra,
            eager_starts: after.eager_starts - before.eager_starts,
            plain_starts: after.plain_starts - before.plain_starts,
          };
        }
        const what = floor ? 'Temporal floor' : 'Service';
        r.title =
          c === eager
            ? `${what}, eager start (${floor ? 'one process' : 'HOLD_EAGER_START=true'})`
            : `${what}, Update-with-Start${floor ? ' (two processes)' : ''}`;
      }
    }
  }
}

/** Eager and other starts so far: the floor's /stats, or the service's flash_sale_hold_starts_total metric. */
async function eagerStats(c: Contender): Promise<{ eager_starts: number; plain_starts: number }> {
  if (c.system === 'floor')
    return (await c.running.http.request('GET', '/stats')).body as { eager_starts: number; plain_starts: number };
  const text = await (await fetch(`${c.running.base}/metrics`)).text();
  const count = (how: string) =>
    Number(new RegExp(`^flash_sale_hold_starts_total\\{how="${how}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { eager_starts: count('eager'), plain_starts: count('update_with_start') };
}
