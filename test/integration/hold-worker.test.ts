import { readFileSync } from 'node:fs';
import type { Worker } from '@temporalio/worker';
import { createProductCache } from '../../src/cache/product-cache';
import { createRedis } from '../../src/cache/redis';
import { createLogger } from '../../src/logger';
import { createSequelize } from '../../src/db/sequelize';
import { SupervisedHoldWorker } from '../../src/worker/hold-worker';
import { testConfig } from '../../harness/stack';
import { waitFor } from '../../harness/wait';

/**
 * The API's hold worker is a supervised part (issue 20): when it stops, it is started again (with back-off), and
 * `running()` (the /ready probe and flash_sale_hold_worker_running) says so meanwhile.
 */
test('a hold worker that stops is restarted, and reported down until it runs again', async () => {
  const config = testConfig({ HOLD_EAGER_START: 'true' });
  const log = createLogger('warn', 'test');
  const db = createSequelize({ url: config.DATABASE_URL, poolMax: 2 });
  const redis = createRedis(config.REDIS_URL, log);
  const cache = createProductCache(redis, log, { gateTtlSeconds: 0 });
  const workflowBundle = { code: readFileSync(process.env.TEST_WORKFLOW_BUNDLE!, 'utf8') };
  const link = new SupervisedHoldWorker(config, { db, cache, log }, workflowBundle);
  try {
    await waitFor('the hold worker to run', () => link.holdWorker.running(), 60_000);
    expect(link.holdWorker.restarts()).toBe(0);
    // Stopped from outside its supervisor, as a fatal worker error would stop it.
    (link as unknown as { worker: Worker }).worker.shutdown();
    await waitFor('the hold worker to be reported down', () => !link.holdWorker.running(), 30_000);
    await waitFor('the hold worker to run again', () => link.holdWorker.running(), 60_000);
    expect(link.holdWorker.restarts()).toBe(1);
    // The client stayed on the same connection throughout.
    await expect(link.client().workflowService.getSystemInfo({})).resolves.toBeDefined();
  } finally {
    await link.close();
    redis.disconnect();
    await db.close();
  }
}, 120_000);
