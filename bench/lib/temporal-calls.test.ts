import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from '../../harness/wait';
import { sampleTemporalCalls } from './temporal-calls';

/** The sale's reading of the API's queue for Temporal calls, against a stand-in /metrics. */
describe('sampleTemporalCalls', () => {
  let queued = 0;
  let served = 0;
  const server = http.createServer((req, res) => {
    served++;
    if (req.url !== '/metrics') return void res.writeHead(404).end();
    res.end(
      '# HELP flash_sale_temporal_calls Temporal calls\n' +
        `flash_sale_temporal_calls{state="in_flight"} 16\nflash_sale_temporal_calls{state="queued"} ${queued}\n`,
    );
  });
  let base = '';
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('summarises how long and how deep calls queued', async () => {
    served = 0;
    const sampler = sampleTemporalCalls(base, 20);
    await waitFor('two idle samples', async () => served >= 2);
    queued = 180;
    const from = served;
    // A third request comes 20 ms after the second: by then the second's answer has been read.
    await waitFor('queued samples', async () => served >= from + 3);
    const summary = sampler.stop()!;
    expect(summary.queued_max).toBe(180);
    expect(summary.in_flight_max).toBe(16);
    expect(summary.share_queued).toBeGreaterThan(0);
    expect(summary.share_queued).toBeLessThan(1);
  });

  test('answers null for an API without the metric (the floor)', async () => {
    served = 0;
    const sampler = sampleTemporalCalls(`${base}/none`, 20);
    await waitFor('a few requests', async () => served >= 2);
    expect(sampler.stop()).toBeNull();
  });
});
