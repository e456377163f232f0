/**
 * Issue 7, replicas: holds/s with 1, 2 and 3 API processes and as many workers on this machine.
 *
 *   node --import tsx bench/replicas.ts [--counts 1,2,3] [--duration 20] [--connections 50]
 *
 * Needs MariaDB and Redis (as `npm start`) and the Temporal CLI (`.run/tools/bin/temporal`, installed by `npm start`,
 * `npm test` or `npm run bench`; or TEMPORAL_CLI). It compiles the service once (a rebuild of dist/ during the run
 * changes nothing), then for each count k: a fresh in-memory Temporal dev server of its own (the harness's
 * launcher), the empty tables of the database `flash_sale_bench_replicas` (REPLICAS_DATABASE_URL) and Redis database
 * 13 (REPLICAS_REDIS_URL), k workers and k APIs on one task queue, warms them, and runs the bench's load generator
 * "holds while stock lasts" (POST /api/holds on a product with more stock than can be sold) with the connections
 * spread round-robin over the k APIs. It records holds/s, p50/p99, CPU ms per hold by process, checks conservation
 * and that no acknowledged hold is missing, prints a table and writes bench/results/replicas.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Redis from 'ioredis';
import { compileService } from '../harness/service';
import * as dbx from './lib/db';
import { gitInfo, machineInfo, writeResults } from './lib/meta';
import { measureReplicas, stopAll, type RunResult } from './lib/replicas';
import { round, runMain, say, textTable } from './lib/util';

const ROOT = path.resolve(__dirname, '..');
const RUN = path.join(ROOT, '.run/bench-replicas');
const DATABASE_URL = process.env.REPLICAS_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/flash_sale_bench_replicas';
const REDIS_URL = process.env.REPLICAS_REDIS_URL ?? 'redis://127.0.0.1:6379/13';
const NAMESPACE = 'flash-sale-bench';
const USAGE = 'node --import tsx bench/replicas.ts [--counts 1,2,3] [--duration 20] [--connections 50]\n';

const { values: args } = parseArgs({
  options: {
    help: { type: 'boolean' },
    counts: { type: 'string', default: '1,2,3' },
    duration: { type: 'string', default: '20' },
    connections: { type: 'string', default: '50' },
  },
});
const positive = (name: 'duration' | 'connections') => {
  const n = Number(args[name]);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive whole number`);
  return n;
};
const DURATION = positive('duration');
const CONNECTIONS = positive('connections');
const COUNTS = args.counts.split(',').map((s) => {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1 || n > 8) throw new Error('--counts wants whole numbers from 1 to 8, e.g. 1,2,3');
  return n;
});

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
  return textTable(head, body);
}

async function main() {
  mkdirSync(RUN, { recursive: true });
  say('Compiling the service');
  const build = await compileService('bench-replicas');
  try {
    execFileSync(process.execPath, [path.join(build.outDir, 'db/cli.js'), 'migrate'], {
      env: { ...process.env, DATABASE_URL, LOG_LEVEL: 'warn' },
      stdio: 'inherit',
    });
    const db = dbx.connect(DATABASE_URL, 4);
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    const started = new Date();
    const results: RunResult[] = [];
    const options = {
      databaseUrl: DATABASE_URL,
      redisUrl: REDIS_URL,
      namespace: NAMESPACE,
      runDir: RUN,
      dist: build.outDir,
      connections: CONNECTIONS,
      duration: DURATION,
    };
    for (const k of COUNTS) results.push(await measureReplicas(k, options, db, redis));
    await db.end();
    redis.disconnect();
    await writeReport(started, results);
  } finally {
    build.remove();
  }
}

async function writeReport(started: Date, results: RunResult[]) {
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
      machine: machineInfo(),
      git: gitInfo(),
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
  const out = path.join(ROOT, 'bench/results/replicas.json');
  await writeResults(out, report);
  process.stdout.write(`\n${table(results)}\n\nWrote ${path.relative(ROOT, out)}\n`);
  if (results.some((r) => !r.conservation.ok || r.conservation.oversold > 0 || r.lost_holds > 0)) {
    say('A conservation / zero-lost-holds check failed (see above)');
    process.exitCode = 1;
  }
}

if (args.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
runMain(main, stopAll);
