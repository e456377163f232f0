import { resultTargets, withResultTargets } from './result-targets';

/** The targets a result file's own results give: the sale's hold answers, the service beside the plain endpoint. */
describe('result targets', () => {
  const results = [
    { id: 'svc-sale', p99_ms: 9783.5 },
    { id: 'floor-sale', p99_ms: 3563.1 },
  ];
  // The run's holds beside their floors, as holdsSummary (bench/scenarios/holds.ts) gives them.
  const row = (start: string, connections: number, svc: number[], floor: number[], plain: number[]) => ({
    start,
    connections,
    service_per_s: svc,
    floor_per_s: floor,
    plain_per_s: plain,
  });
  const besideFloor = [
    row('eager', 50, [50, 70], [80], [400]),
    row('eager', 200, [30], [], [100]),
    row('eager', 1000, [20], [25], []),
    row('update_with_start', 50, [999], [999], [400]),
  ];

  test('measured from the results and the holds beside their floors, each met or missed', () => {
    expect(resultTargets(results, besideFloor)).toEqual([
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
    const all = withResultTargets([own], results, besideFloor);
    expect(all[0]).toBe(own);
    expect(all.map((t) => t.target)).toHaveLength(3);
  });
});
