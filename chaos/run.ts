import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { createConnection } from 'mysql2/promise';
import { Acks, InvariantChecker } from './checker';
import { Ctx, type Scenario, type ScenarioResult } from './scenario';
import { scenarios } from './scenarios';
import { RUN_DIR, SETTINGS, Stack } from './stack';
import { log } from './util';

/**
 * `npm run chaos`: every fault scenario against the service running as separate processes, with the invariant
 * checker sampling throughout. Flags: --soak=<seconds> (default 75; --soak=300 is the CI-sized soak, --soak=600
 * the long one), --only=<name,...>, --list.
 */
function parseArgs(argv: string[]) {
  const args = { soakSeconds: Number(process.env.CHAOS_SOAK_SECONDS ?? 75), only: [] as string[], list: false };
  for (const a of argv) {
    const [k, v] = a.replace(/^--/, '').split('=');
    if (k === 'soak') args.soakSeconds = Number(v);
    else if (k === 'soak-5m' || k === 'ci') args.soakSeconds = 300;
    else if (k === 'soak-10m' || k === 'long') args.soakSeconds = 600;
    else if (k === 'only') args.only = v.split(',').filter(Boolean);
    else if (k === 'list') args.list = true;
    else throw new Error(`unknown flag ${a} (flags: --soak=<s>, --soak-5m, --soak-10m, --only=<a,b>, --list)`);
  }
  if (!Number.isFinite(args.soakSeconds) || args.soakSeconds < 10) throw new Error('--soak wants at least 10 seconds');
  return args;
}

async function resetStores(stack: Stack): Promise<void> {
  const conn = await createConnection({ host: SETTINGS.mariadb.host, port: SETTINGS.mariadb.port, user: 'root' });
  try {
    // Only the chaos suite's own database: the shared server keeps everyone else's.
    await conn.query(`DROP DATABASE IF EXISTS \`${SETTINGS.database}\``);
    await conn.query(`CREATE DATABASE \`${SETTINGS.database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await conn.end();
  }
  const redis = new Redis(stack.directRedisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    await redis.flushdb(); // the suite's own Redis database index only
  } finally {
    redis.disconnect();
  }
}

/** Back to one worker, w1, with no fault points armed. */
async function resetWorkers(stack: Stack): Promise<void> {
  for (const [name, w] of [...stack.workers]) {
    await w.stop();
    stack.workers.delete(name);
  }
  await stack.startWorker('w1');
}

function table(results: ScenarioResult[]): string {
  const head = ['scenario', 'faults', 'requests', 'checks', 'violations', 'seconds'];
  const rows = results.map((r) =>
    [r.name, r.faults, r.requests, r.checks, r.violations.length, r.seconds.toFixed(0)].map(String),
  );
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function markdown(results: ScenarioResult[], meta: Record<string, string>): string {
  const lines = [
    `| scenario | what it does | faults | requests | checks | violations |`,
    `|---|---|---:|---:|---:|---:|`,
    ...results.map(
      (r) => `| \`${r.name}\` | ${r.title} | ${r.faults} | ${r.requests} | ${r.checks} | ${r.violations.length} |`,
    ),
  ];
  const total = results.reduce(
    (t, r) => ({ f: t.f + r.faults, q: t.q + r.requests, c: t.c + r.checks, v: t.v + r.violations.length }),
    { f: 0, q: 0, c: 0, v: 0 },
  );
  lines.push(`| **total** | | **${total.f}** | **${total.q}** | **${total.c}** | **${total.v}** |`);
  return `${lines.join('\n')}\n\n${Object.entries(meta)
    .map(([k, v]) => `${k}: ${v}`)
    .join(' · ')}\n`;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const all = scenarios({ soakSeconds: args.soakSeconds });
  if (args.list) {
    for (const s of all) process.stdout.write(`${s.name.padEnd(28)} ${s.title}\n`);
    return;
  }
  const unknown = args.only.filter((n) => !all.some((s) => s.name === n));
  if (unknown.length) throw new Error(`unknown scenario(s): ${unknown.join(', ')} (see --list)`);
  const chosen: Scenario[] = args.only.length ? all.filter((s) => args.only.includes(s.name)) : all;

  const started = Date.now();
  mkdirSync(RUN_DIR, { recursive: true });
  const stack = new Stack();
  const acks = new Acks();
  const gaps = new Map<number, number>();
  log('starting the stack: fault proxies, a Temporal dev server of our own, the worker and the API');
  await resetStores(stack);
  await stack.start();
  log(
    `stack up: API ${stack.baseUrl}, Temporal ${stack.temporalAddress}, MariaDB proxy :${stack.ports.dbProxy}, Redis proxy :${stack.ports.redisProxy}`,
  );
  const checker = new InvariantChecker({
    url: stack.directDbUrl,
    gaps,
    acks,
    paymentTimeoutSeconds: SETTINGS.paymentTimeoutSeconds,
    sweepGraceSeconds: SETTINGS.sweepGraceSeconds,
  });

  const results: ScenarioResult[] = [];
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    log('interrupted: stopping after this scenario');
  };
  process.once('SIGINT', onSignal);
  try {
    for (const s of chosen) {
      if (interrupted) break;
      log(`scenario ${s.name}: ${s.title}`);
      const ctx = new Ctx(stack, checker, acks, gaps);
      const t0 = Date.now();
      let crashed = false;
      try {
        await s.run(ctx);
      } catch (err) {
        ctx.failures.push(`scenario crashed: ${(err as Error).stack ?? err}`);
        log(`  scenario crashed: ${(err as Error).message}`);
        crashed = true;
      } finally {
        await ctx.stopSampling();
        // Whatever happened, the next scenario starts healed.
        stack.db.setMode('pass');
        stack.redis.setMode('pass');
        for (const w of stack.workers.values()) w.signal('SIGCONT');
        if (!stack.temporal?.alive) await stack.startTemporal();
        await stack
          .superviseWorkers()
          .catch((err: Error) => ctx.failures.push(`could not restart a worker: ${err.message}`));
        // A worker left armed with fault points would fire them in the next scenario.
        if (stack.workers.size !== 1 || stack.worker('w1')?.armed) await resetWorkers(stack);
        if (crashed)
          await ctx.settle().catch((err: Error) => ctx.failures.push(`settling after the crash: ${err.message}`));
      }
      const r = ctx.result(s.name, s.title, (Date.now() - t0) / 1000);
      results.push(r);
      log(
        `  -> faults ${r.faults}, requests ${r.requests} (${r.statuses}), checks ${r.checks}, violations ${r.violations.length}`,
      );
      for (const v of r.violations.slice(0, 20)) log(`     ${v}`);
    }
  } finally {
    await Ctx.closeTemporalClient();
    await checker.close();
    await stack.stop();
  }

  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  process.stdout.write(`\n${table(results)}\n\n`);
  const violations = results.reduce((n, r) => n + r.violations.length, 0);
  process.stdout.write(`${results.length} scenarios in ${minutes} min, ${violations} violations\n`);
  const meta = {
    date: new Date().toISOString().slice(0, 10),
    duration: `${minutes} min`,
    soak: `${args.soakSeconds} s`,
    machine: `${cpus().length} cores`,
  };
  writeFileSync(path.join(RUN_DIR, 'results.md'), markdown(results, meta));
  writeFileSync(path.join(RUN_DIR, 'results.json'), JSON.stringify({ meta, results }, null, 2));
  process.stdout.write(`results: .run/chaos/results.md, .run/chaos/results.json; logs: .run/chaos/logs/\n`);
  process.exitCode = violations === 0 && results.length === chosen.length ? 0 : 1;
}

main().catch((err: Error) => {
  process.stderr.write(`chaos: ${err.stack ?? err.message}\n`);
  process.exit(2);
});
