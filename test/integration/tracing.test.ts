import { randomUUID } from 'node:crypto';
import { builtinModules } from 'node:module';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { startTelemetry, type Telemetry } from '../../src/telemetry';
import { createProduct } from '../helpers/fixtures';
import { startStack, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';

/**
 * One request, one trace: the API's HTTP span, the Temporal client call, the workflow, its activity and the SQL and
 * Redis calls under them, across the API (eager start, hold worker) and the worker, as the spans reach an in-memory
 * exporter in this process.
 */
const exported = new InMemorySpanExporter();
let telemetry: Telemetry;
let stack: Stack;

beforeAll(async () => {
  telemetry = startTelemetry('flash-sale-test', {}, [new SimpleSpanProcessor(exported)]);
  patchUnderJest(telemetry);
  stack = await startStack({ HOLD_TTL_SECONDS: '30', PAYMENT_TIMEOUT_SECONDS: '60' });
  await waitFor('the API hold worker', () => stack.api.eagerStartReady(), 60_000);
});
afterAll(async () => {
  await stack.close();
  await telemetry.shutdown();
});

/**
 * Jest loads node_modules through a loader of its own, which the SDK's require hook never sees: the instrumentations'
 * patches are applied here to the very modules Jest hands the service (Node's own modules go through the hook).
 */
function patchUnderJest({ instrumentations }: Telemetry) {
  for (const definition of instrumentations.flatMap((i) => i.getModuleDefinitions())) {
    if (builtinModules.includes(definition.name)) continue;
    const version = jest.requireActual<{ version: string }>(`${definition.name}/package.json`).version;
    definition.patch?.(jest.requireActual(definition.name), version);
    for (const file of definition.files) file.patch(jest.requireActual(file.name), version);
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
    const hold = await stack.http.post('/api/holds', { product_id: productId, quantity: 2 });
    expect(hold.status).toBe(201);
    const order = await stack.http.post('/api/orders', { hold_id: hold.body.data.hold_id });
    expect(order.status).toBe(201);
    const orderId = order.body.data.id as number;
    const paid = await stack.http.post('/api/payments/webhook', {
      event_id: `evt-${randomUUID()}`,
      order_id: orderId,
      status: 'paid',
    });
    expect(paid.status).toBe(200);
    await stack.client.workflow.getHandle(`order-${orderId}`).result();

    // The hold: its workflow span ends with the workflow (the order ended it), so the trace is whole once it is there.
    const holdTrace = await traceOf(
      'POST /api/holds',
      holdSent,
      (spans) => named(spans, 'RunWorkflow:').length > 0 && spans.some(isSql),
    );
    const reservation = holdTrace.find(
      (s) => isSql(s) && pathToRoot(s, holdTrace).includes('RunActivity:reserveStock'),
    );
    expect(reservation).toBeDefined();
    expect(pathToRoot(reservation!, holdTrace).slice(1)).toEqual([
      'RunActivity:reserveStock',
      'StartActivity:reserveStock',
      'RunWorkflow:holdWorkflowV2',
      'StartWorkflow:holdWorkflowV2',
      'POST /api/holds',
    ]);
    const productRead = holdTrace.find(isRedis);
    expect(productRead && pathToRoot(productRead, holdTrace).at(-1)).toBe('POST /api/holds');

    // The order: the update reaches the hold's workflow, which starts the order's, whose activities write.
    const orderTrace = await traceOf('POST /api/orders', holdSent, (spans) => named(spans, 'RunWorkflow:').length > 0);
    expect(named(orderTrace, 'HandleUpdate:').length).toBeGreaterThan(0);
    const orderRun = orderTrace.find((s) => s.name.startsWith('RunWorkflow:') && /order/i.test(s.name));
    expect(orderRun && pathToRoot(orderRun, orderTrace)).toEqual(
      expect.arrayContaining(['StartChildWorkflow:orderWorkflow', 'POST /api/orders']),
    );

    // The payment: the signal reaches the order's workflow.
    const paymentTrace = await traceOf(
      'POST /api/payments/webhook',
      holdSent,
      (spans) => named(spans, 'HandleSignal:').length > 0,
    );
    const handled = named(paymentTrace, 'HandleSignal:')[0];
    expect(pathToRoot(handled, paymentTrace).at(-1)).toBe('POST /api/payments/webhook');
    expect(named(paymentTrace, 'SignalWorkflow:').length).toBe(1);
    expect(paymentTrace.some(isSql)).toBe(true);
  });
});
