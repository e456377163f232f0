import { builtinModules } from 'node:module';
import path from 'node:path';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createLogger } from '../../src/logger';
import { startTelemetry, type Telemetry } from '../../src/telemetry';
import { createProduct } from '../../harness/fixtures';
import { waitFor } from '../../harness/wait';
import { payWebhook, postHold } from './support/purchase';
import { orderOf, useStack } from './support/stack';

/**
 * One request, one trace: the API's HTTP span, the Temporal client call, the workflow, its activity and the SQL and
 * Redis calls under them, across the API (eager start, hold worker) and the worker, as the spans reach an in-memory
 * exporter in this process.
 */
const exported = new InMemorySpanExporter();
let telemetry: Telemetry;
beforeAll(() => {
  telemetry = startTelemetry('flash-sale-test', {}, [new SimpleSpanProcessor(exported)]);
  patchUnderJest(telemetry);
});
/** What the service logged, as parsed JSON lines. */
const lines: Record<string, unknown>[] = [];
const log = createLogger('info', 'test', { write: (line: string) => lines.push(JSON.parse(line)) });
const stack = useStack({ HOLD_TTL_SECONDS: '30', PAYMENT_TIMEOUT_SECONDS: '60' }, { log, holdWorker: true });
afterAll(() => telemetry.shutdown());

/**
 * Jest loads node_modules through a loader of its own, which the SDK's require hook never sees: the instrumentations'
 * patches are applied here to the very modules Jest hands the service (Node's own modules too, as the hook may have run before).
 */
function patchUnderJest({ instrumentations }: Telemetry) {
  for (const definition of instrumentations.flatMap((i) => i.getModuleDefinitions())) {
    if (builtinModules.includes(definition.name)) {
      definition.patch?.(jest.requireActual(definition.name), process.versions.node);
      continue;
    }
    const manifest = require.resolve(`${definition.name}/package.json`);
    const version = jest.requireActual<{ version: string }>(manifest).version;
    definition.patch?.(jest.requireActual(definition.name), version);
    // By absolute path: a package's `exports` hide its inner files from a require by name.
    const inner = (file: string) => path.join(path.dirname(manifest), path.relative(definition.name, file));
    for (const file of definition.files) file.patch(jest.requireActual(inner(file.name)), version);
  }
}

const spansOf = (traceId: string) => exported.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);

/** The names from `span` up to the trace's root, following parent ids (a missing parent ends the walk early). */
function pathToRoot(span: ReadableSpan, spans: ReadableSpan[]): string[] {
  const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
  const names: string[] = [];
  for (let at: ReadableSpan | undefined = span; at; at = at.parentSpanId ? byId.get(at.parentSpanId) : undefined) {
    names.push(at.name);
  }
  return names;
}

/** The trace whose HTTP server span is `name` and answered after `since`; waits until it holds `complete`. */
async function traceOf(
  name: string,
  since: number,
  complete: (spans: ReadableSpan[]) => boolean,
): Promise<ReadableSpan[]> {
  const server = await waitFor(`the ${name} server span`, () =>
    exported
      .getFinishedSpans()
      .find((s) => s.kind === SpanKind.SERVER && s.name === name && s.startTime[0] * 1000 >= since - 1000),
  );
  const traceId = server!.spanContext().traceId;
  const spans = await waitFor(
    `the whole trace of ${name}`,
    () => {
      const found = spansOf(traceId);
      return complete(found) ? found : null;
    },
    30_000,
  );
  return spans!;
}

const named = (spans: ReadableSpan[], prefix: string) => spans.filter((s) => s.name.startsWith(prefix));
const isSql = (s: ReadableSpan) => s.attributes['db.system'] === 'mysql';
const isRedis = (s: ReadableSpan) => s.attributes['db.system'] === 'redis';

describe('one trace per request', () => {
  test('a hold, its order and its payment: HTTP → Temporal call → workflow → activity → SQL and Redis', async () => {
    const productId = await createProduct(stack, 5);
    const holdSent = Date.now();
    const hold = await postHold(stack, productId, 2);
    expect(hold.status).toBe(201);
    const orderId = (await orderOf(stack, hold.body.data.hold_id)).id as number;
    expect((await payWebhook(stack, orderId, 'paid')).status).toBe(200);
    await stack.client.workflow.getHandle(`order-${orderId}`).result();

    // The hold: its workflow span ends with the workflow (the order ended it), the order's when it is paid.
    const holdTrace = await traceOf('POST /api/holds', holdSent, (spans) => named(spans, 'RunWorkflow:').length === 2);
    const reservation = holdTrace.find((s) => isSql(s) && pathToRoot(s, holdTrace)[1] === 'RunActivity:reserveStock');
    expect(reservation && pathToRoot(reservation, holdTrace).slice(1)).toEqual([
      'RunActivity:reserveStock',
      'StartActivity:reserveStock',
      'RunWorkflow:holdWorkflowV2',
      'StartWorkflow:holdWorkflowV2',
      'POST /api/holds',
    ]);
    const productRead = holdTrace.find(isRedis);
    expect(productRead && pathToRoot(productRead, holdTrace).slice(1)).toEqual(['POST /api/holds']);
    // The hold's workflow starts the order's (a child): the same trace.
    const orderRun = named(holdTrace, 'RunWorkflow:orderWorkflow')[0];
    expect(pathToRoot(orderRun, holdTrace).slice(1)).toEqual([
      'StartChildWorkflow:orderWorkflow',
      'RunWorkflow:holdWorkflowV2',
      'StartWorkflow:holdWorkflowV2',
      'POST /api/holds',
    ]);
    // Every log line of the request carries its trace.
    const holdLines = lines.filter((l) => l.request_id === hold.headers.get('x-request-id'));
    expect(holdLines.length).toBeGreaterThan(0);
    for (const line of holdLines) expect(line.trace_id).toBe(holdTrace[0].spanContext().traceId);

    // The order: the update reaches the hold's workflow, whose handler has the order written by an activity.
    const orderTrace = await traceOf('POST /api/orders', holdSent, (spans) => named(spans, 'HandleUpdate:').length > 0);
    const orderWrite = orderTrace.find((s) => isSql(s) && s.name === 'INSERT');
    expect(orderWrite && pathToRoot(orderWrite, orderTrace).slice(1)).toEqual([
      'RunActivity:createOrder',
      'StartActivity:createOrder',
      'HandleUpdate:placeOrder',
      'StartWorkflowUpdate:placeOrder',
      'POST /api/orders',
    ]);

    // The payment: settled in MariaDB by the API, then signalled (with start) to the order's workflow.
    const paymentTrace = await traceOf(
      'POST /api/payments/webhook',
      holdSent,
      (spans) => named(spans, 'HandleSignal:').length > 0,
    );
    const handled = named(paymentTrace, 'HandleSignal:paymentSettled')[0];
    expect(pathToRoot(handled, paymentTrace).slice(1)).toEqual([
      'SignalWithStartWorkflow:orderWorkflow',
      'POST /api/payments/webhook',
    ]);
    const settle = paymentTrace.find((s) => isSql(s) && s.name === 'UPDATE');
    expect(settle && pathToRoot(settle, paymentTrace).slice(1)).toEqual(['POST /api/payments/webhook']);
  });
});
