import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { apiKeys, loadConfig } from '../../src/config';
import { configFailure } from '../support/config';

const KEY_A = 'sk_test_aaaaaaaaaaaaaaaa';
const KEY_B = 'sk_test_bbbbbbbbbbbbbbbb';
const KEY_C = 'sk_test_cccccccccccccccc';

/** A clean environment: only what each test passes, so the developer's shell never leaks in. */
const load = (env: Record<string, string> = {}) => loadConfig(env);

describe('config', () => {
  test('defaults are the contract’s', () => {
    const c = load();
    expect(c).toMatchObject({
      NODE_ENV: 'development',
      HOLD_TTL_SECONDS: 120,
      PAYMENT_TIMEOUT_SECONDS: 900,
      SWEEP_INTERVAL_SECONDS: 60,
      PORT: 8000,
      TEMPORAL_ADDRESS: '127.0.0.1:7233',
      TEMPORAL_NAMESPACE: 'default',
    });
    expect(c.DATABASE_URL).toMatch(/^(mysql|mariadb):\/\//);
    expect(c.REDIS_URL).toMatch(/^redis:\/\//);
    expect(c.TASK_QUEUE).toBeTruthy();
    expect(c.WEBHOOK_SECRET).toBeUndefined();
    expect(c.ADMIN_TOKEN).toBeUndefined();
  });

  test('values are read as numbers and strings', () => {
    const strings = {
      DATABASE_URL: 'mariadb://u:p@db:3306/x',
      REDIS_URL: 'rediss://cache:6380/1',
      TEMPORAL_ADDRESS: 'temporal:7233',
      TEMPORAL_NAMESPACE: 'ns',
      TASK_QUEUE: 'q',
      WEBHOOK_SECRET: 'whsec',
      ADMIN_TOKEN: 'adm',
    };
    const numbers = { HOLD_TTL_SECONDS: 5, PAYMENT_TIMEOUT_SECONDS: 30, SWEEP_INTERVAL_SECONDS: 7, PORT: 0 };
    const env = { ...strings, ...Object.fromEntries(Object.entries(numbers).map(([k, v]) => [k, String(v)])) };
    expect(load(env)).toMatchObject({ ...numbers, ...strings });
  });

  test.each([
    ['HOLD_TTL_SECONDS', '0'],
    ['HOLD_TTL_SECONDS', '-5'],
    ['HOLD_TTL_SECONDS', 'abc'],
    ['HOLD_TTL_SECONDS', '1.5'],
    ['HOLD_TTL_SECONDS', '1e3'],
    ['PAYMENT_TIMEOUT_SECONDS', '0x10'],
    ['SWEEP_INTERVAL_SECONDS', ' '],
    ['PORT', '65536'],
    ['PORT', 'http'],
    ['DATABASE_URL', 'postgres://localhost/db'],
    ['DATABASE_URL', 'not a url'],
    ['REDIS_URL', 'http://localhost:6379'],
    ['TEMPORAL_ADDRESS', 'localhost'],
    ['TEMPORAL_ADDRESS', 'localhost:99999'],
    ['NODE_ENV', 'staging'],
    ['LOG_LEVEL', 'loud'],
  ])('a bad %s (%j) stops start-up naming the variable', (name, value) => {
    const message = configFailure({ [name]: value });
    expect(message).toMatch(/^Invalid configuration/);
    expect(message).toContain(`${name}:`);
    // Only the bad variable is named.
    const named = [...message.matchAll(/^\s+([A-Z_]+):/gm)].map((m) => m[1]);
    expect(named).toEqual([name]);
  });

  test('several bad values are all named', () => {
    const message = configFailure({ PORT: 'x', HOLD_TTL_SECONDS: '0' });
    expect(message).toContain('PORT:');
    expect(message).toContain('HOLD_TTL_SECONDS:');
  });

  test('an empty variable means "not set": the default applies (PORT= never means a random port)', () => {
    const c = load({ PORT: '', HOLD_TTL_SECONDS: '', WEBHOOK_SECRET: '', ADMIN_TOKEN: '' });
    expect(c.PORT).toBe(8000);
    expect(c.HOLD_TTL_SECONDS).toBe(120);
    expect(c.WEBHOOK_SECRET).toBeUndefined();
    expect(c.ADMIN_TOKEN).toBeUndefined();
  });

  test('WORKER_METRICS_ADDRESS: empty turns the metrics endpoint off, unset is the default', () => {
    expect(load({ WORKER_METRICS_ADDRESS: '' }).WORKER_METRICS_ADDRESS).toBe('');
    expect(load().WORKER_METRICS_ADDRESS).toBe('127.0.0.1:9464');
    expect(configFailure({ WORKER_METRICS_ADDRESS: 'nowhere' })).toContain('WORKER_METRICS_ADDRESS:');
  });

  test('production refuses to start without WEBHOOK_SECRET', () => {
    const message = configFailure({ NODE_ENV: 'production' });
    expect(message).toContain('WEBHOOK_SECRET:');
    expect(configFailure({ NODE_ENV: 'production', WEBHOOK_SECRET: '' })).toContain('WEBHOOK_SECRET:');
    expect(load({ NODE_ENV: 'production', WEBHOOK_SECRET: 's3cret', API_KEYS: KEY_A }).WEBHOOK_SECRET).toBe('s3cret');
  });

  test('production refuses to start without API keys, unless open mode is chosen on purpose', () => {
    const message = configFailure({ NODE_ENV: 'production', WEBHOOK_SECRET: 's3cret' });
    expect(message).toContain('API_KEYS: is required when NODE_ENV=production');
    expect(message).toContain('ALLOW_ANONYMOUS=true');
    expect(configFailure({ NODE_ENV: 'production', WEBHOOK_SECRET: 's', ALLOW_ANONYMOUS: 'false' })).toContain(
      'API_KEYS:',
    );
    expect(load({ NODE_ENV: 'production', WEBHOOK_SECRET: 's', ALLOW_ANONYMOUS: 'true' }).ALLOW_ANONYMOUS).toBe(true);
    expect(configFailure({ ALLOW_ANONYMOUS: 'yes' })).toContain('ALLOW_ANONYMOUS: must be true or false');
  });

  test('API_KEYS: a comma list (two during a rotation), merged with API_KEYS_FILE; keys never echoed', () => {
    expect(apiKeys(load())).toEqual([]);
    expect(apiKeys(load({ API_KEYS: ` ${KEY_A} , ${KEY_B} ` }))).toEqual([KEY_A, KEY_B]);
    const dir = mkdtempSync(path.join(tmpdir(), 'keys-'));
    const file = path.join(dir, 'api-keys');
    writeFileSync(file, `# rotated 2026-11\n${KEY_B}\n\n${KEY_C}\n`);
    expect(apiKeys(load({ API_KEYS: KEY_A, API_KEYS_FILE: file }))).toEqual([KEY_A, KEY_B, KEY_C]);
    expect(load({ NODE_ENV: 'production', WEBHOOK_SECRET: 's', API_KEYS_FILE: file }).NODE_ENV).toBe('production');
    expect(configFailure({ API_KEYS_FILE: path.join(dir, 'missing') })).toContain('API_KEYS_FILE: cannot read');
    const short = configFailure({ API_KEYS: `${KEY_A},short-key` });
    expect(short).toContain('API_KEYS: key 2 must be 16 to 256 visible ASCII characters');
    expect(short).not.toContain('short-key');
    expect(short).not.toContain(KEY_A);
  });

  test('MAX_QUANTITY_PER_HOLD and the key and customer rate limits', () => {
    expect(load().MAX_QUANTITY_PER_HOLD).toBeUndefined();
    expect(load({ MAX_QUANTITY_PER_HOLD: '5' }).MAX_QUANTITY_PER_HOLD).toBe(5);
    expect(configFailure({ MAX_QUANTITY_PER_HOLD: '0' })).toContain('MAX_QUANTITY_PER_HOLD: must be at least 1');
    expect(configFailure({ MAX_QUANTITY_PER_HOLD: '2.5' })).toContain('MAX_QUANTITY_PER_HOLD: must be a whole number');
    expect(load()).toMatchObject({ RATE_LIMIT_API_KEY_PER_WINDOW: 60_000, RATE_LIMIT_CUSTOMER_PER_WINDOW: 60 });
    expect(load({ RATE_LIMIT_CUSTOMER_PER_WINDOW: '0' }).RATE_LIMIT_CUSTOMER_PER_WINDOW).toBe(0);
  });

  test('development and test run without a webhook secret', () => {
    expect(load({ NODE_ENV: 'development' }).WEBHOOK_SECRET).toBeUndefined();
    expect(load({ NODE_ENV: 'test' }).WEBHOOK_SECRET).toBeUndefined();
  });

  test('unknown variables are ignored', () => {
    expect(() => load({ SOMETHING_ELSE: 'x', PATH: '/bin' })).not.toThrow();
  });
});
