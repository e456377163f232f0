import type { Server } from 'node:http';
import Redis from 'ioredis';
import { createApp } from '../../src/api/app';
import type { ApiDeps } from '../../src/api/context';
import { addressKey, clientKey, type SecuritySettings } from '../../src/api/security';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { availableStock, createProduct } from '../../harness/fixtures';
import { httpClient, type HttpClient, type Reply } from '../../harness/http';
import { startStack, type Stack } from '../../harness/stack';

/**
 * Hostile-input defences of src/api/security.ts against the real service: per-address rate limits on the write
 * endpoints (Redis-backed, in memory when Redis is unreachable), security headers on every answer, CORS only
 * for configured origins, and no internals in any body.
 */

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const SHOP = 'https://shop.example.com';

/** A fresh client address for each use (a benchmarking range: only ever a header value here, never a target). */
let nextAddress = 1;
const freshAddress = () => `198.18.${Math.floor(nextAddress / 250)}.${(nextAddress++ % 250) + 1}`;
const from = (address: string) => ({ 'X-Forwarded-For': address });

function expectTooManyRequests(res: Reply, windowSeconds: number) {
  expect(res.status).toBe(429);
  expect(Object.keys(res.body ?? {}).sort()).toEqual(['code', 'message', 'status', 'timestamp']);
  expect(res.body).toMatchObject({ status: 'error', message: 'Too many requests', code: 'rate_limited' });
  expect(res.body.timestamp).toMatch(ISO);
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(windowSeconds);
  expect(res.headers.get('x-request-id')).toBeTruthy();
}

function expectSecurityHeaders(res: Reply) {
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  expect(res.headers.get('x-frame-options')).toBe('DENY');
  expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  expect(res.headers.get('x-powered-by')).toBeNull();
}

/** Rate-limit counters are shared in Redis across runs: every run starts from zero. */
async function clearCounters(url: string) {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', 'ratelimit:*', 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    if (keys.length) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}

const WINDOW = 60;

let stack: Stack;
beforeAll(async () => {
  await clearCounters(loadConfig().REDIS_URL);
  stack = await startStack({
    HOLD_TTL_SECONDS: '60',
    PAYMENT_TIMEOUT_SECONDS: '60',
    RATE_LIMIT_ENABLED: 'true',
    RATE_LIMIT_WINDOW_SECONDS: String(WINDOW),
    RATE_LIMIT_HOLDS_PER_WINDOW: '3',
    RATE_LIMIT_ORDERS_PER_WINDOW: '2',
    RATE_LIMIT_WEBHOOKS_PER_WINDOW: '2',
    RATE_LIMIT_ADMIN_PER_WINDOW: '20',
    TRUST_PROXY: '1',
    CORS_ORIGINS: `${SHOP}, http://localhost:5173`,
  });
});
afterAll(async () => stack?.close());

describe('rate limits (Redis-backed)', () => {
  test('past the limit a client gets 429 with Retry-After and the error envelope; nothing is reserved', async () => {
    const productId = await createProduct(stack, 50);
    const client = from(freshAddress());
    for (let i = 0; i < 3; i++) {
      const res = await stack.http.post('/api/holds', { product_id: productId, quantity: 1 }, client);
      expect(res.status).toBe(201);
    }
    const refused = await stack.http.post('/api/holds', { product_id: productId, quantity: 1 }, client);
    expectTooManyRequests(refused, WINDOW);
    expectSecurityHeaders(refused);
    expect(await availableStock(stack.db, productId)).toBe(47);

    // Counted in Redis under the client's address, so every API process shares the budget.
    const redis = new Redis(stack.config.REDIS_URL);
    try {
      const keys = await redis.keys('ratelimit:holds:*');
      expect(keys.length).toBeGreaterThan(0);
    } finally {
      redis.disconnect();
    }

    // Another client is not affected, nor are reads by the limited one.
    const other = await stack.http.post('/api/holds', { product_id: productId, quantity: 1 }, from(freshAddress()));
    expect(other.status).toBe(201);
    expect((await stack.http.get('/api/holds?limit=1', client)).status).toBe(200);
    expect((await stack.http.get(`/api/products/${productId}`, client)).status).toBe(200);
  });

  test('every write endpoint is limited, refused requests count too, and each group has its own budget', async () => {
    const client = from(freshAddress());
    // Release shares the holds budget; a 404 spends it like a success.
    for (let i = 0; i < 3; i++)
      expect((await stack.http.post('/api/holds/999999999/release', {}, client)).status).toBe(404);
    expectTooManyRequests(await stack.http.post('/api/holds/999999999/release', {}, client), WINDOW);
    expectTooManyRequests(await stack.http.post('/API/Holds/', {}, client), WINDOW);

    for (let i = 0; i < 2; i++) expect((await stack.http.post('/api/orders', {}, client)).status).toBe(422);
    expectTooManyRequests(await stack.http.post('/api/orders', {}, client), WINDOW);

    for (let i = 0; i < 2; i++) expect((await stack.http.post('/api/payments/webhook', {}, client)).status).toBe(422);
    expectTooManyRequests(await stack.http.post('/api/payments/webhook', {}, client), WINDOW);

    // Admin: checked before the token, so guessing tokens is limited too.
    const admin = from(freshAddress());
    for (let i = 0; i < 20; i++) {
      expect(
        (await stack.http.post('/api/admin/products', {}, { ...admin, Authorization: 'Bearer nope' })).status,
      ).toBe(401);
    }
    expectTooManyRequests(await stack.http.post('/api/admin/products', {}, admin), WINDOW);
  });

  test('behind a trusted proxy the client is the entry the proxy added, whatever the client put before it', async () => {
    const address = freshAddress();
    for (let i = 0; i < 2; i++) {
      const res = await stack.http.post('/api/orders', {}, { 'X-Forwarded-For': `10.0.0.${i}, ${address}` });
      expect(res.status).toBe(422);
    }
    expectTooManyRequests(
      await stack.http.post('/api/orders', {}, { 'X-Forwarded-For': `10.9.9.9, ${address}` }),
      WINDOW,
    );
  });
});

describe('security headers', () => {
  test('on answers of every kind, with a strict CSP on JSON and no X-Powered-By', async () => {
    const answers = [
      await stack.http.get('/api'),
      await stack.http.get('/api/products'),
      await stack.http.get('/api/openapi.json'),
      await stack.http.get('/api/nowhere'),
      await stack.http.post('/api/holds', '{bad json', from(freshAddress())),
      await stack.http.call('DELETE', '/api/holds'),
    ];
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 404, 400, 405]);
    for (const res of answers) {
      expectSecurityHeaders(res);
      expect(res.headers.get('content-security-policy')).toMatch(/^default-src 'none'/);
      expect(res.headers.get('content-security-policy')).not.toContain('script-src');
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
  });

  test('/docs keeps a policy that lets Swagger UI load its own scripts and styles, and nothing from elsewhere', async () => {
    const page = await stack.http.get('/docs');
    expect(page.status).toBe(200);
    expectSecurityHeaders(page);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toMatch(/https?:|\*/);
    const asset = await stack.http.get('/docs/swagger-ui-bundle.js');
    expect(asset.status).toBe(200);
    expectSecurityHeaders(asset);
  });
});

describe('CORS', () => {
  test('a preflight from an allowed origin is answered with what the browser needs', async () => {
    const res = await preflight(stack.http, SHOP);
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect(res.headers.get('access-control-allow-origin')).toBe(SHOP);
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    const allowed = res.headers.get('access-control-allow-headers')!.toLowerCase();
    for (const h of ['content-type', 'idempotency-key', 'authorization', 'x-signature']) expect(allowed).toContain(h);
    expect(Number(res.headers.get('access-control-max-age'))).toBeGreaterThan(0);
    expect(res.headers.get('vary')).toMatch(/origin/i);
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    expectSecurityHeaders(res);
    // Preflights are reads: they spend no write budget.
    for (let i = 0; i < 5; i++) expect((await preflight(stack.http, SHOP)).status).toBe(204);
  });

  test('a preflight from another origin gets no CORS headers, so the browser refuses the call', async () => {
    const res = await preflight(stack.http, 'https://evil.example.net');
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('access-control-allow-methods')).toBeNull();
    const plain = await stack.http.get('/api', { Origin: 'https://evil.example.net' });
    expect(plain.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('answers to an allowed origin, errors and 429s included, expose X-Request-Id, Link and Retry-After', async () => {
    const list = await stack.http.get('/api/holds?limit=1', { Origin: SHOP });
    expect(list.headers.get('access-control-allow-origin')).toBe(SHOP);
    const exposed = (list.headers.get('access-control-expose-headers') ?? '').toLowerCase().split(/\s*,\s*/);
    expect(exposed).toEqual(expect.arrayContaining(['x-request-id', 'link', 'retry-after']));

    const client = { Origin: SHOP, ...from(freshAddress()) };
    for (let i = 0; i < 2; i++) expect((await stack.http.post('/api/orders', {}, client)).status).toBe(422);
    const refused = await stack.http.post('/api/orders', {}, client);
    expectTooManyRequests(refused, WINDOW);
    expect(refused.headers.get('access-control-allow-origin')).toBe(SHOP);
    expect(refused.headers.get('access-control-expose-headers')).toMatch(/Retry-After/);
  });
});

/** The real app around fake dependencies: CORS `*` and a route that throws, without a whole stack. */
async function bareApp(
  security: SecuritySettings,
  models: unknown,
): Promise<{ http: HttpClient; close: () => Promise<void> }> {
  const deps = {
    db: stack.db,
    models,
    cache: {},
    holds: {},
    log: createLogger('silent', 'test'),
    security,
  } as unknown as ApiDeps;
  const server: Server = await new Promise((resolve) => {
    const s = createApp(deps).listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as { port: number };
  return {
    http: httpClient(`http://127.0.0.1:${port}`),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const NO_LIMITS: SecuritySettings = {
  rateLimits: { holds: 0, orders: 0, webhooks: 0, admin: 0 },
  windowSeconds: 60,
  trustProxy: 0,
};

describe('CORS and errors outside the stack', () => {
  test('without CORS_ORIGINS no CORS header is ever sent; with `*` any origin may call', async () => {
    const none = await bareApp(NO_LIMITS, {});
    const any = await bareApp({ ...NO_LIMITS, corsOrigins: ['*'] }, {});
    try {
      const closed = await preflight(none.http, SHOP);
      expect(closed.status).toBe(204);
      expect([...closed.headers.keys()].filter((h) => h.startsWith('access-control-'))).toEqual([]);
      expect((await none.http.get('/api', { Origin: SHOP })).headers.get('access-control-allow-origin')).toBeNull();

      const open = await preflight(any.http, 'http://localhost:3000');
      expect(open.status).toBe(204);
      expect(open.headers.get('access-control-allow-origin')).toBe('*');
      const get = await any.http.get('/api', { Origin: 'http://localhost:3000' });
      expect(get.headers.get('access-control-allow-origin')).toBe('*');
      expect(get.headers.get('access-control-expose-headers')).toMatch(/X-Request-Id/);
    } finally {
      await none.close();
      await any.close();
    }
  });

  test('an error thrown in a route answers only "Internal server error": no stack, no SQL, no message', async () => {
    const boom = () => {
      const err = new Error("ER_BAD_FIELD_ERROR: Unknown column 'secret' in SELECT * FROM products");
      err.stack = `${err.message}\n    at Product.findAll (/srv/app/node_modules/sequelize/lib/model.js:1:1)`;
      throw err;
    };
    const app = await bareApp(NO_LIMITS, { Product: { findAll: boom, findByPk: boom } });
    try {
      const res = await app.http.get('/api/products', { 'X-Request-Id': 'trace-boom' });
      expect(res.status).toBe(500);
      expect(res.body).toEqual({
        status: 'error',
        message: 'Internal server error',
        code: 'internal_error',
        timestamp: expect.stringMatching(ISO),
      });
      expect(res.text).not.toMatch(/SELECT|ER_|secret|node_modules|at /);
      expect(res.headers.get('x-request-id')).toBe('trace-boom');
      expectSecurityHeaders(res);
    } finally {
      await app.close();
    }
  });
});

function preflight(http: HttpClient, origin: string, path = '/api/holds') {
  return http.call('OPTIONS', path, undefined, {
    Origin: origin,
    'Access-Control-Request-Method': 'POST',
    'Access-Control-Request-Headers': 'content-type,idempotency-key',
  });
}

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
    try {
      // The socket address (127.0.0.1) decides, however the header changes.
      for (let i = 0; i < 2; i++) {
        expect((await direct.http.post('/api/orders', {}, from(freshAddress()))).status).toBe(422);
      }
      const refused = await direct.http.post('/api/orders', {}, from(freshAddress()));
      expectTooManyRequests(refused, 2);
      // A limit of 0 is off.
      for (let i = 0; i < 5; i++)
        expect((await direct.http.post('/api/holds', {}, from(freshAddress()))).status).toBe(422);

      await new Promise((r) => setTimeout(r, Number(refused.headers.get('retry-after')) * 1000 + 200));
      expect((await direct.http.post('/api/orders', {})).status).toBe(422);
    } finally {
      await direct.close();
    }
  });

  test('while Redis is unreachable holds are answered as usual, quickly, and limits still apply (in memory)', async () => {
    const offline = await startStack({
      REDIS_URL: 'redis://127.0.0.1:1/0',
      HOLD_TTL_SECONDS: '60',
      RATE_LIMIT_ENABLED: 'true',
      RATE_LIMIT_HOLDS_PER_WINDOW: '3',
      TRUST_PROXY: '1',
    });
    try {
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
    } finally {
      await offline.close();
    }
  });
});
