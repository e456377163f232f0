import { Runtime } from '@temporalio/worker';
import { configWarnings, loadConfig, sweepTaskQueue } from '../config';
import { createLogger } from '../logger';
import { sdkMetricsTelemetry } from './telemetry';
import { temporalLogger } from './temporal-logger';
import { createFlashSaleWorker } from './worker';

/** `npm run worker`: runs hold, order and sweep workflows and their activities until SIGTERM/SIGINT. */
async function main() {
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL, 'worker');
  for (const warning of configWarnings()) log.warn(warning);
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
    },
    'worker running',
  );
  await handle.run();
  log.info('worker stopped');
}

main().catch((err: Error) => {
  process.stderr.write(`${JSON.stringify({ level: 'fatal', service: 'worker', msg: err.message })}\n`);
  process.exit(1);
});
