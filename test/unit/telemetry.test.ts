import {
  startTelemetry,
  temporalClientInterceptors,
  temporalWorkerTracing,
  tracingConfigured,
} from '../../src/telemetry';

describe('tracing is off unless an exporter is configured', () => {
  test.each([
    [{}, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, true],
    [{ OTEL_TRACES_EXPORTER: 'console' }, true],
    [{ OTEL_TRACES_EXPORTER: 'otlp, console' }, true],
    [{ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, false],
    [{ OTEL_TRACES_EXPORTER: '' }, false],
  ])('%j: %s', (settings, on) => {
    expect(tracingConfigured(settings)).toBe(on);
  });

  test('off: nothing patched, no Temporal interceptors, and the workflow spans dropped by the sink', () => {
    const telemetry = startTelemetry('test', {});
    expect(telemetry.on).toBe(false);
    expect(telemetry.instrumentations).toEqual([]);
    expect(temporalClientInterceptors()).toBeUndefined();
    const worker = temporalWorkerTracing();
    expect(worker.interceptors).toBeUndefined();
    expect(Object.keys(worker.sinks ?? {})).toEqual(['exporter']);
  });
});
