import { evaluateTargets } from './report';
import { run, type ScenarioResult } from './run-state';

// The bench's settings come from its command line, which here is jest's.
jest.mock('./settings', () => ({ settings: { storm: 2_000, connections: [50] } }));

/** The HTTP-ceiling targets: the service's cheapest answers divided by the plain endpoint's cached read. */
const result = (id: string, perSecond: number): ScenarioResult => ({
  id,
  title: id,
  system: id.startsWith('plain') ? 'plain' : 'service',
  connections: 50,
  seconds: 10,
  requests: perSecond * 10,
  ok: perSecond * 10,
  ok_per_second: perSecond,
  p50_ms: 1,
  p99_ms: 2,
  errors: 0,
  unexpected_status: {},
});

afterEach(() => {
  run.results.length = 0;
});

test('cached reads and sold-out answers are measured against the plain cached read', () => {
  run.results.push(result('plain-reads', 20_000), result('svc-reads', 21_000), result('svc-soldout-50', 10_000));
  const byName = Object.fromEntries(evaluateTargets().map((t) => [t.target, t]));
  expect(byName['cached product reads ÷ plain cached reads']).toMatchObject({
    goal: '>= 1',
    measured: '1.05 (21000/s vs 20000/s)',
    met: true,
  });
  expect(byName['sold-out answers ÷ plain cached reads']).toMatchObject({
    goal: '>= 0.7',
    measured: '0.5 (10000/s vs 20000/s)',
    met: false,
  });
});

test('without the plain read in the run there is no ceiling to divide by', () => {
  run.results.push(result('svc-reads', 21_000));
  expect(evaluateTargets().map((t) => t.target)).not.toContain('cached product reads ÷ plain cached reads');
});
