import { startApi } from '../../src/api/server';
import { createLogger } from '../../src/logger';
import { createProduct } from '../../harness/fixtures';
import { waitFor } from '../../harness/wait';
import { startStack } from '../../harness/stack';
import { cleanupAfterEach } from './support/cleanup';
import { postHold } from './support/purchase';
import { useStack } from './support/stack';

const stack = useStack({ HOLD_TTL_SECONDS: '30' });
const cleanup = cleanupAfterEach();

const metric = (text: string, line: RegExp) => {
  const m = text.split('\n').find((l) => line.test(l));
  return m === undefined ? undefined : Number(m.split(' ').pop());
};

describe('health, readiness and metrics', () => {
  test('/health answers while the process lives; /ready checks MariaDB, Redis, Temporal and the hold worker', async () => {
    expect((await stack.http.get('/health')).status).toBe(200);
    await waitFor('the API hold worker', () => stack.api.eagerStartReady(), 60_000);
    const ready = await stack.http.get('/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toEqual({ mariadb: 'ok', redis: 'ok', temporal: 'ok', hold_worker: 'ok' });
  });

  test('/ready answers 503 naming the dependency that is down', async () => {
    const broken = await startStack({ REDIS_URL: 'redis://127.0.0.1:1/0' }, { worker: false });
    cleanup(() => broken.close());
    await waitFor('the API hold worker', () => broken.api.eagerStartReady(), 60_000);
    const ready = await broken.http.get('/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.message).toBe('Unavailable: redis');
    expect(ready.body.checks).toMatchObject({ mariadb: 'ok', redis: 'unavailable', temporal: 'ok', hold_worker: 'ok' });
  });

  test('/metrics counts requests by route and status, holds and sold-out answers, and stock per product', async () => {
    const productId = await createProduct(stack, 3);
    expect((await postHold(stack, productId, 3)).status).toBe(201);
    expect((await postHold(stack, productId, 1)).status).toBe(400);
    // The database-derived figures are refreshed once per SALE_FIGURES_INTERVAL_SECONDS, not at the scrape.
    const stockLine = new RegExp(`^flash_sale_product_available_stock\\{product_id="${productId}"\\} 0$`, 'm');
    await waitFor('the refreshed figures', async () => stockLine.test((await stack.http.get('/metrics')).text));
    const res = await stack.http.get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const figure = (line: RegExp) => metric(res.text, line);
    const holdsCreated =
      /^flash_sale_http_request_duration_seconds_count\{method="POST",route="\/api\/holds",status="201"\}/;
    expect(figure(holdsCreated)).toBeGreaterThanOrEqual(1);
    expect(figure(/^flash_sale_api_events_total\{event="hold_created"\}/)).toBeGreaterThanOrEqual(1);
    expect(figure(/^flash_sale_api_events_total\{event="sold_out"\}/)).toBeGreaterThanOrEqual(1);
    expect(figure(new RegExp(`^flash_sale_product_available_stock\\{product_id="${productId}"\\}`))).toBe(0);
    expect(figure(/^flash_sale_holds\{state="held"\}/)).toBeGreaterThanOrEqual(1);
    expect(figure(/^flash_sale_hold_starts_total\{how="eager"\}/)).toBeGreaterThanOrEqual(1);
    expect(figure(/^flash_sale_hold_worker_running /)).toBe(1);
    expect(figure(/^flash_sale_hold_worker_restarts_total /)).toBe(0);
    expect(figure(/^flash_sale_figures_publisher /)).toBe(1);
    // Default process metrics carry no prefix: Prometheus's job label tells the processes apart.
    expect(figure(/^process_cpu_seconds_total /)).toBeGreaterThan(0);
    expect(figure(/^nodejs_eventloop_lag_seconds /)).toBeDefined();
  });

  test('one API process of a service computes and exports the database figures; another takes over when it stops', async () => {
    const log = createLogger('silent', 'test');
    // Two more API processes of one service (their own task queue, so this file's stack is not a third candidate).
    const config = { ...stack.config, HOLD_EAGER_START: false, TASK_QUEUE: `${stack.config.TASK_QUEUE}-figures` };
    const apis = [await startApi(config, log), await startApi(config, log)];
    cleanup(() => Promise.all(apis.map((a) => a.close())));
    const scrape = async (port: number) => {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      return {
        publisher: metric(text, /^flash_sale_figures_publisher /),
        holds: text.split('\n').some((l) => l.startsWith('flash_sale_holds{')),
      };
    };
    const publisher = await waitFor('one publisher', async () => {
      const seen = await Promise.all(apis.map((a) => scrape(a.port)));
      const holding = seen.findIndex((s) => s.publisher === 1 && s.holds);
      return holding >= 0 && seen.filter((s) => s.publisher === 1).length === 1 ? holding + 1 : 0;
    });
    const other = apis[2 - publisher]!;
    expect(await scrape(other.port)).toEqual({ publisher: 0, holds: false });
    await apis[publisher - 1]!.close();
    apis.splice(publisher - 1, 1);
    await waitFor('the other process to take over', async () => (await scrape(other.port)).holds);
    expect((await scrape(other.port)).publisher).toBe(1);
  });
});
