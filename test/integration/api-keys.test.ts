import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { availableStock, createProduct } from '../../harness/fixtures';
import type { Reply } from '../../harness/http';
import { ADMIN_TOKEN } from '../../harness/stack';
import { expectError } from './support/admin';
import { runChild } from './support/child';
import { holdAndOrderCounts } from './support/rows';
import { holdOf, orderOf, useStack } from './support/stack';

/**
 * API keys (API_KEYS, src/api/api-keys.ts) on the real service: holds and orders need a valid key, reads of products,
 * GET /api, the webhook and the admin API do not; two keys work side by side during a rotation; a refusal changes
 * nothing; keys never reach the log. And the production start-up refusal without keys.
 */

const OLD_KEY = 'sk_test_old_0123456789abcdef';
const NEW_KEY = 'sk_test_new_0123456789abcdef';
const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

/** Everything the API logs during the run, as text. */
const logged: string[] = [];
const logSink = new Writable({
  write(chunk, _enc, done) {
    logged.push(chunk.toString());
    done();
  },
});

function expectUnauthorized(res: Reply) {
  expectError(res, 401, 'Unauthorized');
  expect(res.headers.get('www-authenticate')).toBe('Bearer');
}

const stack = useStack(
  { API_KEYS: `${OLD_KEY},${NEW_KEY}`, HOLD_TTL_SECONDS: '60', LOG_LEVEL: 'trace' },
  { log: pino({ level: 'trace' }, logSink) },
);

describe('with API_KEYS set', () => {
  test('every hold and order call without a valid key is a 401, and changes nothing', async () => {
    const productId = await createProduct(stack, 10);
    const { hold_id: holdId } = await holdOf(stack, productId, 1, bearer(NEW_KEY));
    const before = await holdAndOrderCounts(stack.db);

    const wrong: Record<string, string>[] = [
      {},
      bearer('sk_test_unknown_0123456789ab'),
      bearer(NEW_KEY.toUpperCase()),
      bearer(`${NEW_KEY}x`),
      bearer(NEW_KEY.slice(0, -1)),
      { Authorization: NEW_KEY },
      { Authorization: `Basic ${Buffer.from(`u:${NEW_KEY}`).toString('base64')}` },
      { 'X-Api-Key': NEW_KEY },
      bearer(ADMIN_TOKEN),
    ];
    for (const headers of wrong) {
      expectUnauthorized(await stack.http.post('/api/holds', { product_id: productId, quantity: 1 }, headers));
      expectUnauthorized(await stack.http.post(`/api/holds/${holdId}/release`, {}, headers));
      expectUnauthorized(await stack.http.post('/api/orders', { hold_id: holdId }, headers));
      expectUnauthorized(await stack.http.get('/api/holds', headers));
      expectUnauthorized(await stack.http.get(`/api/holds/${holdId}`, headers));
      expectUnauthorized(await stack.http.get('/api/orders', headers));
      expectUnauthorized(await stack.http.get('/api/orders/1', headers));
    }
    // Checked before the body is read: a malformed body without a key is a 401, not a 400.
    expectUnauthorized(await stack.http.post('/api/holds', '{"product_id":', {}));
    expect(await holdAndOrderCounts(stack.db)).toEqual(before);
    expect(await availableStock(stack.db, productId)).toBe(9);
  });

  test('the hold and order lists need a key; with one they answer as usual', async () => {
    expectUnauthorized(await stack.http.get('/api/holds?limit=1'));
    expectUnauthorized(await stack.http.get('/api/orders?limit=1'));
    const holds = await stack.http.get('/api/holds?limit=1', bearer(OLD_KEY));
    expect(holds.status).toBe(200);
    expect(Array.isArray(holds.body)).toBe(true);
    expect((await stack.http.get('/api/orders?limit=1', bearer(NEW_KEY))).status).toBe(200);
  });

  test('rotation: both listed keys work, for a whole checkout', async () => {
    const productId = await createProduct(stack, 5);
    const held = await holdOf(stack, productId, 2, bearer(OLD_KEY));
    const ordered = await orderOf(stack, held.hold_id, bearer(NEW_KEY));
    expect((await stack.http.get(`/api/orders/${ordered.id}`, bearer(OLD_KEY))).body.status).toBe('pending');
    expect(await availableStock(stack.db, productId)).toBe(3);
  });

  test('products, GET /api, the webhook and the admin API need no API key', async () => {
    const productId = await createProduct(stack, 3);
    expect((await stack.http.get('/api')).status).toBe(200);
    expect((await stack.http.get('/api/products?limit=1')).status).toBe(200);
    expect((await stack.http.get(`/api/products/${productId}`)).status).toBe(200);
    expect((await stack.http.get('/api/PRODUCTS/')).status).toBe(200);
    // Unsigned webhooks are accepted in this stack (no WEBHOOK_SECRET): a 422 on the body, not a 401.
    expect((await stack.http.post('/api/payments/webhook', {})).status).toBe(422);
    // The admin API keeps its own token: an API key is not one.
    expect(
      (await stack.http.post(`/api/admin/products/${productId}/restock`, { quantity: 1 }, bearer(NEW_KEY))).status,
    ).toBe(401);
    expect((await stack.http.get('/health')).status).toBe(200);
    expect((await stack.http.get('/api/openapi.json')).status).toBe(200);
  });

  test('keys never reach the log; requests carry the key’s fingerprint instead', async () => {
    await stack.http.post('/api/holds', { product_id: 1, quantity: 1 }, bearer('sk_test_guess_0123456789abc'));
    await stack.http.get('/api/holds?limit=1', bearer(NEW_KEY));
    const text = logged.join('');
    expect(text).toContain('"api_key":"key_');
    for (const secret of [OLD_KEY, NEW_KEY, 'sk_test_guess_0123456789abc']) expect(text).not.toContain(secret);
  });
});

describe('rate limits per key', () => {
  // The counters live in Redis under each key's fingerprint and outlast a run: keys of this run's own, so a second
  // run within the window starts with a full budget.
  const run = Date.now().toString(36);
  const [RUN_KEY, OTHER_RUN_KEY] = [`sk_test_old_${run}_0123456789`, `sk_test_new_${run}_0123456789`];
  const limited = useStack(
    {
      API_KEYS: `${RUN_KEY},${OTHER_RUN_KEY}`,
      RATE_LIMIT_ENABLED: 'true',
      RATE_LIMIT_API_KEY_PER_WINDOW: '3',
      RATE_LIMIT_ORDERS_PER_WINDOW: '1',
      TRUST_PROXY: '1',
      RATE_LIMIT_WINDOW_SECONDS: '1000',
    },
    { worker: false },
  );

  test('a key has its own budget whatever address it calls from; another key is not affected', async () => {
    const from = (address: string, key: string) => ({ ...bearer(key), 'X-Forwarded-For': address });
    // Refused requests spend the budget too (a 422 here): three from three addresses, then the key is spent.
    for (const address of ['198.18.7.1', '198.18.7.2', '198.18.7.3']) {
      expect((await limited.http.post('/api/orders', {}, from(address, RUN_KEY))).status).toBe(422);
    }
    const refused = await limited.http.post('/api/orders', {}, from('198.18.7.4', RUN_KEY));
    expect({ status: refused.status, code: refused.body.code }).toEqual({ status: 429, code: 'rate_limited' });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // The other key, from the same address, still has its budget (well past the address's own budget of 1).
    for (let i = 0; i < 3; i++) {
      expect((await limited.http.post('/api/orders', {}, from('198.18.7.4', OTHER_RUN_KEY))).status).toBe(422);
    }
  });
});

describe('start-up', () => {
  const ROOT = path.resolve(__dirname, '../..');
  const start = (env: Record<string, string>) =>
    runChild(process.execPath, ['--import', 'tsx', 'src/api/main.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...env },
      timeoutMs: 60_000,
    });

  test('NODE_ENV=production without API keys refuses to start, naming API_KEYS and ALLOW_ANONYMOUS', async () => {
    const refused = await start({ NODE_ENV: 'production', WEBHOOK_SECRET: 'whsec_test', PORT: '0' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('API_KEYS: is required when NODE_ENV=production');
    expect(refused.stderr).toContain('ALLOW_ANONYMOUS=true');
  }, 90_000);
});
