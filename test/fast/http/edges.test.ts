import { signPayload } from '../../../src/signature';
import { productRow, stubApi, stubDeps, withApi, type Api, type Stub } from './stub-api';

let api: Api;
let stub: Stub;

beforeEach(async () => {
  ({ stub, api } = await stubApi({ webhookSecret: 'whsec', adminToken: 'admin-token' }));
  for (let id = 3; id <= 7; id++) stub.models.Product.rows.set(id, productRow(id));
});
afterEach(() => api.close());

describe('headers', () => {
  test("a sane X-Request-Id is kept, anything else replaced by the service's own", async () => {
    expect(
      (await api.request('GET', '/api', { headers: { 'X-Request-Id': 'abc-123' } })).headers.get('x-request-id'),
    ).toBe('abc-123');
    const replaced = (await api.request('GET', '/api', { headers: { 'X-Request-Id': 'no spaces!' } })).headers;
    expect(replaced.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('unknown route 404; known path, wrong method 405 with Allow; OPTIONS 204 with Allow', async () => {
    expect((await api.request('GET', '/nope')).body.message).toBe('Route not found');
    const wrong = await api.request('PUT', '/api/holds');
    expect(wrong.status).toBe(405);
    expect(wrong.body.message).toBe('Method not allowed');
    expect(wrong.headers.get('allow')).toContain('POST');
    const options = await api.request('OPTIONS', '/api/holds');
    expect(options.status).toBe(204);
    expect(options.headers.get('allow')).toContain('GET');
  });

  test('bodies: not JSON 400, over 16 KiB 413, before any check', async () => {
    const bad = await api.request('POST', '/api/holds', { raw: '{"product_id":' });
    expect([bad.status, bad.body.message]).toEqual([400, 'Malformed JSON body']);
    const big = await api.request('POST', '/api/holds', { raw: JSON.stringify({ pad: 'x'.repeat(17 * 1024) }) });
    expect([big.status, big.body.message]).toEqual([413, 'Payload too large']);
  });
});

describe('pagination', () => {
  test('a page of limit rows in id order, and a Link to the next while more remain', async () => {
    const first = await api.request('GET', '/api/products?limit=3');
    expect(first.body.map((p: { id: number }) => p.id)).toEqual([1, 2, 3]);
    expect(first.headers.get('link')).toBe('</api/products?limit=3&after_id=3>; rel="next"');
    const last = await api.request('GET', '/api/products?limit=3&after_id=6');
    expect(last.body.map((p: { id: number }) => p.id)).toEqual([7]);
    expect(last.headers.get('link')).toBeNull();
  });

  test.each([['limit=0'], ['limit=1001'], ['limit=abc'], ['limit=1&limit=2'], ['after_id=-1']])(
    '?%s is a 422 on that field',
    async (query) => {
      const res = await api.request('GET', `/api/products?${query}`);
      expect(res.status).toBe(422);
      expect(Object.keys(res.body.errors)).toEqual([query.split('=')[0]]);
    },
  );
});

describe('error mapping', () => {
  test('a lost database connection is a 503, any other failure a bare 500', async () => {
    const lost = Object.assign(new Error('gone'), { name: 'SequelizeConnectionRefusedError' });
    stub.models.Product.findAll.mockRejectedValueOnce(lost);
    const unavailable = await api.request('GET', '/api/products');
    expect([unavailable.status, unavailable.body.message]).toEqual([503, 'Service temporarily unavailable']);
    stub.models.Product.findAll.mockRejectedValueOnce(new Error('column x does not exist'));
    const internal = await api.request('GET', '/api/products');
    expect(internal.status).toBe(500);
    expect(internal.body).toEqual({
      status: 'error',
      code: 'internal_error',
      message: 'Internal server error',
      timestamp: expect.any(String),
    });
  });
});

describe('guards', () => {
  test('admin: 401 with a wrong token, 403 when no token is configured', async () => {
    const wrong = await api.request('POST', '/api/admin/products', { headers: { Authorization: 'Bearer nope' } });
    expect([wrong.status, wrong.body.message]).toEqual([401, 'Unauthorized']);
    await withApi(stubDeps().deps, async (other) => {
      const res = await other.request('POST', '/api/admin/products', { headers: { Authorization: 'Bearer x' } });
      expect([res.status, res.body.message]).toEqual([403, 'Admin API disabled']);
    });
  });

  test('webhook: a wrong or stale signature is a 401 before anything is read', async () => {
    const body = JSON.stringify({ event_id: 'evt-1', order_id: 1, status: 'paid' });
    const forged = await api.request('POST', '/api/payments/webhook', {
      raw: body,
      headers: { 'X-Signature': signPayload('other-secret', body) },
    });
    expect([forged.status, forged.body.message]).toEqual([401, 'Invalid signature']);
    const stale = await api.request('POST', '/api/payments/webhook', {
      raw: body,
      headers: { 'X-Signature': signPayload('whsec', body, Math.floor(Date.now() / 1000) - 301) },
    });
    expect(stale.status).toBe(401);
    expect(stub.models.Order.count).not.toHaveBeenCalled();
  });

  test('webhook: a signed event for an unknown order is a 422 on order_id', async () => {
    const body = JSON.stringify({ event_id: 'evt-1', order_id: 9, status: 'paid' });
    const res = await api.request('POST', '/api/payments/webhook', {
      raw: body,
      headers: { 'X-Signature': signPayload('whsec', body) },
    });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual({ order_id: ['The selected order id is invalid.'] });
  });
});
