import { bundleWorkflowsForTests } from '../harness/workflow-bundle';
import { loadConfig } from '../src/config';
import { migrate } from '../src/db/migrate';
import { createSequelize, ensureDatabase } from '../src/db/sequelize';

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
  await bundleWorkflowsForTests('test');
}
