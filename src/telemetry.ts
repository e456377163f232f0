import { trace, type ProxyTracerProvider } from '@opentelemetry/api';
import type { InstrumentationBase } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { MySQL2Instrumentation } from '@opentelemetry/instrumentation-mysql2';
import type { Resource } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { BasicTracerProvider, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ClientInterceptors } from '@temporalio/client';
import {
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
  makeWorkflowExporter,
  type OpenTelemetrySinks,
} from '@temporalio/interceptors-opentelemetry';
import type { InjectedSinks, WorkerOptions } from '@temporalio/worker';

/**
 * OpenTelemetry traces: one trace per request, from the HTTP server span through the Temporal client call, the
 * workflow and its activities, to the SQL statements (mysql2, under Sequelize) and the Redis commands. Off unless an
 * exporter is configured (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_TRACES_EXPORTER, read by the SDK itself): then nothing
 * is patched, no interceptor runs, and the workflow spans' sink drops what it is given.
 */

/**
 * The workflow side of the Temporal interceptors; its spans go to the `exporter` sink. Bundled only into the bundle of
 * a traced worker (worker.ts workflowBundleOf: it runs on every activation, traced or not) and into the tests'.
 */
export const WORKFLOW_INTERCEPTOR_MODULES = [
  require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors'),
];

export interface TelemetrySettings {
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;
  OTEL_TRACES_EXPORTER?: string;
}

export interface Telemetry {
  readonly on: boolean;
  /** What patches http, mysql2 and ioredis (tests under Jest, whose module loader the SDK's hook misses, apply them). */
  readonly instrumentations: InstrumentationBase[];
  /** Flushes what is still buffered (a stopping process). */
  shutdown: () => Promise<void>;
}

/** The SDK's provider while tracing is on: its span processor also takes the workflow spans (the sink). */
let provider: BasicTracerProvider | null = null;

export function tracingConfigured(settings: TelemetrySettings): boolean {
  const exporters = settings.OTEL_TRACES_EXPORTER?.split(',').map((e) => e.trim()) ?? [];
  if (exporters.includes('none')) return false;
  return Boolean(settings.OTEL_EXPORTER_OTLP_ENDPOINT) || exporters.some(Boolean);
}

/**
 * Starts the SDK before the instrumented modules load (the entry points import the rest afterwards). `spanProcessors`
 * (tests) replace the exporters the SDK would build from the standard OTEL_* variables.
 */
export function startTelemetry(
  serviceName: string,
  settings: TelemetrySettings,
  spanProcessors?: SpanProcessor[],
): Telemetry {
  if (provider || (!spanProcessors && !tracingConfigured(settings))) {
    return { on: Boolean(provider), instrumentations: [], shutdown: noop };
  }
  const instrumentations = [
    // Probes and scrapes would be most of the traces and tell nothing.
    new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => /^\/(health|ready|metrics)\b/.test(req.url ?? '') }),
    new IORedisInstrumentation(),
    new MySQL2Instrumentation(),
  ];
  const sdk = new NodeSDK({
    serviceName: process.env.OTEL_SERVICE_NAME || serviceName,
    ...(spanProcessors ? { spanProcessors } : {}),
    instrumentations,
  });
  sdk.start();
  provider = (trace.getTracerProvider() as ProxyTracerProvider).getDelegate() as BasicTracerProvider;
  return {
    on: true,
    instrumentations,
    shutdown: async () => {
      provider = null;
      await sdk.shutdown();
    },
  };
}

/** The Temporal client's interceptors: the request's context goes into every start, update, signal and query. */
export function temporalClientInterceptors(): ClientInterceptors | undefined {
  return provider ? { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } : undefined;
}

/** A worker's part: the activity interceptors (traced only), and the sink the bundled workflow interceptors use. */
export function temporalWorkerTracing(): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  if (!provider) return { sinks: droppedWorkflowSpans };
  const sinks: InjectedSinks<OpenTelemetrySinks> = {
    exporter: makeWorkflowExporter(provider.getActiveSpanProcessor(), provider.resource as Resource),
  };
  return {
    sinks,
    interceptors: {
      activity: [
        (ctx) => ({
          inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
          outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
        }),
      ],
    },
  };
}

const noop = async () => undefined;

/** Tracing off: the workflow spans are dropped here (a sink call the worker makes after each activation). */
const droppedWorkflowSpans: InjectedSinks<OpenTelemetrySinks> = { exporter: { export: { fn: () => undefined } } };
