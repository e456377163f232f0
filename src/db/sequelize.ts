import { Sequelize } from 'sequelize';
import type { Logger } from '../logger';

export interface DbOptions {
  url: string;
  poolMax: number;
  log?: Logger;
  /** See DB_STALL_TIMEOUT_MS; 0 turns it off (migrations: a DDL statement or the migration lock may take long). */
  stallTimeoutMs?: number;
}

/**
 * A statement that gets no byte back from the server for this long is given up: its connection is destroyed (the
 * pool replaces it) and the caller gets a connection error, a 503 in the API and a retry in an activity. Without it
 * a hung server or a black-holed network would hold the request, and its pooled connection, until TCP gives up,
 * many minutes later. Longer than any lock wait this service's short transactions cause.
 */
export const DB_STALL_TIMEOUT_MS = 10_000;

interface DriverConnection {
  stream?: {
    setTimeout?: (ms: number) => void;
    on: (e: 'timeout', fn: () => void) => void;
    destroy: (e: Error) => void;
  };
  _command?: unknown;
}

/** Arms the stall timeout on one of Sequelize's mysql2 connections. */
export function guardStalls(connection: DriverConnection, ms = DB_STALL_TIMEOUT_MS): void {
  const socket = connection.stream;
  if (!socket?.setTimeout) return;
  socket.setTimeout(ms);
  socket.on('timeout', () => {
    // Idle in the pool, nothing waits on it; with a statement in flight, the server or the network has hung.
    if (connection._command) {
      socket.destroy(Object.assign(new Error(`no answer from the database for ${ms} ms`), { code: 'ETIMEDOUT' }));
    }
  });
}

/** One Sequelize instance per process; all times are UTC. */
export function createSequelize({ url, poolMax, log, stallTimeoutMs = DB_STALL_TIMEOUT_MS }: DbOptions): Sequelize {
  return new Sequelize(url.replace(/^mariadb:/, 'mysql:'), {
    hooks: stallTimeoutMs
      ? { afterConnect: (connection) => guardStalls(connection as DriverConnection, stallTimeoutMs) }
      : {},
    dialect: 'mysql',
    timezone: '+00:00',
    logging: log ? (sql) => log.trace({ sql }, 'sql') : false,
    pool: { max: poolMax, min: 0, idle: 10_000, acquire: 10_000 },
    // multipleStatements: the reservation sends its locked transaction as one batch (src/db/reserve-batch.ts). Every
    // query takes its values as escaped replacements or placeholders, never spliced in, so no value can add a statement.
    dialectOptions: { decimalNumbers: false, dateStrings: false, connectTimeout: 5_000, multipleStatements: true },
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

/**
 * The longest a reservation waits for one row lock (MariaDB's default is 50 s). A reservation's transaction goes to
 * the server whole, COMMIT included, so it commits even when its worker has died meanwhile; bounding its lock waits
 * bounds how late that can happen (see STOCK_WRITE_MARK_MS). Shorter than the reservation's 5 s attempt, so a wait
 * that long fails the attempt cleanly and Temporal retries it. Applied per statement (`lockWaitBounded`), so the other
 * transactions sharing the pool keep the server's own wait.
 */
export const RESERVATION_LOCK_WAIT_SECONDS = 3;

/** One statement with the reservation's lock-wait bound, for that statement only (MariaDB's SET STATEMENT). */
export const lockWaitBounded = (statement: string): string =>
  `SET STATEMENT innodb_lock_wait_timeout = ${RESERVATION_LOCK_WAIT_SECONDS} FOR ${statement}`;
