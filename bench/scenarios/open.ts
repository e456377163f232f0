/** Many open holds: memory of worker and server, and hold latency while they are open. */
import type { Client } from '@temporalio/client';
import type { Pool } from 'mysql2/promise';
import { cannon, holdRequest } from '../lib/cannon';
import { check } from '../lib/checks';
import * as dbx from '../lib/db';
import { procStats } from '../lib/procs';
import { run } from '../lib/run-state';
import { settings } from '../lib/settings';
import { round, say } from '../lib/util';
import { startHolds } from './storm';

// Every hold of this run's service products still open (the hot-row and plain ones have no workflow).
const openHoldCount = (db: Pool) =>
  dbx.count(
    db,
    `SELECT COUNT(*) AS n FROM holds h JOIN products p ON p.id = h.product_id
     WHERE h.released_at IS NULL AND p.name NOT LIKE 'bench: hot row' AND p.name NOT LIKE 'bench: plain%'`,
  );

export async function openHolds(db: Pool, client: Client, pids: Record<string, number>, base: string, product: number) {
  const already = await openHoldCount(db);
  const topUp = Math.max(0, settings.openHolds - already);
  say(`Many open holds: ${already} open; starting ${topUp} more hold workflows (TTL ${settings.holdTtl} s)`);
  const before = {
    worker: procStats(pids.worker)?.rssMiB,
    temporal: run.pids.temporal ? procStats(run.pids.temporal)?.rssMiB : 0,
  };
  const openProduct = await dbx.createProduct(db, 'bench: open holds', Math.max(topUp, 1));
  const made = topUp
    ? await startHolds(db, client, openProduct, topUp, () => settings.holdTtl, 'open')
    : { created: 0, createdIds: [], seconds: 0, failures: 0 };
  const openNow = await openHoldCount(db);
  const mem = {
    worker: procStats(pids.worker)?.rssMiB,
    api: procStats(pids.api)?.rssMiB,
    temporal: run.pids.temporal ? procStats(run.pids.temporal)?.rssMiB : undefined,
  };
  say(
    `  ${made.created} started in ${round(made.seconds)} s (${openNow} open holds in all); RSS worker ${round(mem.worker ?? 0)} MiB, Temporal server ${round(mem.temporal ?? 0)} MiB`,
  );
  const r = await cannon({
    id: 'svc-holds-50-open',
    title: `Service: holds while ${openNow} holds are open`,
    system: 'service',
    ...holdRequest(base, product),
    connections: 50,
    okStatus: 201,
    pids,
  });
  const { c } = await check(db, 'open', openProduct, made.createdIds);
  r.extra = {
    open_holds: openNow,
    started_here: made.created,
    start_seconds: round(made.seconds, 1),
    start_per_second: made.seconds ? Math.round(made.created / made.seconds) : null,
    start_failures: made.failures,
    rss_mib_before: before,
    rss_mib_open: mem,
    rss_mib_after_load: { worker: procStats(pids.worker)?.rssMiB, api: procStats(pids.api)?.rssMiB },
  };
  r.oversold = c.oversold;
  r.conservation_ok = c.ok;
}
