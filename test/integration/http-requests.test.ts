import Redis from 'ioredis';
import { BODY_LIMIT_BYTES } from '../../src/api/middleware';
import { availableStock, createProduct } from '../../harness/fixtures';
import { expectErrorEnvelope, expectRefusal, UUID } from './support/answers';
import { cleanupAfterEach } from './support/cleanup';
import { rawClient } from './support/raw-http';
import { countRows } from './support/rows';
import { useStack } from './support/stack';

/** What the API does with whatever a client sends: odd bodies, routes, methods and ids; OPTIONS. */
const stack = useStack({ HOLD_TTL_SECONDS: '60', PAYMENT_TIMEOUT_SECONDS: '60' });

const raw = rawClient(() => stack.baseUrl);
const cleanup = cleanupAfterEach();

const holdCount = (productId: number) =>
  countRows(stack.db, 'SELECT COUNT(*) AS n FROM holds WHERE product_id = ?', productId);
/** Each resource read by id, and how its 404 names it. */
const byId = [
  ['products', 'Product not found'],
  ['holds', 'Hold not found'],
  ['orders', 'Order not found'],
] as const;

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
      expectRefusal(await stack.http.post(path, body), 400, 'Malformed JSON body');
    }
    expect(await holdCount(productId)).toBe(0);
    expect(await availableStock(stack.db, productId)).toBe(20);
  });

  test(`a body over ${BODY_LIMIT_BYTES} bytes → 413, declared or chunked; nothing reserved`, async () => {
    expect(BODY_LIMIT_BYTES).toBe(16 * 1024);
    const big = JSON.stringify({ product_id: productId, quantity: 1, pad: 'x'.repeat(BODY_LIMIT_BYTES) });
    const declared = await stack.http.post('/api/holds', big);
    expectRefusal(declared, 413);
    expect(declared.headers.get('x-request-id')).toBeTruthy();

    expectRefusal(
      await raw('POST', '/api/holds', {
        headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
        chunks: [Buffer.from(big.slice(0, 10_000)), Buffer.from(big.slice(10_000))],
      }),
      413,
    );
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
    expectRefusal(
      await raw('POST', '/api/holds', {
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: `product_id=${productId}&quantity=1`,
      }),
      400,
      'Malformed JSON body',
    );
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
      expectRefusal(await stack.http.get(path), 404);
      expectRefusal(await stack.http.post(path, '{not json'), 404);
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
    expectRefusal(res, 405);
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
    expectRefusal(res, 405, 'Method not allowed');
    expect(String(res.headers.allow).split(/,\s*/).sort()).toEqual(['GET', 'HEAD']);
  });

  const ids = ['01', '1abc', 'abc', '-1', '0', '99999999999999999999', '1.0', '%201', '1%20'];
  test.each(ids)('non-canonical path id %j → 404 with the resource named', async (id) => {
    for (const [resource, message] of byId) {
      const path = `/api/${resource}/${id}`;
      const res = await stack.http.get(path);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      expectErrorEnvelope(res.body, message);
    }
    expectRefusal(await stack.http.post(`/api/holds/${id}/release`), 404, 'Hold not found');
  });

  test('a non-canonical product id leaves no cache entry behind', async () => {
    const productId = await createProduct(stack, 3);
    const redis = new Redis(stack.config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    cleanup(() => redis.disconnect());
    await redis.connect();
    for (const id of [`0${productId}`, `${productId}abc`]) {
      expect((await stack.http.get(`/api/products/${id}`)).status).toBe(404);
      expect(await redis.exists(`product:${id}`)).toBe(0);
    }
  });

  test('ids that name nothing → 404', async () => {
    for (const [resource, message] of byId) {
      expectRefusal(await stack.http.get(`/api/${resource}/2147483647`), 404, message);
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
    expectRefusal(await raw('OPTIONS', '/api/nowhere'), 404, 'Route not found');
  });

  test('an unknown method on an unknown route is a 404 JSON', async () => {
    expectRefusal(await raw('PURGE', '/api/nowhere'), 404, 'Route not found');
  });
});
