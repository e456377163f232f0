import type { Server } from 'node:http';
import { createApp } from '../../src/api/app';
import type { ApiDeps } from '../../src/api/context';
import type { SecuritySettings } from '../../src/api/security';
import { createLogger } from '../../src/logger';
import { httpClient, type HttpClient } from '../../harness/http';
import type { Stack } from '../../harness/stack';
import { ISO } from './support/answers';
import { cleanupAfterEach } from './support/cleanup';
import { addressSource, expectSecurityHeaders, expectTooManyRequests, from } from './support/security';
import { SHOP, startGuardedStack, WINDOW } from './support/security';

/** Security headers on every answer, CORS only for configured origins, no internals in an error body. */
const freshAddress = addressSource(19);
const cleanup = cleanupAfterEach();

let stack: Stack;
beforeAll(async () => {
  stack = await startGuardedStack();
});
afterAll(async () => stack?.close());

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

/** The real app around fake dependencies, closed after the test: CORS `*` and a route that throws, no whole stack. */
async function bareApp(security: SecuritySettings, models: unknown): Promise<{ http: HttpClient }> {
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
  cleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as { port: number };
  return { http: httpClient(`http://127.0.0.1:${port}`) };
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
  });

  test('an error thrown in a route answers only "Internal server error": no stack, no SQL, no message', async () => {
    const boom = () => {
      const err = new Error("ER_BAD_FIELD_ERROR: Unknown column 'secret' in SELECT * FROM products");
      err.stack = `${err.message}\n    at Product.findAll (/srv/app/node_modules/sequelize/lib/model.js:1:1)`;
      throw err;
    };
    const app = await bareApp(NO_LIMITS, { Product: { findAll: boom, findByPk: boom } });
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
  });
});

function preflight(http: HttpClient, origin: string, path = '/api/holds') {
  return http.call('OPTIONS', path, undefined, {
    Origin: origin,
    'Access-Control-Request-Method': 'POST',
    'Access-Control-Request-Headers': 'content-type,idempotency-key',
  });
}
