/**
 * Issue 7, replicas: holds/s with 1, 2 and 3 API processes and as many workers on this machine.
 *
 *   node --import tsx bench/replicas.ts [--counts 1,2,3] [--duration 20] [--connections 50]
 *
 * Needs MariaDB and Redis (as `npm start`) and the Temporal CLI (`.run/tools/bin/temporal`, installed by `npm start`,
 * `npm test` or `npm run bench`; or TEMPORAL_CLI). It compiles the service once into .run/bench-replicas/dist (a
 * rebuild of dist/ during the run changes nothing), then for each count k: a fresh in-memory Temporal dev server of
 * its own, the empty tables of the database `flash_sale_bench_replicas` (REPLICAS_DATABASE_URL) and Redis database 13
 * (REPLICAS_REDIS_URL), k workers and k APIs on one task queue, warms them, and runs autocannon "holds while stock
 * lasts" (POST /api/holds on a product with more stock than can be sold) with the connections spread round-robin
 * over the k APIs. It records holds/s, p50/p99, CPU ms per hold by process, checks conservation and that no
 * acknowledged hold is missing, prints a table and writes bench/results/replicas.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import Redis from 'ioredis';
import { setUpNamespaceAt } from '../src/temporal/namespace';
import * as dbx from './lib/db';
import { devServerFlags } from './lib/dev-server-flags';
import { CpuMeter, freePort, pidListeningOn, procStats, startProcess, waitForHttp, type Proc } from './lib/procs';
import { httpClient, parseArgs, pool, progressDone, round, say, sleep } from './lib/util';

const ROOT = path.resolve(__dirname, '..');
const RUN = path.join(ROOT, '.run/bench-replicas');
const DIST = path.join(RUN, 'dist');
const TEMPORAL_CLI = process.env.TEMPORAL_CLI ?? path.join(ROOT, '.run/tools/bin/temporal');
const DATABASE_URL = process.env.REPLICAS_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/flash_sale_bench_replicas';
const REDIS_URL = process.env.REPLICAS_REDIS_URL ?? 'redis://127.0.0.1:6379/13';
const NAMESPACE = 'flash-sale-bench';
const SEARCH_ATTRIBUTES = [
  'HoldStatus=Keyword',
  'OrderStatus=Keyword',
  'ProductId=Int',
  'HoldExpiresAt=Datetime',
  'CustomerId=Keyword',
];

const args = parseArgs(process.argv.slice(2));
if (args.has('help')) {
  process.stdout.write('node --import tsx bench/replicas.ts [--counts 1,2,3] [--duration 20] [--connections 50]\n');
  process.exit(0);
}
const positive = (name: string, fallback: number) => {
  const n = Number(args.get(name) ?? fallback);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive whole number`);
  return n;
};
const DURATION = positive('duration', 20);
const CONNECTIONS = positive('connections', 50);
const COUNTS = (args.get('counts') ?? '1,2,3').split(',').map((s) => {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1 || n > 8) throw new Error('--counts wants whole numbers from 1 to 8, e.g. 1,2,3');
  return n;
});

interface RunResult {
  replicas: number;
  apis: number;
  workers: number;
  connections: number;
  seconds: number;
  requests: number;
  holds: number;
  holds_per_second: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
  unexpected_status: Record<string, number>;
  /** CPU seconds each process used during the measured run, and CPU ms per hold (all processes of a role summed). */
  cpu_seconds: Record<string, number>;
  cpu_ms_per_hold: Record<string, number>;
  /** Share of the machine's CPU time (all cores) used by everything measured. */
  machine_cpu_busy: number;
  rss_mib: Record<string, number>;
  conservation: dbx.Conservation;
  lost_holds: number;
  unacknowledged_holds: number;
  load_average_before: number[];
}

const procs: Proc[] = [];

async function stopAll() {
  await Promise.all(procs.splice(0).map((p) => p.stop().catch(() => undefined)));
}

function build() {
  say('Compiling the service into .run/bench-replicas/dist');
  rmSync(DIST, { recursive: true, force: true });
  execFileSync(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', DIST],
    { cwd: ROOT, stdio: 'inherit' },
  );
}

async function temporal(logDir: string): Promise<{ address: string; proc: Proc }> {
  const port = await freePort();
  const proc = startProcess(
    'temporal',
    TEMPORAL_CLI,
    [
      'server',
      'start-dev',
      '--headless',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--log-level',
      'warn',
      '--namespace',
      NAMESPACE,
      ...devServerFlags('memory'),
      ...SEARCH_ATTRIBUTES.flatMap((a) => ['--search-attribute', a]),
    ],
    process.env,
    path.join(logDir, 'temporal.log'),
  );
  procs.push(proc);
  const address = `127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      execFileSync(
        TEMPORAL_CLI,
        ['operator', 'namespace', 'describe', '--address', address, '--namespace', NAMESPACE],
        {
          stdio: 'ignore',
        },
      );
      await setUpNamespaceAt(address, NAMESPACE);
      return { address, proc };
    } catch {
      if (Date.now() > deadline) throw new Error('the Temporal dev server did not become ready within 60 s');
      await sleep(500);
    }
  }
}

function serviceEnv(k: number, temporalAddress: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NODE_ENV: 'development',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    DATABASE_URL,
    REDIS_URL,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_NAMESPACE: NAMESPACE,
    TASK_QUEUE: `bench-replicas-${k}`,
    SWEEP_SCHEDULE_ID: `bench-replicas-sweep-${k}`,
    PURGE_SCHEDULE_ID: `bench-replicas-purge-${k}`,
    HOLD_TTL_SECONDS: '3600',
    PAYMENT_TIMEOUT_SECONDS: '3600',
    WEBHOOK_SECRET: 'bench-webhook-secret',
    WORKER_METRICS_ADDRESS: '',
    // All the load comes from one loopback address (see bench/run.ts).
    RATE_LIMIT_ENABLED: 'false',
  };
}

async function measure(k: number, db: ReturnType<typeof dbx.connect>, redis: Redis): Promise<RunResult> {
  const logDir = path.join(RUN, `k${k}`);
  mkdirSync(logDir, { recursive: true });
  say(`${k} API${k > 1 ? 's' : ''} + ${k} worker${k > 1 ? 's' : ''}`);
  await dbx.resetTables(db);
  await redis.flushdb();
  const t = await temporal(logDir);
  const env = serviceEnv(k, t.address);
  const workers = Array.from({ length: k }, (_, i) =>
    startProcess(
      `worker-${i + 1}`,
      process.execPath,
      [path.join(DIST, 'worker/main.js')],
      env,
      path.join(logDir, `worker-${i + 1}.log`),
    ),
  );
  const ports = await Promise.all(Array.from({ length: k }, () => freePort()));
  const apis = ports.map((port, i) =>
    startProcess(
      `api-${i + 1}`,
      process.execPath,
      [path.join(DIST, 'api/main.js')],
      { ...env, PORT: String(port) },
      path.join(logDir, `api-${i + 1}.log`),
    ),
  );
  procs.push(...workers, ...apis);
  const urls = ports.map((p) => `http://127.0.0.1:${p}`);
  await Promise.all(apis.map((a, i) => waitForHttp(`${urls[i]}/api`, a, 60)));
  const product = await dbx.createProduct(db, `bench: replicas ${k}`, 1_000_000_000);

  // Warm-up: the first hold through each API waits for a worker's first poll; then a burst through all of them.
  for (const url of urls) {
    const http = httpClient(url, 4);
    const deadline = Date.now() + 90_000;
    for (;;) {
      const r = await http.request('POST', '/api/holds', { product_id: product, quantity: 1 });
      if (r.status === 201) break;
      if (Date.now() > deadline) throw new Error(`${url} does not create holds: ${r.status} ${JSON.stringify(r.body)}`);
      await sleep(500);
    }
    await pool(100, 10, Date.now() + 30_000, async () => {
      await http.request('POST', '/api/holds', { product_id: product, quantity: 1 });
    });
    http.close();
  }
  const warm = autocannon({
    url: urls.map((u) => `${u}/api/holds`) as unknown as string, // autocannon takes a list of URLs, its connections spread round-robin
    method: 'POST',
    body: JSON.stringify({ product_id: product, quantity: 1 }),
    headers: { 'content-type': 'application/json' },
    connections: CONNECTIONS,
    duration: 3,
  });
  await warm;
  const before = await dbx.count(db, 'SELECT COUNT(*) AS n FROM holds WHERE product_id = ?', [product]);

  const mariadbPid = pidListeningOn(Number(new URL(DATABASE_URL).port || 3306));
  const redisPid = pidListeningOn(Number(new URL(REDIS_URL).port || 6379));
  const pids: Record<string, number | null> = {
    temporal: t.proc.pid,
    mariadb: mariadbPid,
    redis: redisPid,
    bench: process.pid,
  };
  for (const p of [...apis, ...workers]) pids[p.name] = p.pid;
  const loadBefore = os.loadavg().map((n) => round(n, 2));
  say(`  holds while stock lasts: ${CONNECTIONS} connections over ${k} API${k > 1 ? 's' : ''}, ${DURATION} s`);
  const cpu = new CpuMeter(pids);
  const inst = autocannon({
    url: urls.map((u) => `${u}/api/holds`) as unknown as string,
    method: 'POST',
    body: JSON.stringify({ product_id: product, quantity: 1 }),
    headers: { 'content-type': 'application/json' },
    connections: CONNECTIONS,
    duration: DURATION,
    timeout: 30,
  });
  autocannon.track(inst as unknown as autocannon.Instance, {
    outputStream: process.stderr,
    renderProgressBar: process.stderr.isTTY,
    renderResultsTable: false,
    renderLatencyTable: false,
  });
  const r = await inst;
  const cpuSeconds = cpu.read();
  progressDone();
  const stats = (r.statusCodeStats ?? {}) as Record<string, { count?: number }>;
  const holds = stats['201']?.count ?? 0;
  const unexpected: Record<string, number> = {};
  for (const [code, s] of Object.entries(stats)) if (code !== '201') unexpected[code] = s.count ?? 0;

  // Requests cut off at the end of the run may still commit: give them a moment, then check.
  await sleep(2_000);
  const c = await dbx.conservation(db, product);
  const acknowledged = before + holds;
  const lost = Math.max(0, acknowledged - c.holds);
  const rss: Record<string, number> = {};
  for (const p of [...apis, ...workers, t.proc]) rss[p.name] = round(procStats(p.pid)?.rssMiB ?? 0);

  const byRole: Record<string, number> = {};
  for (const [name, s] of Object.entries(cpuSeconds)) {
    const role = name.replace(/-\d+$/, '');
    byRole[role] = (byRole[role] ?? 0) + s;
  }
  const perHold = Object.fromEntries(
    Object.entries(byRole).map(([role, s]) => [role, holds ? round((s * 1000) / holds, 2) : 0]),
  );
  perHold.total = round(
    Object.values(perHold).reduce((a, b) => a + b, 0),
    2,
  );
  const busy = Object.values(cpuSeconds).reduce((a, b) => a + b, 0) / (r.duration * os.cpus().length);

  const result: RunResult = {
    replicas: k,
    apis: k,
    workers: k,
    connections: CONNECTIONS,
    seconds: r.duration,
    requests: r.requests.total,
    holds,
    holds_per_second: Math.round(holds / r.duration),
    p50_ms: r.latency.p50,
    p99_ms: r.latency.p99,
    errors: r.errors + r.timeouts,
    unexpected_status: unexpected,
    cpu_seconds: cpuSeconds,
    cpu_ms_per_hold: perHold,
    machine_cpu_busy: round(busy, 3),
    rss_mib: rss,
    conservation: c,
    lost_holds: lost,
    unacknowledged_holds: c.holds - acknowledged,
    load_average_before: loadBefore,
  };
  say(
    `  ${result.holds_per_second} holds/s, p50 ${result.p50_ms} ms, p99 ${result.p99_ms} ms, ` +
      `errors ${result.errors}, conservation ${c.ok ? 'ok' : 'BROKEN'}, lost ${lost}, machine CPU ${Math.round(busy * 100)}%`,
  );
  if (Object.keys(unexpected).length) say(`  answers other than 201: ${JSON.stringify(unexpected)}`);
  await stopAll();
  return result;
}

function table(rows: RunResult[]): string {
  const roles = ['api', 'worker', 'temporal', 'mariadb', 'redis', 'bench'];
  const head = ['APIs+workers', 'holds/s', 'p50 ms', 'p99 ms', ...roles.map((r) => `${r} ms/hold`), 'CPU busy', 'lost'];
  const body = rows.map((r) => [
    `${r.apis}+${r.workers}`,
    String(r.holds_per_second),
    String(r.p50_ms),
    String(r.p99_ms),
    ...roles.map((role) => String(r.cpu_ms_per_hold[role] ?? '')),
    `${Math.round(r.machine_cpu_busy * 100)}%`,
    String(r.lost_holds),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join(' │ ');
  return [line(head), widths.map((w) => '─'.repeat(w)).join('─┼─'), ...body.map(line)].join('\n');
}

async function main() {
  mkdirSync(RUN, { recursive: true });
  build();
  execFileSync(process.execPath, [path.join(DIST, 'db/cli.js'), 'migrate'], {
    env: { ...process.env, DATABASE_URL, LOG_LEVEL: 'warn' },
    stdio: 'inherit',
  });
  const db = dbx.connect(DATABASE_URL, 4);
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const started = new Date();
  const results: RunResult[] = [];
  for (const k of COUNTS) results.push(await measure(k, db, redis));
  await db.end();
  redis.disconnect();

  let git: { commit: string; dirty: boolean } | null = null;
  try {
    git = {
      commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim(),
      dirty: execFileSync('git', ['status', '--porcelain'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '',
    };
  } catch {
    git = null;
  }
  const report = {
    meta: {
      started_at: started.toISOString(),
      finished_at: new Date().toISOString(),
      command: `node --import tsx bench/replicas.ts ${process.argv.slice(2).join(' ')}`.trim(),
      scenario:
        'holds while stock lasts (POST /api/holds, quantity 1, one product), connections round-robin over the APIs',
      duration_s: DURATION,
      connections: CONNECTIONS,
      temporal: 'a fresh in-memory dev server per count',
      machine: {
        nproc: os.cpus().length,
        cpu: os.cpus()[0]?.model ?? 'unknown',
        memory_gib: round(os.totalmem() / 2 ** 30, 1),
        node: process.version,
      },
      git,
    },
    results,
    summary: results.map((r) => ({
      replicas: r.replicas,
      holds_per_second: r.holds_per_second,
      p50_ms: r.p50_ms,
      p99_ms: r.p99_ms,
      relative_to_one: results[0] ? round(r.holds_per_second / results[0].holds_per_second, 2) : null,
    })),
  };
  const prettier = await import('prettier');
  const out = path.join(ROOT, 'bench/results/replicas.json');
  writeFileSync(out, await prettier.format(JSON.stringify(report), { parser: 'json', printWidth: 120 }));
  process.stdout.write(`\n${table(results)}\n\nWrote ${path.relative(ROOT, out)}\n`);
  const failed = results.some((r) => !r.conservation.ok || r.conservation.oversold > 0 || r.lost_holds > 0);
  if (failed) {
    say('A conservation / zero-lost-holds check failed (see above)');
    process.exitCode = 1;
  }
}

let stopping = false;
async function shutdown(code: number) {
  if (stopping) return;
  stopping = true;
  await stopAll();
  process.exit(code);
}
process.once('SIGINT', () => void shutdown(130));
process.once('SIGTERM', () => void shutdown(143));
main().then(
  () => shutdown(process.exitCode === undefined ? 0 : Number(process.exitCode)),
  async (err: Error) => {
    progressDone();
    process.stderr.write(`bench failed: ${err.stack ?? err.message}\n`);
    await shutdown(1);
  },
);
