import { Runtime } from '@temporalio/worker';
import { configWarnings, loadConfig } from '../config';
import { createLogger } from '../logger';
import { temporalLogger } from '../worker/temporal-logger';
import { startApi } from './server';

async function main() {
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL, 'api');
  for (const warning of configWarnings()) log.warn(warning);
  // The hold worker of HOLD_EAGER_START logs through ours; this process stops it itself on a signal (below).
  if (config.HOLD_EAGER_START) Runtime.install({ logger: temporalLogger(log), shutdownSignals: [] });
  const api = await startApi(config, log);
  const stop = (signal: string) => {
    log.info({ signal }, 'shutting down');
    api.close().then(
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

main().catch((err: Error) => {
  process.stderr.write(`${JSON.stringify({ level: 'fatal', service: 'api', msg: err.message })}\n`);
  process.exit(1);
});
