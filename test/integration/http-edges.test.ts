import { request as httpRequest } from 'node:http';
import Koa from 'koa';
import Redis from 'ioredis';
import { ERROR_CODES } from '../../src/api/error-codes';
import { QueryTypes } from 'sequelize';
import type { ApiState } from '../../src/api/context';
import { BODY_LIMIT_BYTES, errorMapping, requestContext } from '../../src/api/middleware';
import { createLogger } from '../../src/logger';
import { availableStock, createProduct } from '../../harness/fixtures';
import { startStack, type Stack } from '../../harness/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ HOLD_TTL_SECONDS: '60', PAYMENT_TIMEOUT_SECONDS: '60' });
});
afterAll(async () => stack.close());

interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  body: any;
}

/**
 * A request exactly as given (any method, header bytes, chunked bodies): fetch refuses some of what a
 * careless or hostile client can send.
 */
function raw(
  method: string,
  path: string,
  opts: { headers?: Record<string, string>; body?: string | Buffer; chunks?: Buffer[] } = {},
): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(stack.baseUrl + path, { method, headers: opts.headers ?? {} }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        let body: any;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode!, headers: res.headers, text, body });
      });
    });
    req.on('error', reject);
    if (opts.chunks) for (const c of opts.chunks) req.write(c);
    else if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** `{"status":"error","message":…,"code":…,"timestamp":…}` and nothing else. */
function expectErrorEnvelope(body: any, message?: string) {
  expect(Object.keys(body ?? {}).sort()).toEqual(['code', 'message', 'status', 'timestamp']);
  expect(ERROR_CODES).toContain(body.code);
  expect(body.status).toBe('error');
  expect(typeof body.message).toBe('string');
  expect(body.timestamp).toMatch(ISO);
  if (message !== undefined) expect(body.message).toBe(message);
}

const holdCount = async (productId: number) => {
  const [row] = await stack.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM holds WHERE product_id = ?', {
    replacements: [productId],
    type: QueryTypes.SELECT,
  });
  return Number(row.n);
};

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

describe('bodies', () => {
  let productId: number;
  beforeAll(async () => {
    productId = await createProduct(stack, 20);
  });

  test.each([
    ['a truncated object', '{"product_id":'],
    ['single quotes', "{'product_id':1,'quantity':1}"],
    ['a trailing comma', '{"product_id":1,"quantity":1,}'],
    ['bare words', 'product_id=1&quantity=1'],
    ['two documents', '{"product_id":1}{"quantity":1}'],
  ])('malformed JSON (%s) → 400 "Malformed JSON body", nothing reserved', async (_, text) => {
    const body = text.replace(/"product_id":1/g, `"product_id":${productId}`);
    for (const path of ['/api/holds', '/api/orders', '/api/payments/webhook']) {
      const res = await stack.http.post(path, body);
      expect(res.status).toBe(400);
      expectErrorEnvelope(res.body, 'Malformed JSON body');
    }
    expect(await holdCount(productId)).toBe(0);
    expect(await availableStock(stack.db, productId)).toBe(20);
  });

  test(`a body over ${BODY_LIMIT_BYTES} bytes → 413, declared or chunked; nothing reserved`, async () => {
    expect(BODY_LIMIT_BYTES).toBe(16 * 1024);
    const big = JSON.stringify({ product_id: productId, quantity: 1, pad: 'x'.repeat(BODY_LIMIT_BYTES) });
    const declared = await stack.http.post('/api/holds', big);
    expect(declared.status).toBe(413);
    expectErrorEnvelope(declared.body);
    expect(declared.headers.get('x-request-id')).toBeTruthy();

    const chunked = await raw('POST', '/api/holds', {
      headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
      chunks: [Buffer.from(big.slice(0, 10_000)), Buffer.from(big.slice(10_000))],
    });
    expect(chunked.status).toBe(413);
    expectErrorEnvelope(chunked.body);
    expect(await holdCount(productId)).toBe(0);
  });

  test('a body of exactly 16 KiB is read', async () => {
    const base = JSON.stringify({ product_id: productId, quantity: 1, pad: '' });
    const exact = base.replace('"pad":""', `"pad":"${'x'.repeat(BODY_LIMIT_BYTES - base.length)}"`);
    expect(Buffer.byteLength(exact)).toBe(BODY_LIMIT_BYTES);
    const res = await stack.http.post('/api/holds', exact);
    expect(res.status).toBe(201);
    expect((await stack.http.post(`/api/holds/${res.body.data.hold_id}/release`)).status).toBe(200);
    expect(await availableStock(stack.db, productId)).toBe(20);
  });

  test.each([
    ['text/plain', 'text/plain'],
    ['a form content type', 'application/x-www-form-urlencoded'],
    ['multipart', 'multipart/form-data; boundary=x'],
    ['no content type', undefined],
  ])('a JSON body is read as JSON whatever the Content-Type (%s)', async (_, contentType) => {
    const res = await raw('POST', '/api/holds', {
      headers: contentType ? { 'Content-Type': contentType } : {},
      body: JSON.stringify({ product_id: productId, quantity: 2 }),
    });
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body.data.hold_id).toEqual(expect.any(Number));
    expect((await stack.http.post(`/api/holds/${res.body.data.hold_id}/release`)).status).toBe(200);
  });

  test('a form-encoded body is not JSON: 400, never read as {}', async () => {
    const res = await raw('POST', '/api/holds', {
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `product_id=${productId}&quantity=1`,
    });
    expect(res.status).toBe(400);
    expectErrorEnvelope(res.body, 'Malformed JSON body');
  });

  test.each(['text/html', 'application/xml', 'text/plain', '*/*', 'image/png'])(
    'JSON answers whatever the Accept header (%s): success, validation, not found',
    async (accept) => {
      const headers = { Accept: accept };
      const ok = await stack.http.get(`/api/products/${productId}`, headers);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toMatch(/^application\/json/);
      const invalid = await stack.http.post('/api/holds', {}, headers);
      expect(invalid.status).toBe(422);
      expect(invalid.headers.get('content-type')).toMatch(/^application\/json/);
      expect(invalid.body.errors.product_id).toEqual(['The product id field is required.']);
      const missing = await stack.http.get('/api/nowhere', headers);
      expect(missing.status).toBe(404);
      expect(missing.headers.get('content-type')).toMatch(/^application\/json/);
    },
  );
});

describe('routes and methods', () => {
  test.each(['/api/nowhere', '/nowhere', '/', '/api/products/1/nothing', '/api/holds/1/cancel'])(
    'unknown route %s → 404 JSON envelope',
    async (path) => {
      const res = await stack.http.get(path);
      expect(res.status).toBe(404);
      expectErrorEnvelope(res.body);
      const post = await stack.http.post(path, '{not json');
      expect(post.status).toBe(404);
      expectErrorEnvelope(post.body);
    },
  );

  test.each([
    ['DELETE', '/api/products'],
    ['PUT', '/api/products/1'],
    ['PATCH', '/api/holds/1'],
    ['POST', '/api/products'],
    ['GET', '/api/payments/webhook'],
    ['GET', '/api/holds/1/release'],
    ['DELETE', '/api/admin/products'],
    ['POST', '/api'],
  ])('wrong method %s %s → 405 JSON with Allow', async (method, path) => {
    const res = await stack.http.call(method, path, method === 'GET' ? undefined : {});
    expect(res.status).toBe(405);
    expectErrorEnvelope(res.body);
    expect(res.headers.get('allow')).toBeTruthy();
    expect(res.headers.get('x-request-id')).toBeTruthy();
  });

  test('405 names the methods the route has', async () => {
    const res = await stack.http.call('DELETE', '/api/products');
    expectErrorEnvelope(res.body, 'Method not allowed');
    expect(res.headers.get('allow')!.split(/,\s*/).sort()).toEqual(['GET', 'HEAD']);
    const webhook = await stack.http.call('GET', '/api/payments/webhook');
    expect(webhook.headers.get('allow')).toBe('POST');
  });

  test('a method the router does not know on a known route → 405 JSON, never a 5xx', async () => {
    const res = await raw('PURGE', '/api/products');
    expect(res.status).toBe(405);
    expectErrorEnvelope(res.body, 'Method not allowed');
    expect(String(res.headers.allow).split(/,\s*/).sort()).toEqual(['GET', 'HEAD']);
  });

  const ids = ['01', '1abc', 'abc', '-1', '0', '99999999999999999999', '1.0', '%201', '1%20'];
  test.each(ids)('non-canonical path id %j → 404 with the resource named', async (id) => {
    for (const [path, message] of [
      [`/api/products/${id}`, 'Product not found'],
      [`/api/holds/${id}`, 'Hold not found'],
      [`/api/orders/${id}`, 'Order not found'],
    ]) {
      const res = await stack.http.get(path);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      expectErrorEnvelope(res.body, message);
    }
    const release = await stack.http.post(`/api/holds/${id}/release`);
    expect(release.status).toBe(404);
    expectErrorEnvelope(release.body, 'Hold not found');
  });

  test('a non-canonical product id leaves no cache entry behind', async () => {
    const productId = await createProduct(stack, 3);
    const redis = new Redis(stack.config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      for (const id of [`0${productId}`, `${productId}abc`]) {
        expect((await stack.http.get(`/api/products/${id}`)).status).toBe(404);
        expect(await redis.exists(`product:${id}`)).toBe(0);
      }
    } finally {
      redis.disconnect();
    }
  });

  test('ids that name nothing → 404', async () => {
    for (const [path, message] of [
      ['/api/products/2147483647', 'Product not found'],
      ['/api/holds/2147483647', 'Hold not found'],
      ['/api/orders/2147483647', 'Order not found'],
    ]) {
      const res = await stack.http.get(path);
      expect(res.status).toBe(404);
      expectErrorEnvelope(res.body, message);
    }
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
      const hold = await stack.http.post('/api/holds', { product_id: productIds[0], quantity: 1 });
      expect(hold.status).toBe(201);
      holdIds.push(hold.body.data.hold_id);
      const order = await stack.http.post('/api/orders', { hold_id: hold.body.data.hold_id });
      expect(order.status).toBe(201);
      orderIds.push(order.body.data.id);
    }
  });
  afterAll(async () => {
    // Settles the orders so no workflow of this file stays running.
    for (const orderId of orderIds) {
      await stack.http.post('/api/payments/webhook', {
        event_id: `page-${orderId}`,
        order_id: orderId,
        status: 'failed',
      });
    }
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
    const [{ n }] = await stack.db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${name}`, {
      type: QueryTypes.SELECT,
    });
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
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const port = (server.address() as { port: number }).port;
      const res = await fetch(`http://127.0.0.1:${port}/api/anything`, { headers: { 'X-Request-Id': 'trace-500' } });
      expect(res.status).toBe(500);
      const text = await res.text();
      expect(text).not.toMatch(/SQL|SELECT|ER_|stack|at /);
      expectErrorEnvelope(JSON.parse(text), 'Internal server error');
      expect(res.headers.get('x-request-id')).toBe('trace-500');
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe('OPTIONS', () => {
  test('a known route answers 204 with its methods; an unknown one 404 JSON', async () => {
    const res = await raw('OPTIONS', '/api/holds');
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect(String(res.headers.allow).split(/,\s*/).sort()).toEqual(['GET', 'HEAD', 'POST']);
    expect(res.headers['x-request-id']).toMatch(UUID);
    const unknown = await raw('OPTIONS', '/api/nowhere');
    expect(unknown.status).toBe(404);
    expectErrorEnvelope(unknown.body, 'Route not found');
  });

  test('an unknown method on an unknown route is a 404 JSON', async () => {
    const res = await raw('PURGE', '/api/nowhere');
    expect(res.status).toBe(404);
    expectErrorEnvelope(res.body, 'Route not found');
  });
});
