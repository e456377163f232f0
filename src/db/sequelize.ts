import { Sequelize } from 'sequelize';
import type { Logger } from '../logger';

export interface DbOptions {
  url: string;
  poolMax: number;
  log?: Logger;
}

/** One Sequelize instance per process; all times are UTC. */
export function createSequelize({ url, poolMax, log }: DbOptions): Sequelize {
  return new Sequelize(url.replace(/^mariadb:/, 'mysql:'), {
    dialect: 'mysql',
    timezone: '+00:00',
    logging: log ? (sql) => log.trace({ sql }, 'sql') : false,
    pool: { max: poolMax, min: 0, idle: 10_000, acquire: 10_000 },
    dialectOptions: { decimalNumbers: false, dateStrings: false, connectTimeout: 5_000 },
    define: { underscored: true, timestamps: true },
    retry: { max: 0 },
  });
}

/** Creates the database named in the URL when it does not exist (local development and tests). */
export async function ensureDatabase(url: string): Promise<void> {
  const parsed = new URL(url);
  const name = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`DATABASE_URL: bad database name "${name}"`);
  parsed.pathname = '/';
  const admin = createSequelize({ url: parsed.toString(), poolMax: 1 });
  try {
    await admin.query(`CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await admin.close();
  }
}
