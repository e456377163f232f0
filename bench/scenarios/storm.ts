/**
 * The expiry storm: many holds that all expire at one moment; how long until every one is released, and until
 * every hold workflow has closed.
 */
import type { Client } from '@temporalio/client';
import type { Pool } from 'mysql2/promise';
import { HoldGateway, updateWithStart } from '../../src/temporal/holds';
import { holdWorkflowId } from '../../src/shared/workflow-ids';
import { check } from '../lib/checks';
import * as dbx from '../lib/db';
import { meter, record, type ScenarioResult } from '../lib/run-state';
import { settings } from '../lib/settings';
import { runTemporalWork } from '../lib/temporal';
import { pool, progress, progressDone, round, say } from '../lib/util';
import { sleep } from '../../harness/wait';

/** Starts `count` holds straight through the hold gateway (the API's own call), each with its own TTL. */
export async function startHolds(
  db: Pool,
  client: Client,
  product: number,
  count: number,
  ttlFor: () => number,
  label: string,
): Promise<{ created: number; createdIds: number[]; seconds: number; failures: number }> {
  const ids: number[] = [];
  let failures = 0;
  const createdIds: number[] = [];
  const t0 = performance.now();
  const nextId = async () => {
    if (ids.length === 0) {
      const [rows] = await db.query(`SELECT NEXTVAL(hold_ids) AS id FROM seq_1_to_1000`);
      for (const r of rows as { id: number }[]) ids.push(Number(r.id));
    }
    return ids.shift()!;
  };
  const ticker = setInterval(() => {
    const s = (performance.now() - t0) / 1000;
    progress(`  ${label}: ${createdIds.length}/${count} holds started, ${Math.round(createdIds.length / s)}/s`);
  }, 500);
  // At least 15 minutes, more for big counts (this machine starts 30–90 holds/s).
  await pool(count, 100, Date.now() + Math.max(900_000, count * 60), async () => {
    const holdId = await nextId();
    const gateway = new HoldGateway(
      () => client,
      {
        taskQueue: settings.taskQueue,
        ttlSeconds: ttlFor(),
        paymentTimeoutSeconds: settings.holdTtl,
        callTimeoutMs: 30_000,
      },
      updateWithStart(() => client, settings.taskQueue, { eager: 0, update_with_start: 0 }),
    );
    try {
      await gateway.reserve({ holdId, productId: product, quantity: 1 });
      createdIds.push(holdId);
    } catch {
      failures++;
    }
  });
  clearInterval(ticker);
  progressDone();
  return { created: createdIds.length, createdIds, seconds: (performance.now() - t0) / 1000, failures };
}

/** `settings.storm` holds that all expire at one moment; how long until every one is released. */
export async function expiryStorm(
  db: Pool,
  client: Client,
  pids: Record<string, number>,
  holdRate: number,
  whileOpen: (() => Promise<void>) | null,
) {
  say(`Expiry storm: ${settings.storm} holds expiring together`);
  const product = await dbx.createProduct(db, 'bench: expiry storm', settings.storm);
  // The start rate is about the holds/s measured at 50 connections; a busy machine can make that figure low, and
  // a low guess only makes the run wait. Holds started after the moment get 1 s (the spread is reported).
  const expected = settings.storm / Math.min(Math.max(holdRate || 40, 40), 1_000);
  // Room for the open-holds measurement (scenario 6) while these holds are open, before they expire.
  const expireAt = Date.now() + (expected * 1.6 + 20 + (whileOpen ? settings.duration + 20 : 0)) * 1000;
  const made = await startHolds(
    db,
    client,
    product,
    settings.storm,
    // Fractional seconds: each hold gets exactly the time left until the common moment.
    () => Math.max(1, (expireAt - Date.now()) / 1000),
    'storm',
  );
  say(`  ${made.created} holds started in ${round(made.seconds)} s`);
  if (whileOpen) await whileOpen();
  if (Date.now() > expireAt) say('  (the holds began expiring before the open-holds measurement ended)');
  say(`  waiting for them to expire and be released`);
  const cpu = meter(pids);
  const open = await waitForReleases(db, product, expireAt);
  const { s, releasedBy } = await releaseTimes(db, product);
  const ms = (v: string) => Date.parse(`${v.replace(' ', 'T')}Z`);
  const spread = (ms(s.last_expiry) - ms(s.first_expiry)) / 1000;
  const allReleased = open === 0;
  const releaseSpan = allReleased ? (ms(s.last_release) - ms(s.first_expiry)) / 1000 : null;
  const { c } = await check(db, 'storm', product, made.createdIds);
  // The stock is back; the holds' own workflows still have their expiry timers to run in Temporal. Waiting for them
  // keeps that backlog out of the next scenario, and says how long Temporal takes to catch up.
  const stillRunning = await waitForWorkflowsClosed(client, product);
  const closedAfter = (Date.now() - ms(s.first_expiry)) / 1000;
  say(
    `  every storm workflow closed ${round(closedAfter, 1)} s after the first expiry (${stillRunning} still running)`,
  );
  // Which process ran the expiries (the timers' tasks and their releases): a sample of the storm's holds.
  const sample = made.createdIds.slice(0, 50).map((id) => [holdWorkflowId(id)]);
  const scope = await runTemporalWork(sample, pids, 'tasks by process');
  const r: ScenarioResult = {
    id: 'svc-storm',
    title: `Service: expiry storm (${made.created} holds)`,
    system: 'service',
    connections: 100,
    seconds: round(releaseSpan ?? NaN, 2),
    requests: settings.storm,
    ok: made.created - open,
    ok_per_second: releaseSpan ? Math.round((made.created - open) / releaseSpan) : 0,
    p50_ms: null,
    p99_ms: null,
    errors: made.failures,
    unexpected_status: {},
    oversold: c.oversold,
    conservation_ok: c.ok,
    cpu_seconds: cpu.read(),
    extra: {
      holds_started: made.created,
      start_seconds: round(made.seconds, 1),
      expiry_spread_s: round(spread, 2),
      all_released: allReleased,
      still_open: open,
      first_expiry_to_last_release_s: releaseSpan === null ? null : round(releaseSpan, 2),
      workflows_closed_after_s: stillRunning === 0 ? round(closedAfter, 1) : null,
      workflows_still_running: stillRunning,
      last_expiry_to_last_release_s: allReleased ? round((ms(s.last_release) - ms(s.last_expiry)) / 1000, 2) : null,
      max_release_lag_s: round(Number(s.max_lag), 2),
      released_by: releasedBy,
      sweep: { interval_s: settings.sweepInterval, grace_s: settings.sweepGrace },
      tasks_by_process_per_hold: scope?.tasks_by_process ?? null,
    },
  };
  say(`  all released ${releaseSpan === null ? 'NOT' : `${round(releaseSpan, 1)} s after the first expiry`}`);
  record(r);
}

/** Waits (five minutes past the moment at most) until no hold of the product is open; answers how many still are. */
async function waitForReleases(db: Pool, product: number, expireAt: number): Promise<number> {
  const deadline = Math.max(expireAt, Date.now()) + 300_000;
  let open = Infinity;
  while (Date.now() < deadline) {
    open = await dbx.count(db, 'SELECT COUNT(*) AS n FROM holds WHERE product_id = ? AND released_at IS NULL', [
      product,
    ]);
    const toGo = Math.round((expireAt - Date.now()) / 1000);
    progress(`  storm: ${open} holds still open${toGo > 0 ? `, expiring in ${toGo} s` : ''}`);
    if (open === 0) break;
    await sleep(250);
  }
  progressDone();
  return open;
}

/** The storm's expiries and releases, and who gave the stock back: each hold's own timer or the backup sweep. */
async function releaseTimes(db: Pool, product: number) {
  const [rows] = await db.query(
    `SELECT COUNT(*) AS n, MIN(hold_expires_at) AS first_expiry, MAX(hold_expires_at) AS last_expiry,
            MAX(released_at) AS last_release,
            MAX(TIMESTAMPDIFF(MICROSECOND, hold_expires_at, released_at)) / 1e6 AS max_lag
     FROM holds WHERE product_id = ?`,
    [product],
  );
  const [byReason] = await db.query(
    'SELECT release_reason AS reason, COUNT(*) AS n FROM holds WHERE product_id = ? GROUP BY release_reason',
    [product],
  );
  return {
    s: (rows as Record<string, string>[])[0],
    releasedBy: Object.fromEntries(
      (byReason as { reason: string | null; n: number }[]).map((r) => [r.reason ?? 'open', Number(r.n)]),
    ),
  };
}

/** Waits (half an hour at most) until the storm's hold workflows have closed; answers how many still run. */
async function waitForWorkflowsClosed(client: Client, product: number): Promise<number> {
  const running = async () =>
    (
      await client.workflow.count(
        `TaskQueue = '${settings.taskQueue}' AND ProductId = ${product} AND ExecutionStatus = 'Running'`,
      )
    ).count;
  let stillRunning = await running();
  const closeDeadline = Date.now() + 1_800_000;
  while (stillRunning > 0 && Date.now() < closeDeadline) {
    progress(`  storm: ${stillRunning} hold workflows still closing`);
    await sleep(2_000);
    stillRunning = await running();
  }
  progressDone();
  return stillRunning;
}
