import { Runtime } from '@temporalio/worker';
import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { temporalLogger } from './temporal-logger';
import { createFlashSaleWorker } from './worker';

/** `npm run worker`: runs hold, order and sweep workflows and their activities until SIGTERM/SIGINT. */
async function main() {
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL, 'worker');
  Runtime.install({ logger: temporalLogger(log), shutdownSignals: ['SIGINT', 'SIGTERM'] });
  const handle = await createFlashSaleWorker(config, log);
  log.info({ task_queue: config.TASK_QUEUE, namespace: config.TEMPORAL_NAMESPACE }, 'worker running');
  await handle.run();
  log.info('worker stopped');
}

main().catch((err: Error) => {
  process.stderr.write(`${JSON.stringify({ level: 'fatal', service: 'worker', msg: err.message })}\n`);
  process.exit(1);
});
