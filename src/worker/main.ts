import { configWarnings, loadConfig, sweepTaskQueue } from '../config';
import { createLogger } from '../logger';
import { runtimeWarnings } from '../runtime';
import { startTelemetry } from '../telemetry';
import { sdkMetricsTelemetry } from './telemetry';

/** `npm run worker`: runs hold, order and sweep workflows and their activities until SIGTERM/SIGINT. */
async function main() {
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL, 'worker');
  for (const warning of [...configWarnings(), ...runtimeWarnings()]) log.warn(warning);
  // Before the modules it instruments (mysql2, ioredis) load: the worker's code is imported below.
  const telemetry = startTelemetry('flash-sale-worker', config);
  const { Runtime } = await import('@temporalio/worker');
  const { temporalLogger } = await import('./temporal-logger');
  const { createFlashSaleWorker } = await import('./worker');
  Runtime.install({
    logger: temporalLogger(log),
    shutdownSignals: ['SIGINT', 'SIGTERM'],
    ...sdkMetricsTelemetry(config.WORKER_METRICS_ADDRESS),
  });
  // A bundle prebuilt at WORKFLOW_BUNDLE_PATH (the container image, npm start) is used; otherwise bundled at start.
  const handle = await createFlashSaleWorker(config, log);
  log.info(
    {
      task_queue: config.TASK_QUEUE,
      sweep_task_queue: sweepTaskQueue(config),
      namespace: config.TEMPORAL_NAMESPACE,
      metrics: config.WORKER_METRICS_ADDRESS || 'off',
      tracing: telemetry.on ? 'on' : 'off',
    },
    'worker running',
  );
  await handle.run();
  await telemetry.shutdown();
  log.info('worker stopped');
}

main().catch((err: Error) => {
  process.stderr.write(`${JSON.stringify({ level: 'fatal', service: 'worker', msg: err.message })}\n`);
  process.exit(1);
});
