import Redis from 'ioredis';
import { addressKey, clientKey } from '../../src/api/security';
import { availableStock, createProduct } from '../../harness/fixtures';
import type { Reply } from '../../harness/http';
import { startStack, type Stack } from '../../harness/stack';
import { addressSource, expectSecurityHeaders, expectTooManyRequests, from } from './support/security';
import { startGuardedStack, WINDOW } from './support/security';
import { cleanupAfterEach } from './support/cleanup';

/**
 * Per-address rate limits on the write endpoints (src/api/rate-limits.ts), Redis-backed or in memory while Redis is
 * unreachable, and who the client is behind a proxy. Their own address range: security-headers.test.ts has another.
 */
const freshAddress = addressSource(18);
const cleanup = cleanupAfterEach();

let stack: Stack;
beforeAll(async () => {
  stack = await startGuardedStack();
});
afterAll(async () => stack?.close());

/** Sends `send(i)` for i from 0 to `times` - 1, each to be answered `status`: a budget spent. */
async function spend(times: number, status: number, send: (i: number) => Promise<Reply>) {
  for (let i = 0; i < times; i++) expect((await send(i)).status).toBe(status);
}

describe('rate limits (Redis-backed)', () => {
  test('past the limit a client gets 429 with Retry-After and the error envelope; nothing is reserved', async () => {
    const productId = await createProduct(stack, 50);
    const client = from(freshAddress());
    const holdOne = (headers: Record<string, string>) =>
      stack.http.post('/api/holds', { product_id: productId, quantity: 1 }, headers);
    await spend(3, 201, () => holdOne(client));
    const refused = await holdOne(client);
    expectTooManyRequests(refused, WINDOW);
    expectSecurityHeaders(refused);
    expect(await availableStock(stack.db, productId)).toBe(47);

    // Counted in Redis under the client's address, so every API process shares the budget.
    const redis = new Redis(stack.config.REDIS_URL);
    cleanup(() => redis.disconnect());
    const keys = await redis.keys('ratelimit:holds:*');
    expect(keys.length).toBeGreaterThan(0);

    // Another client is not affected, nor are reads by the limited one.
    expect((await holdOne(from(freshAddress()))).status).toBe(201);
    expect((await stack.http.get('/api/holds?limit=1', client)).status).toBe(200);
    expect((await stack.http.get(`/api/products/${productId}`, client)).status).toBe(200);
  });

  test('every write endpoint is limited, refused requests count too, and each group has its own budget', async () => {
    const client = from(freshAddress());
    // Release shares the holds budget; a 404 spends it like a success.
    await spend(3, 404, () => stack.http.post('/api/holds/999999999/release', {}, client));
    expectTooManyRequests(await stack.http.post('/api/holds/999999999/release', {}, client), WINDOW);
    expectTooManyRequests(await stack.http.post('/API/Holds/', {}, client), WINDOW);

    await spend(2, 422, () => stack.http.post('/api/orders', {}, client));
    expectTooManyRequests(await stack.http.post('/api/orders', {}, client), WINDOW);

    await spend(2, 422, () => stack.http.post('/api/payments/webhook', {}, client));
    expectTooManyRequests(await stack.http.post('/api/payments/webhook', {}, client), WINDOW);

    // Admin: checked before the token, so guessing tokens is limited too.
    const admin = from(freshAddress());
    await spend(20, 401, () => stack.http.post('/api/admin/products', {}, { ...admin, Authorization: 'Bearer nope' }));
    expectTooManyRequests(await stack.http.post('/api/admin/products', {}, admin), WINDOW);
  });

  test('behind a trusted proxy the client is the entry the proxy added, whatever the client put before it', async () => {
    const address = freshAddress();
    await spend(2, 422, (i) => stack.http.post('/api/orders', {}, { 'X-Forwarded-For': `10.0.0.${i}, ${address}` }));
    expectTooManyRequests(
      await stack.http.post('/api/orders', {}, { 'X-Forwarded-For': `10.9.9.9, ${address}` }),
      WINDOW,
    );
  });
});

describe('client address', () => {
  const request = (socket: string, forwarded = '') =>
    ({ get: () => forwarded, req: { socket: { remoteAddress: socket } } }) as unknown as Parameters<
      typeof clientKey
    >[0];

  test('IPv4-mapped addresses count as IPv4; IPv6 clients are counted per /64', () => {
    expect(addressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe(addressKey('2001:0db8:0001:0002:ffff:1:2:3'));
    expect(addressKey('2001:db8:1:2::1')).not.toBe(addressKey('2001:db8:1:3::1'));
  });

  test('X-Forwarded-For counts only with TRUST_PROXY, from the right, and only when it is an address', () => {
    expect(clientKey(request('127.0.0.1', '198.51.100.1'), 0)).toBe('127.0.0.1');
    expect(clientKey(request('127.0.0.1', '203.0.113.9, 198.51.100.1'), 1)).toBe('198.51.100.1');
    expect(clientKey(request('127.0.0.1', '203.0.113.9, 198.51.100.1'), 2)).toBe('203.0.113.9');
    expect(clientKey(request('127.0.0.1', '198.51.100.1'), 3)).toBe('198.51.100.1');
    expect(clientKey(request('127.0.0.1', '198.51.100.1:4711'), 1)).toBe('198.51.100.1');
    expect(clientKey(request('127.0.0.1', 'not-an-address'), 1)).toBe('127.0.0.1');
    expect(clientKey(request('::ffff:127.0.0.1'), 1)).toBe('127.0.0.1');
  });
});

/**
 * Stacks of their own, last: the model classes are bound to the Sequelize instance of the stack started last,
 * so nothing may use the main stack once another one has been closed.
 */
describe('with other settings', () => {
  test('without TRUST_PROXY, X-Forwarded-For is ignored; a budget comes back when its window ends', async () => {
    const direct = await startStack(
      {
        RATE_LIMIT_ENABLED: 'true',
        RATE_LIMIT_WINDOW_SECONDS: '2',
        RATE_LIMIT_ORDERS_PER_WINDOW: '2',
        RATE_LIMIT_HOLDS_PER_WINDOW: '0',
      },
      { worker: false },
    );
    cleanup(() => direct.close());
    // The socket address (127.0.0.1) decides, however the header changes.
    await spend(2, 422, () => direct.http.post('/api/orders', {}, from(freshAddress())));
    const refused = await direct.http.post('/api/orders', {}, from(freshAddress()));
    expectTooManyRequests(refused, 2);
    // A limit of 0 is off.
    await spend(5, 422, () => direct.http.post('/api/holds', {}, from(freshAddress())));

    await new Promise((r) => setTimeout(r, Number(refused.headers.get('retry-after')) * 1000 + 200));
    expect((await direct.http.post('/api/orders', {})).status).toBe(422);
  });

  test('while Redis is unreachable holds are answered as usual, quickly, and limits still apply (in memory)', async () => {
    const offline = await startStack({
      REDIS_URL: 'redis://127.0.0.1:1/0',
      HOLD_TTL_SECONDS: '60',
      RATE_LIMIT_ENABLED: 'true',
      RATE_LIMIT_HOLDS_PER_WINDOW: '3',
      TRUST_PROXY: '1',
    });
    cleanup(() => offline.close());
    const productId = await createProduct(offline, 20);
    const client = from(freshAddress());
    for (let i = 0; i < 3; i++) {
      const started = Date.now();
      const res = await offline.http.post('/api/holds', { product_id: productId, quantity: 2 }, client);
      expect(res.status).toBe(201);
      expect(Date.now() - started).toBeLessThan(5_000);
    }
    const started = Date.now();
    const refused = await offline.http.post('/api/holds', { product_id: productId, quantity: 2 }, client);
    expect(Date.now() - started).toBeLessThan(1_000);
    expectTooManyRequests(refused, 60);
    expect(await availableStock(offline.db, productId)).toBe(14);
    // Another address still has its own budget.
    const other = await offline.http.post('/api/holds', { product_id: productId, quantity: 1 }, from(freshAddress()));
    expect(other.status).toBe(201);
  });
});
