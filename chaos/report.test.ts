import { summaryLine } from './report';
import type { RunResults } from './results';

/** The README's one sentence about the latest full chaos run, generated from its results file. */
describe('summaryLine', () => {
  const run = (violations: number): RunResults => ({
    meta: {
      mode: 'full',
      date: '2026-12-06T05:31:45.000Z',
      commit: 'd80b68bbe48f0000000000000000000000000000',
      clean_tree: true,
      duration_seconds: 2148,
      soak_seconds: 75,
      machine: '2 cores',
      node: 'v22',
      scenarios: 45,
      faults: 91,
      requests: 78249,
      checks: 1776,
      violations,
    },
    scenarios: [],
  });

  test('names the run by its file, commit and date, with its figures', () => {
    expect(summaryLine(run(0))).toBe(
      '  Latest full run (`chaos/results/latest.json`, commit `d80b68bbe48f`, 2026-12-06): 45 scenarios, 91 faults, ' +
        '78249 requests, 1776 checks, **0 violations**, 35.8 min.',
    );
  });

  test('one violation is said in the singular', () => {
    expect(summaryLine(run(1))).toContain('**1 violation**,');
  });
});
