import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { QueryTypes } from 'sequelize';
import { createProduct } from '../../harness/fixtures';
import { ADMIN_TOKEN, type Stack } from '../../harness/stack';
import { runChild } from './support/child';
import { payWebhook } from './support/purchase';
import { holdOf, orderOf, useStack } from './support/stack';

/**
 * Schema-driven fuzzing: schemathesis reads /api/openapi.json from the running service, generates requests for
 * every operation (valid and invalid ones, then linked sequences: product → hold → order → webhook), and checks
 * that no answer is a 5xx and that every answer matches the document: status code, content type, headers and
 * body schema. The webhook runs without WEBHOOK_SECRET (unsigned events accepted), so the fuzzer reaches the
 * settlement logic; the signature itself is covered by the webhook tests. The admin token is sent on every
 * request. The seed is fixed, so a run is repeatable (FUZZ_SEED and FUZZ_MAX_EXAMPLES override it for a longer
 * exploratory run); reports go to .run/fuzz-report.
 */

const ROOT = path.resolve(__dirname, '../..');
const REPORT_DIR = path.join(ROOT, '.run', 'fuzz-report');
const SEED = Number(process.env.FUZZ_SEED ?? 20261124);
const MAX_EXAMPLES = Number(process.env.FUZZ_MAX_EXAMPLES ?? 100);
const RUN_LIMIT_MS = 150_000;
const MIN_REQUESTS = 1000;
const CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_headers_conformance',
  'response_schema_conformance',
];

function schemathesisBin(): string {
  const bin = process.env.SCHEMATHESIS_BIN ?? path.join(ROOT, '.run', 'schemathesis', 'bin', 'schemathesis');
  if (!existsSync(bin)) {
    // Running jest directly rather than through scripts/test.sh: install it the same way.
    const r = spawnSync('bash', ['-c', 'source scripts/lib.sh && ensure_schemathesis'], {
      cwd: ROOT,
      stdio: 'inherit',
    });
    if (r.status !== 0) throw new Error('could not install schemathesis (scripts/lib.sh ensure_schemathesis)');
  }
  return bin;
}

/**
 * Holds still held by an earlier stack (another test file, an earlier run) belong to workflows on a task queue
 * whose worker is gone: ordering or releasing one waits out the Temporal deadline and answers 503, which is
 * right for the service but says nothing about it. Their ids are listed before the run, and a schemathesis hook
 * points any request that names one at an id no hold has; every other request goes out as generated.
 */
async function foreignHeldHolds(s: Stack): Promise<number[]> {
  const rows = await s.db.query<{ id: number }>(
    'SELECT id FROM holds WHERE released_at IS NULL AND used_at IS NULL AND hold_expires_at > UTC_TIMESTAMP(3)',
    { type: QueryTypes.SELECT },
  );
  return rows.map((r) => Number(r.id));
}

function writeHooks(file: string, blocked: number[]): void {
  writeFileSync(
    file,
    `import atexit
import schemathesis

BLOCKED = {${blocked.join(', ')}}
UNUSED_ID = 2147483647
redirected = 0


def _id(value):
    try:
        return int(str(value).strip())
    except ValueError:
        return None


@schemathesis.hook
def before_call(context, case, **kwargs):
    global redirected
    path = case.operation.path
    params = case.path_parameters
    if path.startswith("/api/holds/{id}") and params and _id(params.get("id")) in BLOCKED:
        params["id"] = str(UNUSED_ID)
        redirected += 1
    if path == "/api/orders" and isinstance(case.body, dict) and _id(case.body.get("hold_id")) in BLOCKED:
        case.body["hold_id"] = UNUSED_ID
        redirected += 1


@atexit.register
def _report():
    print(f"hooks: {redirected} requests redirected off {len(BLOCKED)} foreign held holds")
`,
  );
}

/**
 * Whatever ran before, every list has more than one row (so paging and its Link header are exercised) and
 * there are holds and orders in each state for the generated ids to meet.
 */
async function seedRows(s: Stack): Promise<void> {
  const productId = await createProduct(s, 50, 'Fuzz seed product');
  const holdIds: number[] = [];
  for (let i = 0; i < 4; i += 1) holdIds.push((await holdOf(s, productId)).hold_id);
  const orderIds: number[] = [];
  for (const holdId of holdIds.slice(0, 3)) orderIds.push((await orderOf(s, holdId)).id);
  for (const [orderId, status] of [
    [orderIds[0], 'paid'],
    [orderIds[1], 'failed'],
  ] as const) {
    const paid = await payWebhook(s, orderId, status, `fuzz-seed-${orderId}`);
    if (paid.status !== 200) throw new Error(`seed payment: ${paid.status} ${paid.text}`);
  }
}

const stack = useStack({ WEBHOOK_SECRET: '', HOLD_TTL_SECONDS: '60', PAYMENT_TIMEOUT_SECONDS: '120' });
let blocked: number[] = [];
let requests = 0;
const statuses = new Map<number, number>();

beforeAll(async () => {
  // Counts what reaches the server, whatever schemathesis reports.
  stack.api.server.on('request', (_req, res) => {
    requests += 1;
    res.on('finish', () => statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1));
  });
  blocked = await foreignHeldHolds(stack);
  await seedRows(stack);
  rmSync(REPORT_DIR, { recursive: true, force: true });
  mkdirSync(REPORT_DIR, { recursive: true });
});

test(
  'schemathesis finds no server error and no answer outside the document',
  async () => {
    const bin = schemathesisBin();
    const started = Date.now();
    // A configuration file of its own: nothing in the working directory changes the run. The stateful phase follows
    // the document's links and Location headers; inferring links from field names ("dependency analysis") wires
    // numeric ids into the X-Request-Id header, which schemathesis itself then fails to send (not a server answer).
    const config = path.join(REPORT_DIR, 'schemathesis.toml');
    writeFileSync(config, '[phases.stateful.inference]\nalgorithms = ["location-headers"]\n');
    const hooks = path.join(REPORT_DIR, 'hooks.py');
    writeHooks(hooks, blocked);
    const options: [string, string][] = [
      ['--checks', CHECKS.join(',')],
      ['--phases', 'examples,coverage,fuzzing,stateful'],
      ['--mode', 'all'],
      ['--seed', String(SEED)],
      ['--max-examples', String(MAX_EXAMPLES)],
      ['--workers', '1'],
      ['--generation-database', 'none'],
      ['--request-timeout', '15'],
      ['--header', `Authorization: Bearer ${ADMIN_TOKEN}`],
      ['--report', 'junit,ndjson'],
      ['--report-junit-path', path.join(REPORT_DIR, 'junit.xml')],
      ['--report-ndjson-path', path.join(REPORT_DIR, 'events.ndjson')],
      ['--output-truncate', 'false'],
    ];
    const args = ['--config-file', config, 'run', `${stack.baseUrl}/api/openapi.json`, ...options.flat(), '--no-color'];
    const result = await runChild(bin, args, {
      cwd: REPORT_DIR,
      env: { ...process.env, SCHEMATHESIS_HOOKS: hooks, NO_COLOR: '1', COLUMNS: '120', PYTHONUNBUFFERED: '1' },
      timeoutMs: RUN_LIMIT_MS,
    });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    // The per-phase results and the totals, as schemathesis printed them.
    const lines = result.output.split('\n').map((l) => l.trimEnd());
    const first = lines.findIndex((l) => /Examples \(in /.test(l));
    const end = lines.findIndex((l, i) => i > first && /^\s*=+/.test(l));
    const phases = first < 0 ? [] : lines.slice(first, end < 0 ? undefined : end).filter((l) => l.trim() !== '');
    const totals = lines.findIndex((l) => /^\s*Test cases:/.test(l));
    const hookLine = lines.filter((l) => l.startsWith('hooks: '));
    const summary = [...phases, ...(totals < 0 ? [] : lines.slice(totals, totals + 2)), ...hookLine].join('\n');
    const byStatus = [...statuses.entries()]
      .sort(([a], [b]) => a - b)
      .map(([s, n]) => `${s}: ${n}`)
      .join(', ');
    process.stdout.write(
      `schemathesis: exit ${result.code} in ${seconds} s, ${requests} requests (${byStatus})\n${summary}\n`,
    );
    if (result.code !== 0 || result.timedOut) {
      // Schemathesis prints each failure with a curl line to reproduce it; the reports are in .run/fuzz-report.
      throw new Error(
        `schemathesis ${result.timedOut ? 'timed out' : `exited ${result.code}`}:\n${result.output.slice(-30_000)}`,
      );
    }
    expect(requests).toBeGreaterThanOrEqual(MIN_REQUESTS);
    expect(statuses.get(500) ?? 0).toBe(0);
  },
  RUN_LIMIT_MS + 30_000,
);
