/** bench/replicas.ts's measurement: N APIs and N workers of the compiled service on a Temporal of their own. */
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Redis from 'ioredis';
import type { Pool } from 'mysql2/promise';
import { startDevServer } from '../../harness/temporal';
import { freePort, sleep } from '../../harness/wait';
import * as dbx from './db';
import { load, warm } from './load';
import type { Proc } from '../../harness/process';
import { partScript, serviceEnv, startNode } from '../../harness/service';
import { CpuMeter, pidListeningOn, procStats, waitForHttp } from './procs';
import { httpClient, pool, progressDone, round, say, sum, waitForFirstHold } from './util';

export interface ReplicaOptions {
  databaseUrl: string;
  redisUrl: string;
  namespace: string;
  /** Logs go to <runDir>/k<N>/. */
  runDir: string;
  /** The compiled service. */
  dist: string;
  connections: number;
  duration: number;
}

export type RunResult = Awaited<ReturnType<typeof measureReplicas>>;

/** Everything one measured count started, stopped when it ends (or when the run is interrupted). */
export const procs: Proc[] = [];

export async function stopAll() {
  await Promise.all(procs.splice(0).map((p) => p.stop().catch(() => undefined)));
}

/** The service's settings for count `k` (its own task queue and schedules), every API on a port of its own. */
function replicaEnv(k: number, temporalAddress: string, o: ReplicaOptions): NodeJS.ProcessEnv {
  const settings = {
    logLevel: process.env.BENCH_LOG_LEVEL ?? 'warn',
    databaseUrl: o.databaseUrl,
    redisUrl: o.redisUrl,
    temporalAddress,
    namespace: o.namespace,
    taskQueue: `bench-replicas-${k}`,
    sweepScheduleId: `bench-replicas-sweep-${k}`,
    purgeScheduleId: `bench-replicas-purge-${k}`,
    holdTtlSeconds: 3600,
    paymentTimeoutSeconds: 3600,
    webhookSecret: 'bench-webhook-secret',
  };
  // All the load comes from one loopback address (see bench/run.ts).
  return { ...serviceEnv(settings, process.env), RATE_LIMIT_ENABLED: 'false' };
}

/** A Temporal dev server, k workers and k APIs of the compiled service; resolves once every API answers. */
async function startReplicas(k: number, o: ReplicaOptions) {
  const logDir = path.join(o.runDir, `k${k}`);
  mkdirSync(logDir, { recursive: true });
  const temporal = await startDevServer({ namespace: o.namespace, logFile: path.join(logDir, 'temporal.log') });
  procs.push(temporal.proc);
  const env = replicaEnv(k, temporal.address, o);
  const node = (name: string, part: 'api' | 'worker', extra: NodeJS.ProcessEnv = {}) =>
    startNode(name, [partScript(o.dist, part)], { ...env, ...extra }, path.join(logDir, `${name}.log`));
  const workers = Array.from({ length: k }, (_, i) => node(`worker-${i + 1}`, 'worker'));
  const ports = await Promise.all(Array.from({ length: k }, () => freePort()));
  const apis = ports.map((port, i) => node(`api-${i + 1}`, 'api', { PORT: String(port) }));
  procs.push(...workers, ...apis);
  const urls = ports.map((p) => `http://127.0.0.1:${p}`);
  await Promise.all(apis.map((a, i) => waitForHttp(`${urls[i]}/api`, a, 60)));
  return { temporal: temporal.proc, workers, apis, urls };
}

/** The first hold through each API waits for a worker's first poll; then a burst through each, then all together. */
async function warmUp(urls: string[], product: number, connections: number) {
  const hold = { product_id: product, quantity: 1 };
  for (const url of urls) {
    const http = httpClient(url, 4);
    await waitForFirstHold(http, product, 90_000);
    await pool(100, 10, Date.now() + 30_000, async () => {
      await http.request('POST', '/api/holds', hold);
    });
    http.close();
  }
  await warm(
    urls.map((u) => `${u}/api/holds`),
    'POST',
    hold,
    connections,
    3,
  );
}

/** CPU ms per hold by role (api-1 and api-2 are one role), and their total. */
function cpuPerHold(cpuSeconds: Record<string, number>, holds: number): Record<string, number> {
  const byRole: Record<string, number> = {};
  for (const [name, s] of Object.entries(cpuSeconds)) {
    const role = name.replace(/-\d+$/, '');
    byRole[role] = (byRole[role] ?? 0) + s;
  }
  const perHold = Object.fromEntries(
    Object.entries(byRole).map(([role, s]) => [role, holds ? round((s * 1000) / holds, 2) : 0]),
  );
  perHold.total = round(sum(Object.values(perHold)), 2);
  return perHold;
}

/** One count k: its own Temporal, k APIs and k workers, warmed, then measured and checked; all stopped after. */
export async function measureReplicas(k: number, o: ReplicaOptions, db: Pool, redis: Redis) {
  say(`${k} API${k > 1 ? 's' : ''} + ${k} worker${k > 1 ? 's' : ''}`);
  await dbx.resetTables(db);
  await redis.flushdb();
  const { temporal, workers, apis, urls } = await startReplicas(k, o);
  const product = await dbx.createProduct(db, `bench: replicas ${k}`, 1_000_000_000);
  await warmUp(urls, product, o.connections);
  const before = await dbx.count(db, 'SELECT COUNT(*) AS n FROM holds WHERE product_id = ?', [product]);

  const pids: Record<string, number | null> = {
    temporal: temporal.pid,
    mariadb: pidListeningOn(Number(new URL(o.databaseUrl).port || 3306)),
    redis: pidListeningOn(Number(new URL(o.redisUrl).port || 6379)),
    bench: process.pid,
  };
  for (const p of [...apis, ...workers]) pids[p.name] = p.pid;
  const loadBefore = os.loadavg().map((n) => round(n, 2));
  say(`  holds while stock lasts: ${o.connections} connections over ${k} API${k > 1 ? 's' : ''}, ${o.duration} s`);
  const cpu = new CpuMeter(pids);
  const url = urls.map((u) => `${u}/api/holds`);
  const body = { product_id: product, quantity: 1 };
  const { ok: holds, ...r } = await load({
    url,
    method: 'POST',
    body,
    connections: o.connections,
    seconds: o.duration,
    okStatus: 201,
  });
  const cpuSeconds = cpu.read();
  progressDone();

  // Requests cut off at the end of the run may still commit: give them a moment, then check.
  await sleep(2_000);
  const c = await dbx.conservation(db, product);
  const acknowledged = before + holds;
  const rss: Record<string, number> = {};
  for (const p of [...apis, ...workers, temporal]) rss[p.name] = round(procStats(p.pid)?.rssMiB ?? 0);
  const busy = sum(Object.values(cpuSeconds)) / (r.seconds * os.cpus().length);
  const result = {
    replicas: k,
    apis: k,
    workers: k,
    connections: o.connections,
    ...r,
    holds,
    holds_per_second: Math.round(holds / r.seconds),
    // CPU seconds each process used during the measured run, and CPU ms per hold (a role's processes summed).
    cpu_seconds: cpuSeconds,
    cpu_ms_per_hold: cpuPerHold(cpuSeconds, holds),
    // Share of the machine's CPU time (all cores) used by everything measured.
    machine_cpu_busy: round(busy, 3),
    rss_mib: rss,
    conservation: c,
    lost_holds: Math.max(0, acknowledged - c.holds),
    unacknowledged_holds: c.holds - acknowledged,
    load_average_before: loadBefore,
  };
  say(
    `  ${result.holds_per_second} holds/s, p50 ${result.p50_ms} ms, p99 ${result.p99_ms} ms, errors ${result.errors}, ` +
      `conservation ${c.ok ? 'ok' : 'BROKEN'}, lost ${result.lost_holds}, machine CPU ${Math.round(busy * 100)}%`,
  );
  if (Object.keys(r.unexpected_status).length) say(`  answers other than 201: ${JSON.stringify(r.unexpected_status)}`);
  await stopAll();
  return result;
}
