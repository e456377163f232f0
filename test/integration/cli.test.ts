import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { QueryTypes } from 'sequelize';
import { availableStock, createProduct, expectConserved } from '../../harness/fixtures';
import { ADMIN_TOKEN } from '../../harness/stack';
import { runChild } from './support/child';
import { parseJson } from './support/raw-http';
import { holdOf, orderOf, useStack } from './support/stack';

/**
 * `npm run webhook` and `npm run admin`, run as child processes against a real stack. The CLIs are compiled
 * from the current sources into a temporary directory first, so a stale dist/ cannot hide a regression.
 */

const run = promisify(execFile);
const root = path.resolve(__dirname, '../..');
const SECRET = 'whsec_test';
let outDir: string;

beforeAll(async () => {
  outDir = mkdtempSync(path.join(tmpdir(), 'flash-sale-cli-'));
  const options = '--module commonjs --target ES2022 --moduleResolution node --strict --esModuleInterop --skipLibCheck';
  const sources = ['src/cli/webhook.ts', 'src/cli/admin.ts'].map((f) => path.join(root, f));
  const tsc = require.resolve('typescript/bin/tsc');
  const args = ['--outDir', outDir, '--rootDir', path.join(root, 'src'), ...options.split(' '), '--types', 'node'];
  await run(process.execPath, [tsc, ...args, ...sources], { cwd: root, timeout: 120_000 });
}, 180_000);
afterAll(() => outDir && rmSync(outDir, { recursive: true, force: true }));

const stack = useStack({ WEBHOOK_SECRET: SECRET });

/** Runs the compiled CLI `name`: its exit code and output, and the HTTP status and JSON body it printed. */
async function cli(name: 'webhook' | 'admin', args: string[], env: Record<string, string | undefined> = {}) {
  const childEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, API_URL: stack.baseUrl, ...env };
  for (const k of Object.keys(childEnv)) if (childEnv[k] === undefined) delete childEnv[k];
  const cliPath = path.join(outDir, 'cli', `${name}.js`);
  const { code, stdout, stderr, output } = await runChild(process.execPath, [cliPath, ...args], {
    env: childEnv,
    timeoutMs: 30_000,
  });
  if (code === null) throw new Error(`npm run ${name} did not finish:\n${output}`);
  const [first, ...rest] = stdout.split('\n');
  const status = /^HTTP (\d{3})\b/.exec(first)?.[1];
  return { code, stdout, stderr, status: status ? Number(status) : null, body: parseJson(rest.join('\n')) };
}
/** `npm run webhook`, signed with the stack's secret unless `env` says otherwise. */
const webhook = (args: string[], env: Record<string, string> = { WEBHOOK_SECRET: SECRET }) => cli('webhook', args, env);
/** `npm run admin`, with the stack's admin token unless `env` says otherwise. */
const admin = (args: string[], env: Record<string, string> = { ADMIN_TOKEN }) => cli('admin', args, env);

async function orderStatus(orderId: number): Promise<string> {
  const [row] = await stack.db.query<{ status: string }>('SELECT status FROM orders WHERE id = ?', {
    replacements: [orderId],
    type: QueryTypes.SELECT,
  });
  return row.status;
}

/** A product, a hold on it and a pending order for that hold, through the API. */
async function pendingOrder(quantity = 2) {
  const productId = await createProduct(stack, 10, 'CLI test product');
  const { hold_id: holdId } = await holdOf(stack, productId, quantity);
  return { productId, holdId, orderId: (await orderOf(stack, holdId)).id as number };
}

describe('npm run webhook', () => {
  test('a signed "paid" webhook is accepted and completes the order; the same event again is a replay', async () => {
    const { productId, orderId } = await pendingOrder(3);
    const sent = await webhook(['--order', String(orderId), '--status', 'paid', '--event', `evt_cli_${orderId}`]);
    expect(sent.stderr).not.toContain('unsigned');
    expect(sent).toMatchObject({ code: 0, status: 200 });
    expect(sent.body).toMatchObject({
      status: 'success',
      message: 'Payment processed',
      data: { order_id: orderId, status: 'completed' },
    });
    expect(await orderStatus(orderId)).toBe('completed');
    expect(await availableStock(stack.db, productId)).toBe(7);

    const again = await webhook(
      ['--order', String(orderId), '--status', 'paid', '--event', `evt_cli_${orderId}`, '--url', stack.baseUrl],
      { WEBHOOK_SECRET: SECRET, API_URL: 'http://127.0.0.1:9' },
    );
    expect(again).toMatchObject({ code: 0, status: 200 });
    expect(again.body).toMatchObject({ message: 'Webhook already processed', data: { status: 'completed' } });
    await expectConserved(stack.db, productId, 10);
  });

  test('"failed" cancels the order and gives the stock back; the event id defaults to a fresh one', async () => {
    const { productId, orderId } = await pendingOrder(4);
    expect(await availableStock(stack.db, productId)).toBe(6);
    const sent = await webhook(['--order', String(orderId), '--status', 'failed']);
    expect(sent).toMatchObject({ code: 0, status: 200 });
    expect(sent.body.data).toEqual({ order_id: orderId, status: 'cancelled' });
    expect(sent.stderr).toMatch(/"event_id":"evt_[0-9a-f]{32}"/);
    expect(await orderStatus(orderId)).toBe('cancelled');
    expect(await availableStock(stack.db, productId)).toBe(10);
  });

  test('a wrong or missing secret is refused with 401 and exit code 1, and changes nothing', async () => {
    const { orderId } = await pendingOrder();
    const wrong = await webhook(['--order', String(orderId), '--status', 'paid'], { WEBHOOK_SECRET: 'whsec_wrong' });
    expect(wrong).toMatchObject({ code: 1, status: 401 });
    expect(wrong.body).toMatchObject({ status: 'error', message: 'Invalid signature' });
    const unsigned = await webhook(['--order', String(orderId), '--status', 'paid'], {});
    expect(unsigned.stderr).toContain('WEBHOOK_SECRET is not set');
    expect(unsigned).toMatchObject({ code: 1, status: 401 });
    expect(await orderStatus(orderId)).toBe('pending');
  });

  test('the API validation answer comes through for an unknown order', async () => {
    const res = await webhook(['--order', '2147483000', '--status', 'paid']);
    expect(res).toMatchObject({ code: 1, status: 422 });
    expect(res.body.errors.order_id).toEqual(['The selected order id is invalid.']);
  });

  test('usage errors exit 2 without sending anything', async () => {
    for (const args of [
      [],
      ['--order', '1'],
      ['--order', 'abc', '--status', 'paid'],
      ['--order', '1', '--status', 'ok'],
    ]) {
      const res = await webhook(args);
      expect(res.code).toBe(2);
      expect(res.status).toBeNull();
      expect(res.stderr).toContain('usage: npm run webhook');
    }
    const bogus = await webhook(['--order', '1', '--status', 'paid', '--bogus'], {});
    expect(bogus.code).toBe(2);
  });

  test('an unreachable API is an error on stderr with exit code 1', async () => {
    const res = await webhook(['--order', '1', '--status', 'paid'], { API_URL: 'http://127.0.0.1:9' });
    expect(res.code).toBe(1);
    expect(res.status).toBeNull();
    expect(res.stderr).toMatch(/^error: /m);
  });
});

describe('npm run admin', () => {
  test('product:create makes a product (available defaults to the stock) and product:restock adds to it', async () => {
    const widget = ['product:create', '--name', 'CLI widget', '--stock', '100', '--price', '9.99'];
    const created = await admin([...widget, '--available', '60']);
    expect(created).toMatchObject({ code: 0, status: 201 });
    expect(created.body.data).toMatchObject({
      name: 'CLI widget',
      total_stock: 100,
      available_stock: 60,
      price: 9.99,
    });
    const id = created.body.data.id as number;

    const restocked = await admin(['product:restock', '--id', String(id), '--quantity', '50']);
    expect(restocked).toMatchObject({ code: 0, status: 200 });
    expect(restocked.body.data).toMatchObject({ id, total_stock: 150, available_stock: 110 });
    expect(await availableStock(stack.db, id)).toBe(110);

    const plain = await admin(['product:create', '--name', 'Plain', '--stock', '5', '--price', '1']);
    expect(plain.body.data).toMatchObject({ total_stock: 5, available_stock: 5, price: 1 });
  });

  test('product:shard spreads a product over stock shards and back, the total unchanged', async () => {
    const id = await createProduct(stack, 9, 'CLI hot product');
    const sharded = await admin(['product:shard', '--id', String(id), '--shards', '3']);
    expect(sharded).toMatchObject({ code: 0, status: 200 });
    expect(sharded.body.data).toMatchObject({ id, total_stock: 9, available_stock: 9 });
    const rows = await stack.db.query<{ available: number }>(
      'SELECT available FROM stock_shards WHERE product_id = ? ORDER BY shard',
      { replacements: [id], type: QueryTypes.SELECT },
    );
    expect(rows.map((r) => Number(r.available))).toEqual([3, 3, 3]);
    const bad = await admin(['product:shard', '--id', String(id), '--shards', '0']);
    expect(bad).toMatchObject({ code: 1, status: 422 });
    const back = await admin(['product:shard', '--id', String(id), '--shards', '1']);
    expect(back.body.data).toMatchObject({ available_stock: 9 });
    await expectConserved(stack.db, id, 9);
  });

  test('hold:release releases a hold and gives its stock back', async () => {
    const productId = await createProduct(stack, 10, 'CLI release product');
    const { hold_id: holdId } = await holdOf(stack, productId, 6);
    expect(await availableStock(stack.db, productId)).toBe(4);
    // No ADMIN_TOKEN: hold:* commands call the public API.
    const released = await admin(['hold:release', '--id', String(holdId)], {});
    expect(released).toMatchObject({ code: 0, status: 200 });
    expect(released.body.data.id).toBe(holdId);
    expect(released.body.data.released_at).not.toBeNull();
    expect(await availableStock(stack.db, productId)).toBe(10);

    const again = await admin(['hold:release', '--id', String(holdId)], {});
    expect(again).toMatchObject({ code: 1, status: 400 });
    expect(again.body.message).toBe('Cannot release: Hold has already been released');
  });

  test('API refusals come through: a wrong token is 401, bad values are 422, an unknown product is 404', async () => {
    const wrong = await admin(['product:create', '--name', 'X', '--stock', '1', '--price', '1'], {
      ADMIN_TOKEN: 'not-the-token',
    });
    expect(wrong).toMatchObject({ code: 1, status: 401 });
    const invalid = await admin(['product:create', '--name', 'X', '--stock', 'lots', '--price', '1']);
    expect(invalid).toMatchObject({ code: 1, status: 422 });
    expect(invalid.body.errors.total_stock).toEqual(['The total stock field must be an integer.']);
    const missing = await admin(['product:restock', '--id', '2147483000', '--quantity', '1']);
    expect(missing).toMatchObject({ code: 1, status: 404 });
  });

  test('usage errors exit 2: no command, unknown command, missing option, no ADMIN_TOKEN', async () => {
    const cases: [string[], Record<string, string>, string][] = [
      [[], { ADMIN_TOKEN }, 'a command is required'],
      [['product:delete', '--id', '1'], { ADMIN_TOKEN }, 'unknown command "product:delete"'],
      [['product:create', '--name', 'X', '--price', '1'], { ADMIN_TOKEN }, '--stock is required'],
      [['product:restock', '--id', '01', '--quantity', '1'], { ADMIN_TOKEN }, '--id must be a positive integer'],
      [['product:create', '--name', 'X', '--stock', '1', '--price', '1'], {}, 'ADMIN_TOKEN is not set'],
    ];
    for (const [args, env, message] of cases) {
      const res = await admin(args, env);
      expect({ args, code: res.code, status: res.status }).toEqual({ args, code: 2, status: null });
      expect(res.stderr).toContain(message);
      expect(res.stderr).toContain('usage: npm run admin');
    }
  });
});
