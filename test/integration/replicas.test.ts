import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { QueryTypes, type Sequelize } from 'sequelize';
import { createSequelize } from '../../src/db/sequelize';
import { expectConserved } from '../../harness/fixtures';
import { ADMIN_TOKEN } from '../../harness/stack';
import { compileService, launchService, type LaunchedProcess } from '../../harness/service';
import { waitFor } from '../../harness/wait';

/**
 * Issue 7, replicas: two API processes and two workers from the compiled service, on one task queue against one
 * Temporal and one MariaDB. One worker and one API are SIGKILLed while holds are being made; a client that fails
 * over to the other API (same Idempotency-Key) loses nothing, nothing is oversold, and every hold's workflow goes
 * on (orders, releases, payments) on the surviving worker through the surviving API.
 */
let build: { outDir: string; remove: () => void };
const STOCK = 40;
const LANES = 6;
/** The kill comes once this many holds have been answered 201. */
const KILL_AFTER = 12;

interface Service extends LaunchedProcess {
  name: string;
}

const services: Service[] = [];
const taskQueue = `replicas-${randomUUID()}`;
const scheduleId = `replicas-sweep-${randomUUID()}`;
const purgeScheduleId = `replicas-purge-${randomUUID()}`;
let db: Sequelize;
let connection: Connection;
let client: Client;

function launch(name: string, entry: string, env: Record<string, string>): Service {
  const p = launchService(build.outDir, entry, {
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    TASK_QUEUE: taskQueue,
    SWEEP_SCHEDULE_ID: scheduleId,
    PURGE_SCHEDULE_ID: purgeScheduleId,
    HOLD_TTL_SECONDS: '90',
    PAYMENT_TIMEOUT_SECONDS: '90',
    // Longer than the ~10 s a workflow cached on the killed worker waits before another worker takes it over
    // (its sticky queue's schedule-to-start timeout): the calls answer once, rather than 503 and a retry.
    TEMPORAL_CALL_TIMEOUT_MS: '30000',
    ADMIN_TOKEN,
    WEBHOOK_SECRET: '', // unsigned webhooks (NODE_ENV=test)
    WORKER_METRICS_ADDRESS: '',
    WORKFLOW_BUNDLE_PATH: process.env.TEST_WORKFLOW_BUNDLE!,
    ...env,
  });
  const s: Service = { ...p, name };
  services.push(s);
  return s;
}

const alive = (s: Service) => s.child.exitCode === null && s.child.signalCode === null;

/** Waits for a log line; a process that exits first fails at once, with what it said. */
async function ready(s: Service, msg: string, timeoutMs: number): Promise<Record<string, unknown>> {
  const line = await waitFor(
    `${s.name}: "${msg}"`,
    () => s.logged(msg) ?? (alive(s) ? undefined : 'exited'),
    timeoutMs,
  );
  if (line === 'exited') {
    const said = [...s.lines.slice(-5).map((l) => JSON.stringify(l)), ...s.stderr].join('\n');
    throw new Error(`${s.name} exited (${s.child.exitCode ?? s.child.signalCode}) before "${msg}":\n${said}`);
  }
  return line!;
}

beforeAll(async () => {
  build = await compileService('replicas');
  db = createSequelize({ url: process.env.DATABASE_URL!, poolMax: 3 });
  connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' });
  client = new Client({ connection, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' });
}, 200_000);

afterAll(async () => {
  for (const s of services) if (alive(s)) s.child.kill('SIGTERM');
  await Promise.all(services.map((s) => s.exited));
  for (const id of [scheduleId, purgeScheduleId]) {
    await client?.schedule
      .getHandle(id)
      .delete()
      .catch(() => undefined);
  }
  await connection?.close();
  await db?.close();
  build?.remove();
}, 60_000);

interface Answer {
  status: number;
  body: any;
  /** Index of the API that answered. */
  via: number;
}

/**
 * The client of a load balancer in front of the APIs: a request that gets no HTTP answer (connection refused or
 * reset: its API died) is sent again, with the same Idempotency-Key, to the next API; a 503 is retried too.
 */
function balancer(urls: string[]) {
  let next = 0;
  const send = async function (method: string, route: string, body: unknown, key?: string): Promise<Answer> {
    let i = next++ % urls.length;
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        const res = await fetch(urls[i] + route, {
          method,
          headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(45_000),
        });
        const text = await res.text();
        if (res.status !== 503 || Date.now() > deadline) {
          return { status: res.status, body: text ? JSON.parse(text) : null, via: i };
        }
        await new Promise((r) => setTimeout(r, 200)); // Retry-After, shortened
      } catch (err) {
        if (Date.now() > deadline) throw err;
        i = (i + 1) % urls.length; // no answer from this API: the next one gets the same request
        send.failovers++;
      }
    }
  };
  send.failovers = 0;
  return send;
}

test('two APIs and two workers: a worker and an API SIGKILLed mid-sale lose and oversell nothing', async () => {
  const workers = [0, 1].map((i) => launch(`worker-${i + 1}`, 'worker/main.js', {}));
  const apis = [0, 1].map((i) => launch(`api-${i + 1}`, 'api/main.js', { PORT: '0' }));
  await Promise.all(workers.map((w) => ready(w, 'worker running', 60_000)));
  const urls = await Promise.all(
    apis.map(async (a) => `http://127.0.0.1:${(await ready(a, 'api listening', 30_000)).port as number}`),
  );
  // Both workers set up the one sweep Schedule and the one purge Schedule: whichever came second updated each.
  expect(workers.map((w) => w.logged('sweep schedule ready')?.outcome).sort()).toEqual(['created', 'updated']);
  expect(workers.map((w) => w.logged('purge schedule ready')?.outcome).sort()).toEqual(['created', 'updated']);

  const created = await fetch(`${urls[0]}/api/admin/products`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
    body: JSON.stringify({ name: 'Replicas test product', total_stock: STOCK, price: 10 }),
  });
  expect(created.status).toBe(201);
  const productId = Number(((await created.json()) as { data: { id: number } }).data.id);

  // The sale: lanes of buyers hold one unit each, spread over both APIs, until the product is sold out.
  const send = balancer(urls);
  const held: { holdId: number; via: number }[] = [];
  const otherStatuses: string[] = [];
  let killed = false;
  const lane = async () => {
    for (;;) {
      const a = await send('POST', '/api/holds', { product_id: productId, quantity: 1 }, randomUUID());
      if (a.status === 201) held.push({ holdId: Number(a.body.data.hold_id), via: a.via });
      else if (a.status === 400 && /Insufficient stock/.test(a.body.message)) return;
      else otherStatuses.push(`${a.status} ${JSON.stringify(a.body)}`);
      if (otherStatuses.length > 20) throw new Error(`unexpected answers: ${otherStatuses.join(' ')}`);
    }
  };
  const sale = Promise.all(Array.from({ length: LANES }, lane));
  await waitFor(`${KILL_AFTER} holds`, () => held.length >= KILL_AFTER || killed, 30_000);
  workers[0].child.kill('SIGKILL');
  apis[0].child.kill('SIGKILL');
  killed = true;
  const heldBeforeKill = held.length;
  await Promise.all([workers[0].exited, apis[0].exited]);
  await sale;

  expect(otherStatuses).toEqual([]);
  expect(send.failovers).toBeGreaterThan(0); // requests the killed API never answered went to the other one
  expect(held.length).toBeGreaterThan(heldBeforeKill); // the sale went on after the kill
  const viaKilled = held.filter((h) => h.via === 0);
  expect(viaKilled.length).toBeGreaterThan(0);
  // Every 201 is a stored hold, each key made one, and the stock was sold exactly once.
  const ids = held.map((h) => h.holdId).sort((a, b) => a - b);
  expect(new Set(ids).size).toBe(ids.length);
  const stored = await db.query<{ id: number; quantity: number }>(
    'SELECT id, quantity FROM holds WHERE product_id = ? ORDER BY id',
    { replacements: [productId], type: QueryTypes.SELECT },
  );
  expect(stored.map((r) => Number(r.id))).toEqual(ids);
  expect(stored.reduce((n, r) => n + Number(r.quantity), 0)).toBe(STOCK);
  const sold = await expectConserved(db, productId, STOCK);
  expect(sold).toMatchObject({ available_stock: 0, unreleased_quantity: STOCK, stock_put_in: STOCK, ok: true });

  // Every hold's workflow goes on, served by the surviving worker through the surviving API: holds made through
  // the killed API (and the others) are ordered and paid, or released.
  const survivor = balancer([urls[1]]);
  const ordered = held.filter((_, i) => i % 2 === 0);
  const released = held.filter((_, i) => i % 2 === 1);
  expect(ordered.some((h) => h.via === 0) || released.some((h) => h.via === 0)).toBe(true);
  const orderIds = await Promise.all(
    ordered.map(async (h) => {
      const a = await survivor('POST', '/api/orders', { hold_id: h.holdId }, randomUUID());
      expect(a).toMatchObject({ status: 201, body: { data: { hold_id: h.holdId, status: 'pending' } } });
      return Number(a.body.data.id);
    }),
  );
  await Promise.all(
    released.map(async (h) => {
      const a = await survivor('POST', `/api/holds/${h.holdId}/release`, {});
      expect(a.status).toBe(200);
      expect(a.body.data.released_at).toEqual(expect.any(String));
    }),
  );
  await Promise.all(
    orderIds.map(async (orderId) => {
      const a = await survivor('POST', '/api/payments/webhook', {
        event_id: `evt_${randomUUID()}`,
        order_id: orderId,
        status: 'paid',
      });
      expect(a).toMatchObject({ status: 200, body: { data: { order_id: orderId, status: 'completed' } } });
    }),
  );
  const after = await expectConserved(db, productId, STOCK);
  expect(after).toMatchObject({
    available_stock: released.length,
    unreleased_quantity: ordered.length,
    stock_put_in: STOCK,
    ok: true,
  });

  // The workflows end as the database says, on the worker that is left.
  const result = <T>(workflowId: string) =>
    client.withDeadline(Date.now() + 30_000, () => client.workflow.getHandle(workflowId).result() as Promise<T>);
  const states = await Promise.all(held.map((h) => result<{ state: string }>(`hold-${h.holdId}`)));
  expect(states.filter((s) => s.state === 'ORDERED')).toHaveLength(ordered.length);
  expect(states.filter((s) => s.state === 'RELEASED')).toHaveLength(released.length);
  const orders = await Promise.all(orderIds.map((id) => result<{ status: string }>(`order-${id}`)));
  expect(orders.every((o) => o.status === 'completed')).toBe(true);
  expect(alive(workers[1]) && alive(apis[1])).toBe(true);
}, 120_000);
