import { parseServerCounts, perUnit } from './server-requests';

/** The bench's reading of the Temporal server's own counters (a dev server's /metrics text). */
describe('server requests', () => {
  const scrape = (update: number, append: number, poll: number) =>
    [
      '# HELP persistence_requests persistence_requests counter',
      '# TYPE persistence_requests counter',
      `persistence_requests{namespace="ns",operation="UpdateWorkflowExecution",service_name="history"} ${update}`,
      `persistence_requests{namespace="_unknown_",operation="UpdateWorkflowExecution",service_name="history"} 1`,
      `persistence_requests{namespace="ns",operation="AppendHistoryNodes",service_name="history"} ${append}`,
      `service_requests{namespace="ns",operation="PollWorkflowTaskQueue",service_name="frontend"} ${poll}`,
      `service_requests{namespace="ns",operation="PollWorkflowTaskQueue",service_name="matching"} ${poll}`,
      'persistence_latency_count{operation="UpdateWorkflowExecution"} 99',
    ].join('\n');

  test('sums each operation over namespaces, persistence by operation and RPCs by service too', () => {
    expect(parseServerCounts(scrape(10, 4, 2))).toEqual({
      'persistence UpdateWorkflowExecution': 11,
      'persistence AppendHistoryNodes': 4,
      'rpc frontend PollWorkflowTaskQueue': 2,
      'rpc matching PollWorkflowTaskQueue': 2,
    });
  });

  test('per unit: what moved, largest first, after the totals of each kind', () => {
    const counts = perUnit(parseServerCounts(scrape(10, 4, 2)), parseServerCounts(scrape(50, 24, 2)), 10);
    expect(counts).toEqual({
      'persistence (all)': 6,
      'rpc (all)': 0,
      'persistence UpdateWorkflowExecution': 4,
      'persistence AppendHistoryNodes': 2,
    });
    expect(Object.keys(counts).slice(2)).toEqual([
      'persistence UpdateWorkflowExecution',
      'persistence AppendHistoryNodes',
    ]);
  });
});
