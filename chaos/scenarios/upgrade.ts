import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { holdWorkflowId } from '../../src/shared/workflow-ids';
import { MIN_IN_FLIGHT } from '../load';
import type { Ctx, Scenario } from '../scenario';
import { LOG_DIR, ROOT } from '../settings';
import { NEXT_RULES_PATCH, listHoldRuns, readHoldRuns, type HoldRun } from '../../harness/upgrade/runs';
import { buildVariant } from '../../harness/variants';
import { finish, makeHolds, type Held } from './helpers';

const PATCH = process.env.CHAOS_UPGRADE_PATCH ?? path.join(ROOT, 'harness', 'upgrade', 'hold-v-next.patch');
/** The order of the rollout: the worker first, then the load's API, then the API the scenario talks to. */
const ROLLOUT = ['w1', 'api-load', 'api'];
/** Holds read back from each part of the run (before, during and after the rollout), besides the scenario's own. */
const SAMPLE = 120;

let nextBuild = '';

/** When the rollout ran, and the new build's processes (their worker identity starts with `<pid>@`). */
interface Rollout {
  from: number;
  until: number;
  newPids: Set<number>;
}

/**
 * The hold workflow changes (a `patched()` branch: harness/upgrade/hold-v-next.patch) while holds are open and the
 * load keeps ≥200 requests in flight: the worker and both APIs (hold workers too) are replaced one by one by the new
 * build, each drained with SIGTERM first. Then: the usual invariants and workflow agreement (no oversell, nothing
 * lost), no workflow task failed on non-determinism (histories and the processes' logs), every hold sampled finished
 * on the rules it started with, those started before the rollout on today's rules, those after it on the new ones,
 * and some of today's holds were carried on by the new build (else the rollout proved nothing).
 */
export const rollingUpgrade: Scenario = {
  name: 'rolling-upgrade',
  title:
    'Rolling upgrade under load: the worker and both APIs replaced one by one (SIGTERM drain) by a build whose hold workflow has a patched() branch; holds keep the rules they started on',
  async prepare() {
    nextBuild = await buildVariant('hold-v-next', PATCH);
  },
  async run(ctx) {
    const logsAt = logSizes();
    const [p] = await ctx.createProducts(1, 500);
    const before = await makeHolds(ctx, p, 20, 1);
    const rollout: Rollout = { from: Date.now(), until: 0, newPids: new Set() };
    for (const name of ROLLOUT) {
      const old = ctx.stack.process(name)!;
      ctx.fault(`${name} drained (SIGTERM) and replaced by the new build`);
      rollout.newPids.add((await ctx.stack.replace(name, nextBuild)).pid);
      const exit = await old.exited;
      if (exit.signal === 'SIGKILL') ctx.note(`${name} did not drain within 30 s: SIGKILLed`);
      // The next step lands in the load too: wait until it is back in flight (or note that it was not).
      if (!(await ctx.load?.warm(MIN_IN_FLIGHT, 20_000))) ctx.note(`the load did not recover after ${name}'s upgrade`);
    }
    rollout.until = Date.now();
    ctx.note(`rollout took ${((rollout.until - rollout.from) / 1000).toFixed(1)} s`);
    const after = await makeHolds(ctx, p, 20, 1);
    await finish(ctx);
    await checkRules(ctx, rollout, [...before, ...after]);
    checkLogs(ctx, logsAt);
  },
};

/** Which holds to read back: the scenario's own, and a sample of the load's before, during and after the rollout. */
async function sampleHolds(ctx: Ctx, rollout: Rollout, own: Held[]): Promise<string[]> {
  const client = ctx.stack.temporalClient();
  const listed = await listHoldRuns(client, rollout.from - 15_000, rollout.until + 15_000);
  // Before: the ones still open when the rollout began (carried on by whichever worker came next).
  const open = listed.filter((w) => w.startedAt < rollout.from && (w.closedAt === null || w.closedAt > rollout.from));
  const during = listed.filter((w) => w.startedAt >= rollout.from && w.startedAt <= rollout.until);
  const later = listed.filter((w) => w.startedAt > rollout.until);
  // Spread evenly over the part's time (the list comes newest first).
  const pick = (ws: typeof listed) => ws.filter((_, i) => i % Math.ceil(ws.length / SAMPLE) === 0);
  ctx.note(`hold workflows listed: ${open.length} open at the rollout, ${during.length} during, ${later.length} after`);
  const ids = [...pick(open), ...pick(during), ...pick(later)].map((w) => w.workflowId);
  return [...new Set([...ids, ...own.map((h) => holdWorkflowId(h.holdId))])];
}

async function checkRules(ctx: Ctx, rollout: Rollout, own: Held[]): Promise<void> {
  const runs = await readHoldRuns(ctx.stack.temporalClient(), await sampleHolds(ctx, rollout, own));
  /** None of the runs is `bad`: else a violation naming the first few. */
  const none = (bad: HoldRun[], what: string, more = '') => {
    const ids = bad.slice(0, 5).map((r) => r.workflowId);
    ctx.expect(bad.length === 0, `${bad.length} holds ${what}: ${ids.join(', ')}${more}`);
  };
  const nondeterministic = runs.filter((r) => r.failedTasks.some((f) => f.nondeterminism));
  const message = nondeterministic[0]?.failedTasks[0]?.message;
  none(nondeterministic, 'had a workflow task fail on non-determinism', ` (${message})`);
  const otherFailures = runs.filter((r) => r.failedTasks.length && !nondeterministic.includes(r));
  if (otherFailures.length) ctx.note(`${otherFailures.length} holds had a workflow task fail (not non-determinism)`);
  const unfinished = runs.filter((r) => r.finishedOn === null);
  if (unfinished.length) ctx.note(`${unfinished.length} sampled holds did not complete (agreement judges them)`);
  const switched = runs.filter((r) => r.finishedOn !== null && (r.finishedOn === 'v-next') !== r.startedOnNext);
  none(switched, 'finished on other rules than they started on');
  none(
    runs.filter((r) => r.startedAt < rollout.from && r.startedOnNext),
    'started before the rollout ran the new rules',
  );
  none(
    runs.filter((r) => r.startedAt > rollout.until && !r.startedOnNext),
    "started after the rollout ran today's rules",
  );
  const byNew = (r: HoldRun) => r.taskWorkers.some((id) => rollout.newPids.has(Number(id.split('@')[0])));
  const carried = runs.filter((r) => !r.startedOnNext && byNew(r));
  ctx.expect(carried.length > 0, 'no hold started on today’s build was carried on by the new build');
  const next = runs.filter((r) => r.startedOnNext).length;
  ctx.note(
    `${runs.length} hold histories read: ${runs.length - next} on today's rules (${carried.length} of them carried on by the new build), ${next} on the new rules (${NEXT_RULES_PATCH})`,
  );
}

const serviceLogs = () => (existsSync(LOG_DIR) ? readdirSync(LOG_DIR).filter((f) => /^(api|worker)/.test(f)) : []);

function logSizes(): Map<string, number> {
  return new Map(serviceLogs().map((f) => [f, statSync(path.join(LOG_DIR, f)).size]));
}

/** No process of either build logged a non-determinism error during the scenario (its logs since it began). */
function checkLogs(ctx: Ctx, since: Map<string, number>): void {
  for (const f of serviceLogs()) {
    const lines = readFileSync(path.join(LOG_DIR, f))
      .subarray(since.get(f) ?? 0)
      .toString('utf8')
      .split('\n')
      .filter((l) => /nondetermin|TMPRL1100/i.test(l));
    ctx.expect(lines.length === 0, `${f}: ${lines.length} non-determinism lines, first: ${lines[0]?.slice(0, 300)}`);
  }
}
