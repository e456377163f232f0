import { serverTables } from './server-tables';
import type { Report } from './table-format';

/** The generated tables of the Temporal server's counts, from a made-up result file. */
describe('server tables', () => {
  const holds = (system: 'service' | 'floor', connections: number, update: number) => ({
    id: `${system === 'service' ? 'svc' : 'floor'}-holds-${connections}`,
    system,
    connections,
    extra: {
      temporal_server_requests_per_hold: { 'persistence (all)': update, 'persistence UpdateWorkflowExecution': update },
    },
  });
  const report: Report = {
    meta: {},
    results: [
      holds('service', 50, 4),
      holds('service', 50, 6),
      holds('floor', 50, 2.5),
      holds('service', 200, 99),
      {
        id: 'svc-sale',
        extra: { temporal_server_requests_per_paid_unit: { 'rpc frontend Signal': 1, 'persistence X': 0.01 } },
      },
      { id: 'floor-sale', extra: { temporal_server_requests_per_paid_unit: { 'rpc frontend Signal': 0.5 } } },
    ],
  };

  test('holds: the mean of the rounds at the first connection count, beside the floor', () => {
    const rows = serverTables['holds-server-requests'](report);
    expect(rows[0]).toContain('per hold (eager, 50 connections)');
    expect(rows).toContain('| persistence UpdateWorkflowExecution | 5 | 2.5 | 2 |');
  });

  test('the sale: operations too small to matter are left out', () => {
    const rows = serverTables['sale-server-requests'](report);
    expect(rows).toContain('| rpc frontend Signal | 1 | 0.5 | 2 |');
    expect(rows.join('\n')).not.toContain('persistence X');
  });

  test('a run without its own server says so', () => {
    expect(serverTables['sale-server-requests']({ meta: {}, results: [] })[0]).toContain('no server counters');
  });
});
