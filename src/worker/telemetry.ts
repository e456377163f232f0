import type { TelemetryOptions } from '@temporalio/worker';

/**
 * The Temporal SDK's Prometheus metrics as every process with a worker serves them (the worker, and the API's hold
 * worker): counters end in `_total`, durations are histograms in seconds named `..._seconds`, like the service's own metrics, so one
 * dashboard reads both. An empty address turns them off.
 */
export function sdkMetricsTelemetry(bindAddress: string): { telemetryOptions?: TelemetryOptions } {
  if (!bindAddress) return {};
  return {
    telemetryOptions: {
      metrics: {
        prometheus: { bindAddress, countersTotalSuffix: true, unitSuffix: true, useSecondsForDurations: true },
      },
    },
  };
}
