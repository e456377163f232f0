import { createProduct } from '../harness/fixtures';
import { waitFor } from '../harness/wait';
import { startStack, type Stack } from '../harness/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ HOLD_TTL_SECONDS: '30' });
});
afterAll(async () => stack.close());

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
    try {
      await waitFor('the API hold worker', () => broken.api.eagerStartReady(), 60_000);
      const ready = await broken.http.get('/ready');
      expect(ready.status).toBe(503);
      expect(ready.body.message).toBe('Unavailable: redis');
      expect(ready.body.checks).toMatchObject({
        mariadb: 'ok',
        redis: 'unavailable',
        temporal: 'ok',
        hold_worker: 'ok',
      });
    } finally {
      await broken.close();
    }
  });

  test('/metrics counts requests by route and status, holds and sold-out answers, and stock per product', async () => {
    const productId = await createProduct(stack, 3);
    expect((await stack.http.post('/api/holds', { product_id: productId, quantity: 3 })).status).toBe(201);
    expect((await stack.http.post('/api/holds', { product_id: productId, quantity: 1 })).status).toBe(400);
    const res = await stack.http.get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = res.text;
    expect(
      metric(
        text,
        /^flash_sale_http_request_duration_seconds_count\{method="POST",route="\/api\/holds",status="201"\}/,
      ),
    ).toBeGreaterThanOrEqual(1);
    expect(metric(text, /^flash_sale_api_events_total\{event="hold_created"\}/)).toBeGreaterThanOrEqual(1);
    expect(metric(text, /^flash_sale_api_events_total\{event="sold_out"\}/)).toBeGreaterThanOrEqual(1);
    expect(metric(text, new RegExp(`^flash_sale_product_available_stock\\{product_id="${productId}"\\}`))).toBe(0);
    expect(metric(text, /^flash_sale_holds\{state="held"\}/)).toBeGreaterThanOrEqual(1);
    expect(metric(text, /^flash_sale_hold_starts_total\{how="eager"\}/)).toBeGreaterThanOrEqual(1);
    expect(metric(text, /^flash_sale_hold_worker_running /)).toBe(1);
    expect(metric(text, /^flash_sale_hold_worker_restarts_total /)).toBe(0);
  });
});
