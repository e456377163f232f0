import { resultTargets, withResultTargets } from './result-targets';

/** The targets a result file's own results give: the sale's hold answers, the service beside the plain endpoint. */
describe('result targets', () => {
  const r = (id: string, connections: number, ok_per_second: number, p99_ms: number | null = null) => ({
    id,
    connections,
    ok_per_second,
    p99_ms,
  });
  const results = [
    r('plain-holds-50', 50, 400),
    r('svc-holds-50', 50, 50),
    r('svc-holds-50', 50, 70),
    r('floor-holds-50', 50, 80),
    r('svc-holds-50-uws', 50, 999),
    r('plain-holds-200', 200, 100),
    r('svc-holds-200', 200, 30),
    r('svc-sale', 200, 12, 9783.5),
    r('floor-sale', 200, 21, 3563.1),
  ];

  test('measured from the results, each met or missed', () => {
    expect(resultTargets(results)).toEqual([
      {
        target: 'realistic sale: hold answers p99',
        goal: '<= 1000 ms',
        measured: "9783.5 ms (the sale floor's: 3563.1 ms)",
        met: false,
      },
      {
        target: 'service holds ÷ plain holds (eager, the default), at 50 connections',
        goal: '>= 0.25',
        measured: '0.15 (service 50, 70/s; plain 400/s; the eager floor ÷ plain 0.2)',
        met: false,
      },
      {
        target: 'service holds ÷ plain holds (eager, the default), at 200 connections',
        goal: '>= 0.25',
        measured: '0.3 (service 30/s; plain 100/s)',
        met: true,
      },
    ]);
  });

  test("a file's own targets stay as they are; only the missing ones are added", () => {
    const own = { target: 'realistic sale: hold answers p99', goal: '<= 1000 ms', measured: 'as run', met: false };
    const all = withResultTargets([own], results);
    expect(all[0]).toBe(own);
    expect(all.map((t) => t.target)).toHaveLength(3);
  });
});
