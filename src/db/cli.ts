import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { migrate } from './migrate';
import { seed } from './seed';
import { createSequelize, ensureDatabase } from './sequelize';

/** `npm run migrate` / `npm run seed`: the schema, then the sample data. */
async function main(command: string | undefined) {
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL, 'db');
  await ensureDatabase(config.DATABASE_URL);
  const db = createSequelize({ url: config.DATABASE_URL, poolMax: 1, stallTimeoutMs: 0 });
  try {
    if (command === 'migrate' || command === 'setup') {
      const applied = await migrate(db, { currency: config.CURRENCY });
      log.info({ applied }, applied.length ? 'migrations applied' : 'schema up to date');
    }
    if (command === 'seed' || command === 'setup') {
      await seed(db);
      log.info('sample data present');
    }
    if (!['migrate', 'seed', 'setup'].includes(command ?? '')) throw new Error('usage: cli migrate|seed|setup');
  } finally {
    await db.close();
  }
}

main(process.argv[2]).catch((err: Error) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
