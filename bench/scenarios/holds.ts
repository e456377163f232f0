/**
 * Holds while stock lasts: the service beside the Temporal floor, at each connection count, in alternating order,
 * `--rounds` times. The headline is service ÷ floor: how much of Temporal's own price the service adds.
 */
import type { Pool } from 'mysql2/promise';
import { cannon, holdRequest, warm } from '../lib/cannon';
import { checkInto, holdCount } from '../lib/checks';
import * as dbx from '../lib/db';
import { waitUntilIdle } from '../lib/procs';
import { run, type ScenarioResult } from '../lib/run-state';
import { countServerRequests } from '../lib/server-requests';
import { settings } from '../lib/settings';
import { mean, round, say, waitForFirstHold } from '../lib/util';
import type { Running } from './processes';

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
  const serverRequests = countServerRequests(run.temporalMetricsUrl);
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
  // Read as the load stops: what the server did for the round's holds (their workflows stay open, waiting on a timer).
  const serverPerHold = await serverRequests.perUnit(ids.length);
  const conservation = await checkInto(db, r, c.product, ids);
  r.extra = {
    round,
    holds_created_not_acknowledged: conservation.holds - before - ids.length,
    settled_s: settled,
    temporal_server_requests_per_hold: serverPerHold,
  };
  return r;
}

/** How both sides of a pair start holds: eagerly on their API's own hold worker, or with Update-with-Start. */
export type StartMode = 'eager' | 'update_with_start';
export const START_MODES: StartMode[] = ['eager', 'update_with_start'];
/** The default (eager) keeps the plain ids (`svc-holds-50`); the other mode's runs carry a suffix. */
export const startSuffix = (start: StartMode) => (start === 'eager' ? '' : '-uws');
const runsOf = (start: StartMode) => new RegExp(`-holds-\\d+${startSuffix(start)}$`);

/** The service and a floor started the same way (the same start mode and in-flight bound). */
export interface HoldPair {
  start: StartMode;
  service: Contender;
  floor: Contender | null;
}

/** Every connection count and pair, floor and service alternating which goes first, `--rounds` times. */
export async function holdsBesideFloor(db: Pool, pairs: HoldPair[]) {
  for (let i = 1; i <= settings.rounds; i++) {
    for (const connections of settings.connections) {
      for (const { start, service, floor } of pairs) {
        const order = floor ? (i % 2 === 1 ? [floor, service] : [service, floor]) : [service];
        for (const c of order) {
          const before = start === 'eager' ? await startsSoFar(c) : null;
          const r = await holdRun(db, c, connections, i, startSuffix(start));
          r.extra = { ...r.extra, start, ...(before && startsSince(before, await startsSoFar(c))) };
          if (start !== 'eager') r.title += ' (Update-with-Start)';
        }
      }
    }
  }
}

/** Per start mode and connection count: holds/s of each round, and the service ÷ floor (and ÷ plain) ratios. */
export function holdsSummary(results: ScenarioResult[]) {
  return START_MODES.flatMap((start) =>
    settings.connections.map((connections) => {
      const rates = (system: string, mode = start) =>
        results
          .filter((r) => r.system === system && r.connections === connections && runsOf(mode).test(r.id))
          .map((r) => r.ok_per_second);
      // The plain endpoint starts no workflow: the same runs stand beside either mode.
      const [svc, floor, plain] = [rates('service'), rates('floor'), rates('plain', 'eager')];
      return {
        start,
        connections,
        service_per_s: svc,
        floor_per_s: floor,
        plain_per_s: plain,
        service_over_floor: floor.length ? round(mean(svc) / mean(floor), 2) : null,
        service_over_plain: plain.length ? round(mean(svc) / mean(plain), 3) : null,
      };
    }),
  ).filter((row) => row.service_per_s.length > 0);
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

type Starts = Record<'eager_starts' | 'plain_starts', number>;
const startsSince = (before: Starts, after: Starts) => ({
  eager_starts: after.eager_starts - before.eager_starts,
  plain_starts: after.plain_starts - before.plain_starts,
});

/**
 * Eager and other starts so far (the server may decline an eager start; the call then waits on an update): the
 * floor's /stats, or the service's flash_sale_hold_starts_total metric.
 */
async function startsSoFar(c: Contender): Promise<Starts> {
  if (c.system === 'floor') return (await c.running.http.request('GET', '/stats')).body as Starts;
  const text = await (await fetch(`${c.running.base}/metrics`)).text();
  const count = (how: string) =>
    Number(new RegExp(`^flash_sale_hold_starts_total\\{how="${how}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { eager_starts: count('eager'), plain_starts: count('update_with_start') };
}
