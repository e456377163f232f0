import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { loadConfig } from '../src/config';
import { migrate } from '../src/db/migrate';
import { createSequelize, ensureDatabase } from '../src/db/sequelize';
import { WORKFLOW_INTERCEPTOR_MODULES } from '../src/telemetry';

/** Once per run: the test database migrated, and the workflow bundle built once for every test file. */
export default async function globalSetup() {
  const config = loadConfig({ ...process.env, NODE_ENV: 'test' });
  await ensureDatabase(config.DATABASE_URL);
  const db = createSequelize({ url: config.DATABASE_URL, poolMax: 1 });
  try {
    await migrate(db);
  } finally {
    await db.close();
  }
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../src/workflows'),
    workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
  });
  const dir = path.resolve(__dirname, '../.run');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `test-workflow-bundle-${process.pid}.js`);
  writeFileSync(file, code);
  process.env.TEST_WORKFLOW_BUNDLE = file;
}
