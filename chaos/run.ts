import { mkdirSync } from 'node:fs';
import { Acks, InvariantChecker } from '../harness/checker/checker';
import { LiveChecks } from '../harness/checker/live';
import { buildMutants, runMutants } from './mutants/runner';
import { MUTANTS } from './mutants';
import {
  buildResults,
  codeVersion,
  type CodeVersion,
  mutantTable,
  table,
  writeMutantResults,
  writeResults,
  type MutantResult,
} from './results';
import { SETTLED_GRACE_SECONDS } from './checks';
import { Ctx, PHANTOM_BOUND_SECONDS, type Scenario, type ScenarioResult } from './scenario';
import { SMOKE, scenarios } from './scenarios';
import { RUN_DIR, SETTINGS } from './settings';
import { Stack } from './stack';
import { log } from './util';

/**
 * `npm run chaos`: every fault scenario against the service running as separate processes (with a MariaDB, a Redis and
 * a Temporal dev server of its own), under a background load of ≥200 requests in flight from ≥50 clients, with the
 * invariant checker and the live checks sampling throughout. Writes chaos/results/latest.json (full run),
 * chaos/results/smoke.json (--smoke) or .run/chaos/results.json (--only).
 * Flags: --smoke (the CI subset, under 5 minutes), --soak=<seconds> (default 75), --only=<name,...>, --list,
 * --mutants[=<name,...>] (only the planted mutants, chaos/mutants: each must be caught; the full run ends with them).
 */
function parseArgs(argv: string[]) {
  const args = {
    soakSeconds: Number(process.env.CHAOS_SOAK_SECONDS ?? 75),
    only: [] as string[],
    list: false,
    smoke: false,
    mutants: false,
    /** --mutants=<name,...>: only these (chaos/mutants/index.ts). */
    mutantNames: [] as string[],
  };
  for (const a of argv) {
    const [k, v] = a.replace(/^--/, '').split('=');
    if (k === 'soak') args.soakSeconds = Number(v);
    else if (k === 'soak-5m' || k === 'ci') args.soakSeconds = 300;
    else if (k === 'soak-10m' || k === 'long') args.soakSeconds = 600;
    else if (k === 'only') args.only = v.split(',').filter(Boolean);
    else if (k === 'smoke') args.smoke = true;
    else if (k === 'list') args.list = true;
    else if (k === 'mutants') {
      args.mutants = true;
      args.mutantNames = (v ?? '').split(',').filter(Boolean);
    } else throw new Error(`unknown flag ${a} (flags: --smoke, --soak=<s>, --only=<a,b>, --list, --mutants)`);
  }
  if (!Number.isFinite(args.soakSeconds) || args.soakSeconds < 10) throw new Error('--soak wants at least 10 seconds');
  return args;
}

/** Lateness: a hold may stay unreleased this long past expiry while the system is up (sweep interval + grace). */
export const LATENESS = {
  boundSeconds: SETTINGS.sweepIntervalSeconds + SETTINGS.sweepGraceSeconds,
  /** A busy 2-core machine delays timers, activities and the sweep's passes: explicit slack. */
  slackSeconds: 15,
};
/** A product read may show more stock than the database for at most this long (a lost invalidation shows 60 s). */
export const STALE_BOUND_MS = 6_000;

/** Whatever happened, the next scenario starts healed. */
async function heal(stack: Stack, ctx: Ctx): Promise<void> {
  stack.db.setMode('pass');
  stack.redis.setMode('pass');
  if (!stack.mariadb.alive) await stack.mariadb.start();
  if (!stack.redisServer.alive) await stack.redisServer.start();
  for (const w of stack.workers.values()) w.signal('SIGCONT');
  if (!stack.temporal?.alive) await stack.startTemporal();
  if (!stack.api?.alive) await stack.startApi();
  if (!stack.loadApi?.alive) await stack.startLoadApi();
  await stack.superviseWorkers().catch((err: Error) => ctx.failures.push(`could not restart a worker: ${err.message}`));
  // A worker left armed with fault points would fire them in the next scenario.
  if (stack.workers.size !== 1 || stack.worker('w1')?.armed) {
    await stack.dropWorkers();
    await stack.startWorker('w1');
  }
  // A rolling upgrade's processes go back to today's build: the next scenario tests what ships.
  await stack.backToToday();
}

async function runScenario(stack: Stack, checker: InvariantChecker, acks: Acks, s: Scenario): Promise<ScenarioResult> {
  const firstProduct = acks.stock.size;
  const scope = () => [...acks.stock.keys()].slice(firstProduct);
  checker.scope(scope);
  let ctx: Ctx | null = null;
  const live = new LiveChecks({
    dbUrl: stack.directDbUrl,
    temporal: async () => stack.temporalClient(),
    readProduct: async (id) => {
      const a = await ctx!.api.product(id);
      return a.status === 200 ? Number(a.body.available_stock) : null;
    },
    products: () => (ctx?.load ? scope() : []),
    exempt: new Set(),
    staleBoundMs: STALE_BOUND_MS,
    downtime: stack.outages,
  });
  ctx = new Ctx(stack, checker, acks, live);
  // Outside the scenario's clock (a build takes a while on a busy machine); a failure fails the scenario.
  let unprepared: unknown = null;
  const t = Date.now();
  await s.prepare?.().then(
    () => log(`  prepared in ${((Date.now() - t) / 1000).toFixed(1)} s`),
    (err: unknown) => (unprepared = err),
  );
  const t0 = Date.now();
  const crashesBefore = stack.crashes.length;
  let crashed = false;
  try {
    if (unprepared) throw unprepared;
    await stack.holdsInApi(s.holdsOn !== 'worker');
    if (s.settings) await stack.withSettings(s.settings);
    ctx.phantomBoundSeconds = s.phantomBoundSeconds ?? PHANTOM_BOUND_SECONDS;
    if (s.load !== false) {
      const background = [...(await ctx.api.createProducts([3_000, 3_000, 25]))];
      await ctx.startLoad(background);
      ctx.checks.startSampling();
    }
    await s.run(ctx);
  } catch (err) {
    ctx.failures.push(`scenario crashed: ${(err as Error).stack ?? err}`);
    log(`  scenario crashed: ${(err as Error).message}`);
    crashed = true;
  } finally {
    await ctx.load?.stop();
    await ctx.checks.stopSampling();
    await heal(stack, ctx);
    if (s.settings) await stack.withSettings({});
    if (crashed)
      await ctx.settle().catch((err: Error) => ctx.failures.push(`settling after the crash: ${err.message}`));
    await live.close();
  }
  for (const c of stack.crashes.slice(crashesBefore)) {
    ctx.note(
      `worker ${c.worker} crashed on its own (${c.how}) at +${((c.at - t0) / 1000).toFixed(1)} s and was restarted; see its log`,
    );
  }
  return ctx.result(s.name, s.title, (Date.now() - t0) / 1000, s.load !== false);
}

/** The scenarios to run: --only's, the smoke's, or all (none with --mutants: only the mutants run). */
function chooseScenarios(args: ReturnType<typeof parseArgs>, all: Scenario[]): Scenario[] {
  const unknown = args.only.filter((n) => !all.some((s) => s.name === n));
  if (unknown.length) throw new Error(`unknown scenario(s): ${unknown.join(', ')} (see --list)`);
  if (args.mutants) return [];
  if (args.only.length) return all.filter((s) => args.only.includes(s.name));
  return args.smoke ? SMOKE.map((n) => all.find((s) => s.name === n)!) : all;
}

/** Last, everything the run made, settled, in one snapshot: nothing any scenario left behind is wrong. */
async function finalAudit(checker: InvariantChecker): Promise<ScenarioResult> {
  checker.scope(undefined);
  const t = Date.now();
  const final = await checker.check({ graceSeconds: SETTLED_GRACE_SECONDS + LATENESS.slackSeconds });
  return {
    name: 'final-audit',
    title: 'Every product, hold, order and payment of the run, settled, in one snapshot',
    faults: 0,
    requests: 0,
    checks: 1,
    violations: final.violations,
    seconds: (Date.now() - t) / 1000,
    notes: [`${final.products} products, ${final.holds} holds, ${final.orders} orders, ${final.events} events`],
    statuses: '',
    inFlight: 0,
    clients: 0,
  };
}

/** The stack up, and the checker that holds its database to every acknowledged answer. */
async function startStack(acks: Acks): Promise<{ stack: Stack; checker: InvariantChecker }> {
  mkdirSync(RUN_DIR, { recursive: true });
  const stack = new Stack();
  log('starting the stack: MariaDB, Redis and a Temporal dev server of our own, fault proxies, the worker and the API');
  await stack.start();
  log(
    `stack up: API ${stack.baseUrl}, Temporal ${stack.temporalAddress}, MariaDB :${stack.ports.mariadb} (proxy :${stack.ports.dbProxy}), Redis :${stack.ports.redis} (proxy :${stack.ports.redisProxy})`,
  );
  const checker = new InvariantChecker({
    url: stack.directDbUrl,
    acks,
    paymentTimeoutSeconds: SETTINGS.paymentTimeoutSeconds,
    sweepGraceSeconds: SETTINGS.sweepGraceSeconds,
    lateness: { ...LATENESS, downtime: stack.outages },
  });
  return { stack, checker };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const all = scenarios({ soakSeconds: args.soakSeconds, smoke: args.smoke });
  if (args.list) {
    for (const s of all)
      process.stdout.write(`${s.name.padEnd(28)} ${SMOKE.includes(s.name) ? '[smoke] ' : ''}${s.title}\n`);
    return;
  }
  const chosen = chooseScenarios(args, all);
  const mode = args.only.length ? 'partial' : args.smoke ? 'smoke' : 'full';
  const version = codeVersion();
  // The full run ends with the mutants; their builds start now, beside the stack's start-up.
  const withMutants = args.mutants || mode === 'full';
  const planted = args.mutantNames.length ? MUTANTS.filter((m) => args.mutantNames.includes(m.name)) : MUTANTS;
  if (planted.length < args.mutantNames.length) throw new Error(`unknown mutant(s) in ${args.mutantNames.join(',')}`);
  const builds = withMutants ? buildMutants(planted) : new Map<string, Promise<string>>();

  const started = Date.now();
  const acks = new Acks();
  const { stack, checker } = await startStack(acks);

  const results: ScenarioResult[] = [];
  let mutants: MutantResult[] = [];
  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
    log('interrupted: stopping after this scenario');
  });
  // Killed (CI timeout, a terminal closed): the servers of our own go with us.
  process.once('SIGTERM', () => {
    log('terminated: stopping the stack');
    void stack.stop().finally(() => process.exit(143));
  });
  try {
    for (const s of chosen) {
      if (interrupted) break;
      log(`scenario ${s.name}: ${s.title}`);
      const r = await runScenario(stack, checker, acks, s);
      results.push(r);
      log(
        `  -> faults ${r.faults}, requests ${r.requests} (${r.statuses}), in flight at faults ≥ ${r.inFlight} from ${r.clients} clients, checks ${r.checks}, violations ${r.violations.length}`,
      );
      for (const v of r.violations.slice(0, 20)) log(`     ${v}`);
    }
    if (!interrupted && chosen.length) results.push(await finalAudit(checker));
    // After the final audit: the mutants' own products are broken on purpose.
    if (withMutants) {
      // Short rows: the smoke's sizes of the scenarios the mutants run in.
      const small = scenarios({ soakSeconds: args.soakSeconds, smoke: true });
      const run = (s: Scenario) => runScenario(stack, checker, acks, s);
      mutants = await runMutants(stack, planted, small, builds, run, () => interrupted);
    }
  } finally {
    await checker.close();
    await stack.stop();
  }

  const seconds = (Date.now() - started) / 1000;
  let ok = true;
  if (chosen.length) {
    process.stdout.write(`\n${table(results)}\n\n`);
    const violations = results.reduce((n, r) => n + r.violations.length, 0);
    process.stdout.write(`${results.length} rows in ${(seconds / 60).toFixed(1)} min, ${violations} violations\n`);
    const file = writeResults(
      buildResults(results, { mode, version, seconds, soakSeconds: args.soakSeconds }),
      RUN_DIR,
    );
    process.stdout.write(`results: ${file}; logs: .run/chaos/logs/\n`);
    ok = violations === 0 && results.length >= chosen.length;
  }
  // Written whatever the scenarios found.
  if (withMutants) ok = reportMutants(mutants, planted.length, version) && ok;
  process.exitCode = ok ? 0 : 1;
}

/** The mutants' table and results file; true when every planted mutant was caught. */
function reportMutants(mutants: MutantResult[], planted: number, version: CodeVersion): boolean {
  process.stdout.write(`\n${mutantTable(mutants)}\n\n`);
  const caught = mutants.filter((m) => m.caught).length;
  const seconds = mutants.reduce((n, m) => n + m.duration_seconds, 0);
  const file = writeMutantResults(mutants, version, seconds);
  process.stdout.write(`${caught} of ${planted} mutants caught; results: ${file}\n`);
  return caught === planted;
}

main().catch((err: Error) => {
  process.stderr.write(`chaos: ${err.stack ?? err.message}\n`);
  process.exit(2);
});
