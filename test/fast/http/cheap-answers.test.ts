import { createRateLimits } from '../../../src/api/rate-limits';
import type { SecuritySettings } from '../../../src/api/security';
import { stubDeps, withApi } from './stub-api';

const settings = (over: Partial<SecuritySettings>): SecuritySettings =>
  ({ rateLimits: {}, windowSeconds: 60, trustProxy: 0, ...over }) as unknown as SecuritySettings;

/** Product 1 sold out, per the gate and per the committed stock. */
function soldOutStub(overrides: Parameters<typeof stubDeps>[0] = {}) {
  const stub = stubDeps(overrides);
  stub.cache.checkUnits.mockResolvedValue({ admitted: false, available: 0, epoch: '1', others: 0 });
  stub.models.Product.rows.get(1)!.available_stock = 0;
  return stub;
}

describe('the cheapest answers carry no work they do not need', () => {
  test('rate-limit middleware counts only when a budget is configured', () => {
    expect(createRateLimits({})).toMatchObject({ countsClients: false, countsCustomers: false });
    expect(createRateLimits({ security: settings({ rateLimits: { holds: 0 } as never }) })).toMatchObject({
      countsClients: false,
    });
    expect(createRateLimits({ security: settings({ rateLimits: { holds: 5 } as never }) })).toMatchObject({
      countsClients: true,
      countsCustomers: false,
    });
    expect(createRateLimits({ security: settings({ apiKeyLimit: 5 }) }).countsClients).toBe(true);
    expect(createRateLimits({ security: settings({ customerLimit: 5 }) }).countsCustomers).toBe(true);
  });

  test('a budget, when configured, still refuses past it (the middleware is in the chain)', async () => {
    const stub = soldOutStub({ security: settings({ rateLimits: { holds: 1 } as never }) });
    await withApi(stub.deps, async (api) => {
      const body = { product_id: 1, quantity: 1 };
      await api.request('POST', '/api/holds', { body });
      const second = await api.request('POST', '/api/holds', { body });
      expect([second.status, second.body.code]).toEqual([429, 'rate_limited']);
    });
  });

  test('a cached (frozen) product is served as the same JSON object every time, typed application/json', async () => {
    const stub = stubDeps();
    const entry = Object.freeze({ id: 1, name: 'Product 1', total_stock: 10, available_stock: 10, price: 9.99 });
    stub.cache.read.mockImplementation(async () => entry);
    await withApi(stub.deps, async (api) => {
      const first = await api.request('GET', '/api/products/1');
      const second = await api.request('GET', '/api/products/1');
      expect(first.status).toBe(200);
      expect(first.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(first.body).toEqual(entry);
      expect(second.body).toEqual(entry);
    });
  });

  test('the sold-out refusal keeps its contract body (status, message, code, timestamp) and asks no workflow', async () => {
    const stub = soldOutStub();
    await withApi(stub.deps, async (api) => {
      const res = await api.request('POST', '/api/holds', { body: { product_id: 1, quantity: 1 } });
      expect(res.status).toBe(400);
      expect(Object.keys(res.body)).toEqual(['status', 'message', 'code', 'timestamp']);
      expect(res.body).toMatchObject({
        status: 'error',
        code: 'insufficient_stock',
        message: 'Insufficient stock available. Only 0 units remaining.',
      });
      expect(Number.isNaN(Date.parse(res.body.timestamp))).toBe(false);
      expect(stub.holds.reserve).not.toHaveBeenCalled();
    });
  });
});
