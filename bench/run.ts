/**
 * `npm run bench` (scripts/bench.sh builds, prepares the database and the namespace, then runs this).
 *
 * Starts its own API and worker (compiled dist/, like scripts/start.sh), the Temporal floor (bench/floor) and a
 * plain Koa + Sequelize baseline without Temporal, against a dedicated database and Temporal namespace; runs the
 * scenarios of bench/scenarios; prints a table; writes bench/results/<out>.json (docs tables come from it:
 * `npm run bench:docs`). Flags: `npm run bench -- --help`.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import Redis from 'ioredis';
import type { Pool } from 'mysql2/promise';
import * as dbx from './lib/db';
import { failedChecks } from './lib/checks';
import { writeProfileSummaries } from './lib/cpu-profile';
import { renderPlot } from './lib/plot';
import { pidListeningOn, procStats } from './lib/procs';
import { busiest, gitInfo, machineInfo, writeResults } from './lib/meta';
import { evaluateTargets, printTable } from './lib/report';
import { run } from './lib/run-state';
import { ROOT, settings, wanted } from './lib/settings';
import { cliVersion, startPrivateTemporal, terminateLeftovers } from './lib/temporal';
import { round, runMain, say } from './lib/util';
import { contender, holdsBesideFloor, type Contender, holdsSummary, shardedHolds } from './scenarios/holds';
import { measureKnee } from './scenarios/knee';
import { measureLevers } from './scenarios/levers';
import { hotRowLimit } from './scenarios/limit';
import { openHolds } from './scenarios/open';
import { plainBaseline } from './scenarios/plain';
import { startEagerFloor, startFloor, startService } from './scenarios/processes';
import { realisticSale } from './scenarios/sale';
import { cachedReads, soldOutAnswers } from './scenarios/service-basics';
import { expiryStorm } from './scenarios/storm';

/**
 * The service beside a floor started the same way, in both start modes: the shipped service (eager) with the eager
 * floor, then a second service with HOLD_EAGER_START=false beside the two-process floor (Update-with-Start). Every
 * side has the same in-flight bound (TEMPORAL_MAX_IN_FLIGHT) and its own task queue.
 */
async function holdsBesideStartedAlike(db: Pool, service: Contender) {
  const [eagerFloor, floor] = [await startEagerFloor(), await startFloor()];
  const uws = await startService({
    label: 'service update-with-start',
    env: { HOLD_EAGER_START: 'false', TASK_QUEUE: `${settings.taskQueue}-uws` },
  });
  await holdsBesideFloor(db, [
    { start: 'eager', service, floor: await contender(db, 'floor', eagerFloor) },
    {
      start: 'update_with_start',
      service: await contender(db, 'service', uws),
      floor: await contender(db, 'floor', floor),
    },
  ]);
  await Promise.all([eagerFloor, floor, uws].map((p) => p.stop()));
}

/** What the run measured on: its settings, the machine, the commit and the Temporal server. */
async function runMeta(db: Pool, redis: Redis, started: Date) {
  return {
    run_id: settings.runId,
    started_at: started.toISOString(),
    quick: settings.quick,
    flags: settings.argv,
    scenarios: settings.scenarios,
    settings: {
      duration_s: settings.duration,
      rounds: settings.rounds,
      connections: settings.connections,
      open_holds: settings.openHolds,
      storm: settings.storm,
      buyers: settings.buyers,
      units: settings.units,
    },
    machine: {
      ...machineInfo(),
      mariadb: await dbx.serverVersion(db),
      redis: /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? 'unknown',
      temporal_cli: cliVersion(),
      load_average_at_start: os.loadavg().map((n) => round(n, 2)),
      busiest_other_processes_at_start: busiest(),
    },
    git: gitInfo(),
    temporal: {
      address: run.temporalAddress,
      server: settings.ownTemporal ? `private dev server (${settings.ownTemporal})` : 'shared dev server',
      namespace: settings.namespace,
      task_queue: settings.taskQueue,
      server_pid: run.pids.temporal,
    },
    database: settings.databaseUrl.replace(/\/\/[^@]*@/, '//'),
    service_dist: path.relative(ROOT, settings.serviceDist) || '.',
  };
}

/** The scenarios that run against the service (one API and one worker started for all of them). */
async function serviceScenarios(db: Pool) {
  const service = await startService();
  const svc = await contender(db, 'service', service);
  if (wanted('reads')) await cachedReads({ system: 'service', ...service }, svc.product);
  if (wanted('holds')) {
    await holdsBesideStartedAlike(db, svc);
    if (settings.shards > 1) await shardedHolds(db, service);
  }
  if (wanted('soldout')) await soldOutAnswers(db, { system: 'service', ...service });
  if (wanted('sale')) {
    await realisticSale(db, service);
    // The sale floor: the same sale on the cheapest Temporal work that carries a unit's whole life, started alike.
    const saleFloor = await startEagerFloor({ label: 'sale floor', env: { FLOOR_SOLD_OUT_READ: 'true' } });
    await realisticSale(db, saleFloor, 'floor');
    await saleFloor.stop();
  }

  const needsClient = wanted('storm') || wanted('open');
  const client = needsClient
    ? new Client({
        connection: await Connection.connect({ address: run.temporalAddress }),
        namespace: settings.namespace,
      })
    : null;
  // The open-holds measurement runs while the storm's holds are open when they already make up most of them.
  const openDuringStorm = wanted('open') && wanted('storm') && settings.openHolds <= settings.storm + 5_000;
  const measureOpen = () => openHolds(db, client!, service.pids, service.base, svc.product);
  const holdRate = run.results.find((r) => r.id === 'svc-holds-50')?.ok_per_second ?? 0;
  if (wanted('storm')) await expiryStorm(db, client!, service.pids, holdRate, openDuringStorm ? measureOpen : null);
  if (wanted('open') && !openDuringStorm) await measureOpen();

  const rss = { api: procStats(service.pids.api)?.rssMiB, worker: procStats(service.pids.worker)?.rssMiB };
  say(`Stopping the service (RSS api ${round(rss.api ?? 0)} MiB, worker ${round(rss.worker ?? 0)} MiB)`);
  await service.stop();
  if (client) await client.connection.close();
  if (!settings.ownTemporal) terminateLeftovers();
}

const profileDir = path.join(settings.logDir, 'profiles');

async function main() {
  mkdirSync(settings.results, { recursive: true });
  mkdirSync(settings.logDir, { recursive: true });
  // A profiled run starts from an empty profile folder, so its summaries are its own.
  if (settings.profile) rmSync(profileDir, { recursive: true, force: true });
  if (settings.ownTemporal) {
    const own = await startPrivateTemporal(settings.ownTemporal);
    run.temporalAddress = own.address;
    run.temporalMetricsUrl = own.metricsUrl ?? null;
    run.pids.temporal = own.proc.pid;
  }
  const db = dbx.connect(settings.databaseUrl, 8);
  const redis = new Redis(settings.redisUrl, { maxRetriesPerRequest: 1 });
  await redis.flushdb();
  await dbx.resetTables(db);
  run.pids.temporal ??= pidListeningOn(Number(run.temporalAddress.split(':')[1]));
  run.pids.mariadb = pidListeningOn(Number(new URL(settings.databaseUrl).port || 3306));
  run.pids.redis = pidListeningOn(Number(new URL(settings.redisUrl).port || 6379));

  const started = new Date();
  const meta = await runMeta(db, redis, started);
  say(
    `Machine: ${meta.machine.nproc} cores, ${meta.machine.memory_gib} GiB, load ${meta.machine.load_average_at_start.join(' ')}`,
  );

  const limit = wanted('limit') ? await hotRowLimit(db) : 0;
  if (wanted('plain')) await plainBaseline(db);
  if (wanted('levers')) await measureLevers(db);
  if (wanted('knee')) await measureKnee(db);
  const wantsService = (['reads', 'soldout', 'holds', 'sale', 'storm', 'open'] as const).some(wanted);
  if (wantsService) await serviceScenarios(db);

  for (const r of run.results) {
    if (limit > 0 && r.system !== 'mariadb' && /holds/.test(r.id))
      r.fraction_of_hot_row = round(r.ok_per_second / limit, 3);
  }
  const besideFloor = holdsSummary(run.results);
  const targets = evaluateTargets(besideFloor);
  const report = {
    meta: {
      ...meta,
      finished_at: new Date().toISOString(),
      duration_s: Math.round((Date.now() - started.getTime()) / 1000),
      load_average_at_end: os.loadavg().map((n) => round(n, 2)),
    },
    physical_limit_per_second: limit || null,
    holds_beside_floor: besideFloor,
    results: run.results,
    checks: run.checks,
    targets,
  };
  printTable(report.results, limit, targets, report.holds_beside_floor);
  const jsonFile = path.join(settings.results, `${settings.out}.json`);
  await writeResults(jsonFile, report);
  if (settings.out === 'latest') writeFileSync(path.join(ROOT, 'docs/performance.png'), renderPlot(report));
  say(`Wrote ${path.relative(ROOT, jsonFile)} (${report.meta.duration_s} s)`);
  await db.end();
  redis.disconnect();
  if (settings.profile) await writeProfiles(report.meta.git);
  if (failedChecks().length) {
    say('A zero-oversell / zero-lost-holds check failed (see above)');
    process.exitCode = 1;
  }
}

/** Profiles are written when their processes exit: after every process of the run has stopped. */
async function writeProfiles(git: unknown) {
  await Promise.all(run.procs.map((p) => p.stop().catch(() => undefined)));
  const file = path.join(settings.results, `${settings.out}-profiles.txt`);
  const header =
    `# CPU profiles (self time) of the processes of bench/results/${settings.out}.json, ${JSON.stringify(git)}\n` +
    '# written by the run itself (bench/lib/cpu-profile.ts); profiling slows each process, so its figures are not comparable with an unprofiled run';
  writeProfileSummaries(profileDir, file, header);
  say(`Wrote ${path.relative(ROOT, file)}`);
}

if (settings.help) {
  process.stdout.write(`${settings.usage}\n`);
  process.exit(0);
}
runMain(main, async (code) => {
  await Promise.all(run.procs.map((p) => p.stop().catch(() => undefined)));
  // Interrupted mid-run: the run's workflows and sweep schedule would otherwise stay behind.
  if (code !== 0 && run.serviceStarted && !settings.ownTemporal) terminateLeftovers();
});
