import type { Logger as SdkLogger, Runtime as SdkRuntime } from '@temporalio/worker';
import { configWarnings, loadConfig } from '../config';
import { createLogger, type Logger } from '../logger';
import { runtimeWarnings } from '../runtime';
import { startTelemetry } from '../telemetry';
import { sdkMetricsTelemetry } from '../worker/telemetry';

async function main() {
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL, 'api');
  for (const warning of [...configWarnings(), ...runtimeWarnings()]) log.warn(warning);
  // Before the modules it instruments (http, mysql2, ioredis) load: the rest of the API is imported below.
  const telemetry = startTelemetry('flash-sale-api', config);
  log.info({ tracing: telemetry.on ? 'on' : 'off' }, 'telemetry');
  const { Runtime } = await import('@temporalio/worker');
  const { temporalLogger } = await import('../worker/temporal-logger');
  const { startApi } = await import('./server');
  // The hold worker of HOLD_EAGER_START logs through ours and exports the SDK's metrics; this process stops it itself
  // on a signal (below).
  if (config.HOLD_EAGER_START)
    installTemporalRuntime(Runtime, temporalLogger(log), config.HOLD_WORKER_METRICS_ADDRESS, log);
  const api = await startApi(config, log);
  const stop = (signal: string) => {
    log.info({ signal }, 'shutting down');
    api
      .close()
      .then(() => telemetry.shutdown())
      .then(
        () => process.exit(0),
        (err: Error) => {
          log.error({ err: err.message }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

/** A metrics address already taken (another API on this host) turns the SDK's metrics off here, with a warning. */
function installTemporalRuntime(Runtime: typeof SdkRuntime, logger: SdkLogger, metrics: string, log: Logger) {
  const base = { logger, shutdownSignals: [] };
  try {
    Runtime.install({ ...base, ...sdkMetricsTelemetry(metrics) });
    log.info({ hold_worker_metrics: metrics || 'off' }, 'temporal runtime installed');
  } catch (err) {
    Runtime.install(base);
    log.warn({ hold_worker_metrics: metrics, err: (err as Error).message }, 'hold worker SDK metrics off');
  }
}

main().catch((err: Error) => {
  process.stderr.write(`${JSON.stringify({ level: 'fatal', service: 'api', msg: err.message })}\n`);
  process.exit(1);
});
