import type { Sequelize } from 'sequelize';
import { SequelizeStorage, Umzug } from 'umzug';
import { DEFAULT_CURRENCY } from '../shared/money';
import { migrations, type MigrationSettings } from './migrations';

const DEFAULT_SETTINGS: MigrationSettings = { currency: DEFAULT_CURRENCY };

export function createMigrator(sequelize: Sequelize, settings: MigrationSettings = DEFAULT_SETTINGS) {
  const qi = sequelize.getQueryInterface();
  return new Umzug({
    migrations: migrations.map((m) => ({ name: m.name, up: () => m.up(qi, settings), down: () => m.down(qi) })),
    context: qi,
    storage: new SequelizeStorage({ sequelize, tableName: 'schema_migrations' }),
    logger: undefined,
  });
}

export async function migrate(sequelize: Sequelize, settings: MigrationSettings = DEFAULT_SETTINGS): Promise<string[]> {
  // A named lock keeps two processes starting at once from applying the same migration twice.
  await sequelize.query("SELECT GET_LOCK('flash_sale_migrate', 60)");
  try {
    const applied = await createMigrator(sequelize, settings).up();
    return applied.map((m) => m.name);
  } finally {
    await sequelize.query("SELECT RELEASE_LOCK('flash_sale_migrate')");
  }
}
