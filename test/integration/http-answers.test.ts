import Koa from 'koa';
import type { ApiState } from '../../src/api/context';
import { errorMapping, requestContext } from '../../src/api/middleware';
import { createLogger } from '../../src/logger';
import { createProduct } from '../../harness/fixtures';
import { expectErrorEnvelope, ISO, UUID } from './support/answers';
import { cleanupAfterEach } from './support/cleanup';
import { rawClient, serveLocally } from './support/raw-http';
import { countRows } from './support/rows';
import { payWebhook } from './support/purchase';
import { holdOf, orderOf, useStack } from './support/stack';

/** The shape of the API's answers: the welcome body, X-Request-Id, a product, pagination, a 500 that tells nothing. */
const stack = useStack({ HOLD_TTL_SECONDS: '60', PAYMENT_TIMEOUT_SECONDS: '60' });

const raw = rawClient(() => stack.baseUrl);
const cleanup = cleanupAfterEach();

describe('GET /api', () => {
  test('the welcome body, exactly', async () => {
    const res = await stack.http.get('/api');
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['message', 'status', 'timestamp']);
    expect(res.body).toEqual({
      message: 'Welcome to the API',
      status: 'success',
      timestamp: expect.stringMatching(ISO),
    });
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  });
});

describe('X-Request-Id', () => {
  test('on every response, success and errors alike', async () => {
    const replies = await Promise.all([
      stack.http.get('/api'),
      stack.http.get('/api/products'),
      stack.http.get('/api/nowhere'),
      stack.http.post('/api/holds', {}),
      stack.http.post('/api/holds', '{'),
      stack.http.call('DELETE', '/api/products'),
      stack.http.get('/api/products/abc'),
      stack.http.post('/api/admin/products', {}),
      stack.http.get('/api/products?limit=0'),
    ]);
    expect(replies.map((r) => r.status)).toEqual([200, 200, 404, 422, 400, 405, 404, 401, 422]);
    const ids = replies.map((r) => r.headers.get('x-request-id'));
    for (const id of ids) expect(id).toMatch(UUID);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test.each(['abc-123', 'req_01HXYZ.retry:2', 'A'.repeat(128), '7f9c2ba4-e88f-41d3-9bd7-45a2bb3e6d1b'])(
    'a sane client id %j is kept, on success and on errors',
    async (id) => {
      for (const res of [
        await stack.http.get('/api', { 'X-Request-Id': id }),
        await stack.http.post('/api/holds', '{', { 'X-Request-Id': id }),
        await stack.http.get('/api/nowhere', { 'X-Request-Id': id }),
      ]) {
        expect(res.headers.get('x-request-id')).toBe(id);
      }
    },
  );

  test.each([
    ['too long', 'A'.repeat(129)],
    ['with spaces', 'abc def'],
    ['with a quote', 'abc"def'],
    ['with a slash', '../etc/passwd'],
    ['non-ASCII', 'idé-ñ'],
    ['with a tab', 'abc\tdef'],
  ])('an insane client id (%s) is replaced', async (_, id) => {
    const res = await raw('GET', '/api', { headers: { 'X-Request-Id': id } });
    expect(res.status).toBe(200);
    expect(res.headers['x-request-id']).toMatch(UUID);
  });
});

describe('products', () => {
  test('product JSON shape, price a JSON number', async () => {
    const productId = await createProduct(stack, 12, 'Shape check');
    const res = await stack.http.get(`/api/products/${productId}`);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(
      ['available_stock', 'created_at', 'id', 'name', 'price', 'total_stock', 'updated_at'].sort(),
    );
    expect(res.body).toEqual({
      id: productId,
      name: 'Shape check',
      total_stock: 12,
      available_stock: 12,
      price: 10.5,
      created_at: expect.stringMatching(ISO),
      updated_at: expect.stringMatching(ISO),
    });
    expect(res.text).toMatch(/"price":10\.5\d?[,}]/);
    // Served again (from the cache now), the same.
    expect((await stack.http.get(`/api/products/${productId}`)).body).toEqual(res.body);
    // And in the list.
    const list = await stack.http.get(`/api/products?after_id=${productId - 1}&limit=1`);
    expect(list.body).toEqual([res.body]);
  });
});

describe('pagination', () => {
  const productIds: number[] = [];
  const holdIds: number[] = [];
  const orderIds: number[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) productIds.push(await createProduct(stack, 5, `Page ${i}`));
    for (let i = 0; i < 3; i++) {
      holdIds.push((await holdOf(stack, productIds[0])).hold_id);
      orderIds.push((await orderOf(stack, holdIds[i])).id);
    }
  });
  afterAll(async () => {
    // Settles the orders so no workflow of this file stays running.
    for (const orderId of orderIds) await payWebhook(stack, orderId, 'failed', `page-${orderId}`);
  });

  const linkOf = (res: { headers: Headers }) => res.headers.get('link');
  const nextFrom = (link: string | null) => /^<([^>]+)>; rel="next"$/.exec(link ?? '')?.[1];

  const resources = [
    ['products', () => productIds],
    ['holds', () => holdIds],
    ['orders', () => orderIds],
  ] as const;

  test.each(resources)(
    '%s: pages of 2 in ascending id, a Link to the next page, none on the last',
    async (name, mine) => {
      const ids = mine();
      let path: string | undefined = `/api/${name}?limit=2&after_id=${ids[0] - 1}`;
      const seen: number[] = [];
      let first = true;
      // Follows the Link headers until every id of this test has been seen (others may interleave).
      while (path && !ids.every((id) => seen.includes(id))) {
        const res = await stack.http.get(path);
        expect(res.status).toBe(200);
        expect(Array.isArray(res.body)).toBe(true);
        const pageIds = res.body.map((r: { id: number }) => r.id);
        if (first) expect(pageIds[0]).toBe(ids[0]);
        first = false;
        expect(pageIds.length).toBeLessThanOrEqual(2);
        expect([...pageIds].sort((a, b) => a - b)).toEqual(pageIds);
        if (seen.length) expect(pageIds[0]).toBeGreaterThan(seen[seen.length - 1]);
        seen.push(...pageIds);
        // A full page is followed by a Link while rows of this test remain (the very last page may be full too).
        if (pageIds.length === 2 && !ids.every((id) => seen.includes(id))) {
          expect(linkOf(res)).toBe(`</api/${name}?limit=2&after_id=${pageIds[1]}>; rel="next"`);
        }
        path = nextFrom(linkOf(res));
      }
      expect(ids.filter((id) => seen.includes(id))).toEqual(ids);

      // The last page carries no Link.
      const last = await stack.http.get(`/api/${name}?limit=1000&after_id=${ids[1]}`);
      expect(last.status).toBe(200);
      expect(last.body[0].id).toBe(ids[2]);
      expect(linkOf(last)).toBeNull();
      const beyond = await stack.http.get(`/api/${name}?after_id=2147483647`);
      expect(beyond.status).toBe(200);
      expect(beyond.body).toEqual([]);
      expect(linkOf(beyond)).toBeNull();
    },
  );

  test.each(resources)('%s: the default page is 100, limits 1 and 1000 allowed', async (name) => {
    const n = await countRows(stack.db, `SELECT COUNT(*) AS n FROM ${name}`);
    const all = await stack.http.get(`/api/${name}`);
    expect(all.status).toBe(200);
    expect(all.body.length).toBe(Math.min(100, Number(n)));
    if (Number(n) > 100) {
      expect(linkOf(all)).toBe(`</api/${name}?limit=100&after_id=${all.body[99].id}>; rel="next"`);
    }
    const one = await stack.http.get(`/api/${name}?limit=1`);
    expect(one.body).toHaveLength(1);
    expect(one.body[0]).toEqual(all.body[0]);
    expect(linkOf(one)).toBe(`</api/${name}?limit=1&after_id=${one.body[0].id}>; rel="next"`);
    const big = await stack.http.get(`/api/${name}?limit=1000`);
    expect(big.status).toBe(200);
    expect(big.body.length).toBe(Math.min(1000, Number(n)));
  });

  test.each(resources)('%s: a bad limit or after_id is a 422', async (name) => {
    const cases: [string, string, string][] = [
      ['limit=0', 'limit', 'The limit field must be at least 1.'],
      ['limit=-1', 'limit', 'The limit field must be at least 1.'],
      ['limit=1001', 'limit', 'The limit field must not be greater than 1000.'],
      ['limit=abc', 'limit', 'The limit field must be an integer.'],
      ['limit=1.5', 'limit', 'The limit field must be an integer.'],
      ['limit=1e2', 'limit', 'The limit field must be an integer.'],
      ['limit=99999999999', 'limit', 'The limit field must be an integer.'],
      ['limit=1&limit=2', 'limit', 'The limit field must be an integer.'],
      ['limit[]=1', 'limit[]', ''],
      ['after_id=abc', 'after_id', 'The after id field must be an integer.'],
      ['after_id=-1', 'after_id', 'The after id field must be at least 0.'],
    ];
    for (const [query, field, message] of cases) {
      const res = await stack.http.get(`/api/${name}?${query}`);
      if (!message) continue; // an unknown parameter (limit[]) is ignored like any other
      expect({ query, status: res.status, body: res.body }).toEqual({
        query,
        status: 422,
        body: { message, code: 'validation_failed', errors: { [field]: [message] } },
      });
      expect(linkOf(res)).toBeNull();
    }
  });
});

describe('500', () => {
  test('an unexpected failure answers only "Internal server error", with a request id', async () => {
    // The service's own request-id and error-mapping middleware, around a handler that fails the way a
    // database driver does: its message must never reach the client.
    const app = new Koa<ApiState>();
    app.silent = true;
    app.use(requestContext(createLogger('silent', 'test')));
    app.use(errorMapping());
    app.use(() => {
      throw new Error("ER_PARSE_ERROR: You have an error in your SQL syntax near 'SELECT * FROM products'");
    });
    const url = await serveLocally(app, cleanup);
    const res = await fetch(`${url}/api/anything`, { headers: { 'X-Request-Id': 'trace-500' } });
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toMatch(/SQL|SELECT|ER_|stack|at /);
    expectErrorEnvelope(JSON.parse(text), 'Internal server error');
    expect(res.headers.get('x-request-id')).toBe('trace-500');
  });
});
