import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { Runtime } from '@temporalio/worker';
import type { Sequelize } from 'sequelize';
import { startApi, type RunningApi } from '../src/api/server';
import { loadConfig, type Config } from '../src/config';
import { createSequelize } from '../src/db/sequelize';
import { createLogger, type Logger } from '../src/logger';
import { temporalLogger } from '../src/worker/temporal-logger';
import { createFlashSaleWorker, type WorkerHandle } from '../src/worker/worker';
import { httpClient, type HttpClient } from './http';

export const ADMIN_TOKEN = 'test-admin-token';

export interface Stack {
  config: Config;
  http: HttpClient;
  baseUrl: string;
  /** A separate connection for assertions straight against MariaDB. */
  db: Sequelize;
  client: Client;
  api: RunningApi;
  worker: WorkerHandle | null;
  startWorker: () => Promise<void>;
  stopWorker: () => Promise<void>;
  close: () => Promise<void>;
}

let runtimeInstalled = false;

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    PORT: '0',
    HOLD_TTL_SECONDS: '3',
    PAYMENT_TIMEOUT_SECONDS: '4',
    SWEEP_GRACE_SECONDS: '1',
    // The database-derived metrics are recomputed this often (tests wait for them, never for a scrape).
    SALE_FIGURES_INTERVAL_SECONDS: '1',
    ADMIN_TOKEN,
    TASK_QUEUE: `test-${randomUUID()}`,
    TEMPORAL_CALL_TIMEOUT_MS: '8000',
    ...overrides,
  });
}

/** The real API and a real worker, in this process, against the real MariaDB, Redis and Temporal. */
export async function startStack(
  overrides: Record<string, string> = {},
  opts: { worker?: boolean; log?: Logger } = {},
): Promise<Stack> {
  const config = testConfig(overrides);
  const log = opts.log ?? createLogger(config.LOG_LEVEL, 'test');
  if (!runtimeInstalled) {
    try {
      Runtime.install({ logger: temporalLogger(createLogger('warn', 'temporal-test')) });
    } catch {
      // Installed by an earlier test file in this process.
    }
    runtimeInstalled = true;
  }
  const bundlePath = process.env.TEST_WORKFLOW_BUNDLE!;
  const workflowBundle = { code: readFileSync(bundlePath, 'utf8') };
  const api = await startApi(config, log, { workflowBundle });
  const baseUrl = `http://127.0.0.1:${api.port}`;
  const db = createSequelize({ url: config.DATABASE_URL, poolMax: 5 });
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });

  let running: Promise<void> | null = null;
  const stack: Stack = {
    config,
    http: httpClient(baseUrl),
    baseUrl,
    db,
    client,
    api,
    worker: null,
    async startWorker() {
      if (stack.worker) return;
      stack.worker = await createFlashSaleWorker(config, log, { workflowBundle, skipSchedule: true });
      running = stack.worker.run();
    },
    async stopWorker() {
      if (!stack.worker) return;
      await stack.worker.shutdown();
      await running;
      stack.worker = null;
      running = null;
    },
    async close() {
      await stack.stopWorker();
      await api.close();
      await connection.close();
      await db.close();
    },
  };
  if (opts.worker !== false) await stack.startWorker();
  return stack;
}
