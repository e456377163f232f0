import path from 'node:path';
import type { MutantResult } from '../results';
import type { Scenario, ScenarioResult } from '../scenario';
import { DIST, ROOT } from '../settings';
import type { Stack } from '../stack';
import { log } from '../util';
import { buildVariant } from '../../harness/variants';
import { caughtBy, MUTANTS, type Mutant } from '.';

/**
 * Builds every mutant, one after the other, in the background (started before the stack, so the builds overlap its
 * start-up): each mutant's run awaits only its own build.
 */
export function buildMutants(mutants: Mutant[] = MUTANTS): Map<string, Promise<string>> {
  const builds = new Map<string, Promise<string>>();
  let previous: Promise<unknown> = Promise.resolve();
  for (const m of mutants) {
    const build = previous.then(() => buildVariant(`mutant-${m.name}`, path.join(ROOT, m.patch)));
    // A failed build is reported with its mutant; the next one still builds.
    previous = build.catch(() => undefined);
    builds.set(m.name, build);
  }
  return builds;
}

/**
 * Each mutant's scenario on the mutant's build (the stack's processes restart on it, and back on the suite's own build
 * after): it passes when the scenario reports a violation of the expected check, and fails when the mutant survives.
 */
export async function runMutants(
  stack: Stack,
  mutants: Mutant[],
  all: Scenario[],
  builds: Map<string, Promise<string>>,
  runScenario: (s: Scenario) => Promise<ScenarioResult>,
  interrupted: () => boolean,
): Promise<MutantResult[]> {
  const results: MutantResult[] = [];
  for (const m of mutants) {
    if (interrupted()) break;
    const scenario = all.find((s) => s.name === m.scenario);
    if (!scenario) throw new Error(`mutant ${m.name}: no scenario named ${m.scenario}`);
    log(`mutant ${m.name}: ${m.what}; scenario ${m.scenario} must report "${m.check}"`);
    const row = { mutant: m.name, what: m.what, scenario: m.scenario, check: m.check };
    const t0 = Date.now();
    let dist: string;
    try {
      dist = await builds.get(m.name)!;
    } catch (err) {
      const error = (err as Error).message;
      log(`  MUTANT NOT RUN: ${error}`);
      results.push({ ...row, caught: false, caught_by: null, violations: 0, duration_seconds: 0, error });
      continue;
    }
    let r: ScenarioResult;
    try {
      await stack.useBuild(dist);
      r = await runScenario(scenario);
    } finally {
      await stack.useBuild(DIST);
    }
    const by = caughtBy(m, r.violations) ?? null;
    log(
      by ? `  caught by ${m.check}: ${by}` : `  MUTANT SURVIVED: ${r.violations.length} violations, none of ${m.check}`,
    );
    for (const v of r.violations.slice(0, 5)) log(`     ${v}`);
    results.push({
      ...row,
      caught: by !== null,
      caught_by: by,
      violations: r.violations.length,
      duration_seconds: Math.round((Date.now() - t0) / 1000),
      error: null,
    });
  }
  return results;
}
