import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { httpClient } from '../../harness/http';
import { Proc } from '../../harness/process';
import { compileService, launchService, type LaunchedProcess } from '../../harness/service';
import { ADMIN_TOKEN } from '../../harness/stack';
import { freePort, waitFor } from '../../harness/wait';
import { auth } from './support/admin';

/**
 * The sale dashboard and the alert rules against a real Prometheus (Debian's `prometheus`, which scripts/test.sh
 * installs when missing) scraping a running API and worker, as compose's profile `observability` runs them.
 */
const root = path.resolve(__dirname, '../..');
const rulesFile = path.join(root, 'ops/prometheus/alerts.yml');
const dashboard = JSON.parse(readFileSync(path.join(root, 'ops/grafana/dashboards/flash-sale.json'), 'utf8')) as {
  panels: { title: string; targets: { expr: string }[] }[];
};
const prometheusBin = process.env.PROMETHEUS_BIN ?? 'prometheus';
const promtoolBin = process.env.PROMTOOL_BIN ?? 'promtool';
const run = promisify(execFile);

let build: { outDir: string; remove: () => void };
let dataDir: string;
const processes: LaunchedProcess[] = [];
let prometheus: Proc;
let prometheusUrl: string;
let productId: number;

async function startService(): Promise<{ apiPort: number; targets: Record<'api' | 'worker', string[]> }> {
  const [apiPort, holdWorkerPort, workerPort] = [await freePort(), await freePort(), await freePort()];
  const env = {
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    TASK_QUEUE: `dashboard-${randomUUID()}`,
    SWEEP_SCHEDULE_ID: `dashboard-${randomUUID()}`,
    WORKFLOW_BUNDLE_PATH: process.env.TEST_WORKFLOW_BUNDLE!,
    ADMIN_TOKEN,
    HOLD_TTL_SECONDS: '600',
    SALE_FIGURES_INTERVAL_SECONDS: '1',
  };
  const local = (port: number) => `127.0.0.1:${port}`;
  const worker = launchService(build.outDir, 'worker/main.js', { ...env, WORKER_METRICS_ADDRESS: local(workerPort) });
  const api = launchService(build.outDir, 'api/main.js', {
    ...env,
    PORT: String(apiPort),
    HOLD_WORKER_METRICS_ADDRESS: local(holdWorkerPort),
  });
  processes.push(worker, api);
  await waitFor('the worker', () => worker.logged('worker running'), 60_000);
  await waitFor('the API', () => api.logged('api listening'), 60_000);
  return { apiPort, targets: { api: [local(apiPort), local(holdWorkerPort)], worker: [local(workerPort)] } };
}

/** Prometheus as ops/prometheus/prometheus.yml configures it, with static targets and a 1 s interval. */
async function startPrometheus(targets: Record<string, string[]>): Promise<void> {
  const port = await freePort();
  const config = [
    'global: { scrape_interval: 1s, evaluation_interval: 1s }',
    `rule_files: [${JSON.stringify(rulesFile)}]`,
    'scrape_configs:',
    ...Object.entries(targets).map(
      ([job, list]) => `  - { job_name: ${job}, static_configs: [{ targets: ${JSON.stringify(list)} }] }`,
    ),
  ].join('\n');
  writeFileSync(path.join(dataDir, 'prometheus.yml'), `${config}\n`);
  prometheus = new Proc(
    'prometheus',
    prometheusBin,
    [
      `--config.file=${path.join(dataDir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dataDir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    process.env,
    path.join(dataDir, 'prometheus.log'),
  );
  prometheusUrl = `http://127.0.0.1:${port}`;
  await waitFor('Prometheus to be ready', async () => (await fetch(`${prometheusUrl}/-/ready`)).ok, 30_000);
}

async function query(expr: string): Promise<unknown[]> {
  const res = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as { status: string; error?: string; data: { result: unknown[] } };
  if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
  return body.data.result;
}

/** A little sale: holds until sold out, refusals, an order and a release. */
async function sellALittle(apiPort: number): Promise<number> {
  const http = httpClient(`http://127.0.0.1:${apiPort}`);
  const product = await http.post('/api/admin/products', { name: 'Dashboard', total_stock: 4, price: 10 }, auth);
  expect(product.status).toBe(201);
  const statuses: number[] = [];
  const holdIds: number[] = [];
  for (let i = 0; i < 6; i++) {
    const res = await http.post('/api/holds', { product_id: product.body.data.id, quantity: 1 });
    statuses.push(res.status);
    if (res.status === 201) holdIds.push(res.body.data.hold_id);
  }
  expect(statuses).toEqual([201, 201, 201, 201, 400, 400]);
  expect((await http.post('/api/orders', { hold_id: holdIds[0] })).status).toBe(201);
  expect((await http.post(`/api/holds/${holdIds[1]}/release`, {})).status).toBe(200);
  return product.body.data.id;
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'flash-sale-prometheus-'));
  build = await compileService('dashboard');
  const service = await startService();
  await startPrometheus(service.targets);
  productId = await sellALittle(service.apiPort);
}, 240_000);

afterAll(async () => {
  const started = [...processes, ...(prometheus ? [prometheus] : [])];
  for (const p of started) p.child.kill('SIGTERM');
  await Promise.all(started.map((p) => p.exited));
  build?.remove();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the sale dashboard and alert rules on a real Prometheus', () => {
  test('promtool accepts the alert rules, their unit tests pass, and it accepts the compose profile’s configuration', async () => {
    const rules = await run(promtoolBin, ['check', 'rules', rulesFile]);
    expect(rules.stdout).toMatch(/SUCCESS: \d+ rules found/);
    // The rules' own unit tests: each alert fires on the series it watches and stays quiet on healthy ones.
    const unit = await run(promtoolBin, ['test', 'rules', path.join(root, 'ops/prometheus/alerts.test.yml')]);
    expect(`${unit.stdout}${unit.stderr}`).toMatch(/SUCCESS/);
    const config = await run(promtoolBin, ['check', 'config', path.join(root, 'ops/prometheus/prometheus.yml')]);
    expect(`${config.stdout}${config.stderr}`).toMatch(/SUCCESS/);
  });

  test('every job’s targets are up: the API, its hold worker’s SDK metrics, the worker', async () => {
    const up = await waitFor<{ metric: { job: string } }[] | undefined>('three targets up', async () => {
      const result = (await query('up == 1')) as { metric: { job: string } }[];
      return result.length === 3 ? result : undefined;
    });
    expect(up!.map((r) => r.metric.job).sort()).toEqual(['api', 'api', 'worker']);
  });

  test.each(dashboard.panels.map((p) => [p.title, p.targets] as const))(
    'the panel "%s" shows data',
    async (_title, targets) => {
      for (const { expr } of targets) {
        // Grafana's interval variable, as Grafana would fill it in for a scrape every second.
        const promql = expr.replaceAll('$__rate_interval', '30s');
        await waitFor(`data for ${promql}`, async () => (await query(promql)).length > 0, 60_000);
      }
    },
  );

  test('the figures panels show the sale as MariaDB has it: 1 unit left, its 2 open holds, its order', async () => {
    const value = async (expr: string) => {
      const [sample] = (await query(expr)) as { value: [number, string] }[];
      return sample ? Number(sample.value[1]) : undefined;
    };
    await waitFor('the released unit back in the figures', async () => {
      return (await value(`max(flash_sale_product_available_stock{product_id="${productId}"})`)) === 1;
    });
    // The test database keeps earlier runs' rows: this sale adds to them.
    expect(await value('max(flash_sale_holds{state="held"})')).toBeGreaterThanOrEqual(2);
    expect(await value('max(flash_sale_orders{status="pending"})')).toBeGreaterThanOrEqual(1);
    expect(await value('sum(flash_sale_figures_publisher)')).toBe(1);
  });

  test('Prometheus evaluates every alert rule without an error, and none fires on a healthy sale', async () => {
    type Rule = { name: string; health: string; lastError?: string; state: string; lastEvaluation: string };
    const rules = await waitFor('the rules evaluated', async () => {
      const res = (await (await fetch(`${prometheusUrl}/api/v1/rules`)).json()) as {
        data: { groups: { rules: Rule[] }[] };
      };
      const all = res.data.groups.flatMap((g) => g.rules);
      return all.length > 0 && all.every((r) => !r.lastEvaluation.startsWith('0001')) ? all : undefined;
    });
    const names = [...readFileSync(rulesFile, 'utf8').matchAll(/- alert: (\w+)/g)].map((m) => m[1]);
    expect(rules!.map((r) => r.name).sort()).toEqual([...names].sort());
    for (const rule of rules!)
      expect(`${rule.name}: ${rule.health} ${rule.lastError ?? ''}`.trim()).toBe(`${rule.name}: ok`);
    expect(rules!.filter((r) => r.state === 'firing').map((r) => r.name)).toEqual([]);
  });
});
