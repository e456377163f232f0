import { createApp } from '../../src/api/app';
import type { ApiDeps } from '../../src/api/context';
import { ERROR_CODES, type ErrorCode } from '../../src/api/error-codes';
import { signPayload } from '../../src/signature';
import { createLogger } from '../../src/logger';
import { createProduct } from '../../harness/fixtures';
import { httpClient, type Reply } from '../../harness/http';
import { waitFor } from '../../harness/wait';
import { auth as admin } from './support/admin';
import { cleanupAfterEach } from './support/cleanup';
import { serveLocally } from './support/raw-http';
import { useStack } from './support/stack';

/**
 * Every `code` of the contract's list, reached on the real service (a stack with API keys, a webhook secret, rate
 * limits and hold extension on; a second one without a worker or extension; the real app around a failing model for
 * the 500). The last test walks the list: a code added to src/api/error-codes.ts needs a case here.
 */

const KEY = 'sk_test_codes_0123456789abcdef';
const SECRET = 'whsec_test_codes';
const auth = { Authorization: `Bearer ${KEY}` };
const reached = new Map<ErrorCode, string>();

function expectCode(res: Reply, status: number, code: ErrorCode) {
  expect({ status: res.status, code: res.body?.code }).toEqual({ status, code });
  expect(typeof res.body.message).toBe('string');
  reached.set(code, res.body.message);
}

const stack = useStack({
  API_KEYS: KEY,
  WEBHOOK_SECRET: SECRET,
  HOLD_TTL_SECONDS: '3',
  HOLD_MAX_EXTENSION_SECONDS: '5',
  RATE_LIMIT_ENABLED: 'true',
  RATE_LIMIT_CUSTOMER_PER_WINDOW: '2',
});
// No worker and a short Temporal deadline: a hold cannot be answered in time (503).
// No worker anywhere, the API's own hold worker included: a hold can only be answered `unavailable`.
const bare = useStack(
  { TEMPORAL_CALL_TIMEOUT_MS: '1000', TEMPORAL_QUEUE_TIMEOUT_MS: '1000', HOLD_EAGER_START: 'false' },
  { worker: false },
);
const cleanup = cleanupAfterEach();

const hold = (productId: number, quantity = 1, extra: Record<string, unknown> = {}) =>
  stack.http.post('/api/holds', { product_id: productId, quantity, ...extra }, auth);
const order = (holdId: number) => stack.http.post('/api/orders', { hold_id: holdId }, auth);
const webhook = (body: Record<string, unknown>) => {
  const raw = JSON.stringify(body);
  return stack.http.post('/api/payments/webhook', raw, { 'X-Signature': signPayload(SECRET, raw) });
};

describe('each error code', () => {
  test('request shape: validation_failed, malformed_json, payload_too_large, not_found, method_not_allowed', async () => {
    expectCode(await stack.http.post('/api/holds', {}, auth), 422, 'validation_failed');
    expectCode(await stack.http.post('/api/holds', '{"product_id":', auth), 400, 'malformed_json');
    expectCode(await stack.http.post('/api/holds', { pad: 'x'.repeat(17_000) }, auth), 413, 'payload_too_large');
    expectCode(await stack.http.get('/api/products/999999999'), 404, 'not_found');
    expectCode(await stack.http.call('DELETE', '/api/products'), 405, 'method_not_allowed');
  });

  test('who may call: unauthorized, forbidden, invalid_signature, rate_limited', async () => {
    const productId = await createProduct(stack, 10);
    expectCode(await stack.http.post('/api/holds', { product_id: productId, quantity: 1 }), 401, 'unauthorized');
    const mine = await hold(productId, 1, { customer_id: 'cus_codes_owner' });
    const release = stack.http.post(`/api/holds/${mine.body.data.hold_id}/release`, { customer_id: 'x' }, auth);
    expectCode(await release, 403, 'forbidden');
    expectCode(await stack.http.post('/api/payments/webhook', {}), 401, 'invalid_signature');
    for (let i = 0; i < 2; i++) expect((await hold(productId, 1, { customer_id: 'cus_codes_busy' })).status).toBe(201);
    const limited = await hold(productId, 1, { customer_id: 'cus_codes_busy' });
    expectCode(limited, 429, 'rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  test('stock and limits: insufficient_stock, customer_limit', async () => {
    expectCode(await hold(await createProduct(stack, 1), 2), 400, 'insufficient_stock');
    const limited = await stack.http.post(
      '/api/admin/products',
      { name: 'One each', total_stock: 5, price: 1, max_per_customer: 1 },
      admin,
    );
    const productId = limited.body.data.id;
    expect((await hold(productId, 1, { customer_id: 'cus_codes_limit' })).status).toBe(201);
    expectCode(await hold(productId, 1, { customer_id: 'cus_codes_limit' }), 400, 'customer_limit');
  });

  test('a hold’s life: hold_released, hold_used, extension_limit, hold_expired', async () => {
    const productId = await createProduct(stack, 10);
    const released = (await hold(productId)).body.data.hold_id;
    expect((await stack.http.post(`/api/holds/${released}/release`, {}, auth)).status).toBe(200);
    expectCode(await order(released), 400, 'hold_released');

    const used = (await hold(productId)).body.data.hold_id;
    expect((await order(used)).status).toBe(201);
    expectCode(await order(used), 400, 'hold_used');

    const extended = (await hold(productId)).body.data;
    expectCode(
      await stack.http.post(`/api/holds/${extended.hold_id}/extend`, { seconds: 6 }, auth),
      400,
      'extension_limit',
    );

    const expiring = (await hold(productId)).body.data;
    await waitFor('the hold to expire', () => Date.now() > Date.parse(expiring.hold_expires_at) + 50);
    expectCode(await order(expiring.hold_id), 400, 'hold_expired');
  });

  test('payments and retries: order_not_pending, event_conflict, idempotency_conflict', async () => {
    const productId = await createProduct(stack, 10);
    const first = (await order((await hold(productId)).body.data.hold_id)).body.data.id;
    const second = (await order((await hold(productId)).body.data.hold_id)).body.data.id;
    expect((await webhook({ event_id: `evt-codes-${first}`, order_id: first, status: 'paid' })).status).toBe(200);
    expectCode(
      await webhook({ event_id: `evt-codes-b-${first}`, order_id: first, status: 'failed' }),
      400,
      'order_not_pending',
    );
    expectCode(
      await webhook({ event_id: `evt-codes-${first}`, order_id: second, status: 'paid' }),
      409,
      'event_conflict',
    );

    const key = { ...auth, 'Idempotency-Key': `codes-${productId}` };
    expect((await stack.http.post('/api/holds', { product_id: productId, quantity: 1 }, key)).status).toBe(201);
    const reused = await stack.http.post('/api/holds', { product_id: productId, quantity: 2 }, key);
    expectCode(reused, 422, 'idempotency_conflict');
  });

  test('without extension or worker: extension_disabled, unavailable', async () => {
    const productId = await createProduct(bare, 5);
    expectCode(await bare.http.post('/api/holds/1/extend', { seconds: 5 }), 400, 'extension_disabled');
    const res = await bare.http.post('/api/holds', { product_id: productId, quantity: 1 });
    expectCode(res, 503, 'unavailable');
    expect(res.headers.get('retry-after')).toBeTruthy();
  });

  test('a failure inside a route: internal_error, and nothing else in the body', async () => {
    const boom = () => {
      throw new Error('ER_SOMETHING: secret internals');
    };
    const deps = {
      db: stack.db,
      models: { Product: { findAll: boom, findByPk: boom } },
      cache: {},
      holds: {},
      log: createLogger('silent', 'test'),
    } as unknown as ApiDeps;
    const res = await httpClient(await serveLocally(createApp(deps), cleanup)).get('/api/products');
    expectCode(res, 500, 'internal_error');
    expect(res.body.message).toBe('Internal server error');
    expect(res.text).not.toContain('secret');
  });
});

test('every code of the list was reached above', () => {
  const missing = ERROR_CODES.filter((code) => !reached.has(code));
  expect(missing).toEqual([]);
});
