import { createPool, type Pool, type PoolConnection, type RowDataPacket } from 'mysql2/promise';
import { readConservation } from '../../harness/conservation';
import { createReserver } from '../../src/db/reserve';
import { runReservation } from '../../src/db/reserve-batch';
import { createSequelize } from '../../src/db/sequelize';
import { sqlTime } from '../../src/db/time';
import { sleep } from '../../harness/wait';
import { round } from './util';

export function connect(url: string, size = 4, multipleStatements = false): Pool {
  const u = new URL(url);
  return createPool({
    host: u.hostname,
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password) || undefined,
    database: u.pathname.slice(1),
    connectionLimit: size,
    multipleStatements,
    timezone: 'Z',
    dateStrings: true,
  });
}

async function rows<T>(db: Pool, sql: string, params: unknown[] = []): Promise<T[]> {
  const [r] = await db.query<RowDataPacket[]>(sql, params);
  return r as T[];
}

/** Empties the bench tables; the hold id sequence keeps counting, so old workflow ids are never reused. */
export async function resetTables(db: Pool): Promise<void> {
  const conn = await db.getConnection();
  try {
    await conn.query('SET FOREIGN_KEY_CHECKS = 0');
    for (const t of ['payment_events', 'orders', 'holds', 'idempotency_keys', 'stock_shards', 'products']) {
      await conn.query(`TRUNCATE TABLE ${t}`);
    }
    await conn.query('SET FOREIGN_KEY_CHECKS = 1');
  } finally {
    conn.release();
  }
}

export async function createProduct(db: Pool, name: string, stock: number): Promise<number> {
  const now = sqlTime(new Date());
  const [res] = await db.query(
    `INSERT INTO products (name, total_stock, available_stock, price, created_at, updated_at) VALUES (?, ?, ?, 9.99, ?, ?)`,
    [name, stock, stock, now, now],
  );
  return Number((res as { insertId: number }).insertId);
}

/** Splits a fresh product's stock over `shards` stock rows, as PUT /api/admin/products/{id}/stock-shards does. */
export async function shardProduct(db: Pool, productId: number, shards: number): Promise<void> {
  const now = sqlTime(new Date());
  const [[p]] = (await db.query('SELECT available_stock FROM products WHERE id = ?', [productId])) as unknown as [
    { available_stock: number }[],
  ];
  const total = Number(p.available_stock);
  const rows = Array.from({ length: shards }, (_, i) => [
    productId,
    i + 1,
    Math.floor(total / shards) + (i < total % shards ? 1 : 0),
    now,
  ]);
  await db.query('INSERT INTO stock_shards (product_id, shard, available, updated_at) VALUES ?', [rows]);
  await db.query('UPDATE products SET available_stock = 0, stock_shards = ? WHERE id = ?', [shards, productId]);
}

/** The harness's conservation read (harness/conservation.ts) on the bench's pool. */
export const conservation = (db: Pool, productId: number) =>
  readConservation((sql, params) => rows(db, sql, params), productId);

export async function count(db: Pool, sql: string, params: unknown[] = []): Promise<number> {
  const [r] = await rows<{ n: number }>(db, sql, params);
  return Number(r?.n ?? 0);
}

export async function serverVersion(db: Pool): Promise<string> {
  const [r] = await rows<{ v: string }>(db, 'SELECT VERSION() AS v');
  return r.v;
}

let syntheticHoldId = 9_000_000_000_000;

/** The textbook reservation: four round trips, the row locked across them. */
async function classicReservation(conn: PoolConnection, productId: number, holdId: number, now: Date, expires: Date) {
  await conn.query('START TRANSACTION');
  const [locked] = await conn.query<RowDataPacket[]>(
    'SELECT available_stock, (SELECT COUNT(*) FROM holds WHERE id = ?) AS already FROM products WHERE id = ? FOR UPDATE',
    [holdId, productId],
  );
  if (Number(locked[0].available_stock) < 1) throw new Error('hot row ran out of stock');
  await conn.query('UPDATE products SET available_stock = available_stock - 1, updated_at = ? WHERE id = ?', [
    sqlTime(now),
    productId,
  ]);
  await conn.query(
    'INSERT INTO holds (id, product_id, quantity, hold_expires_at, created_at, updated_at) VALUES (?, ?, 1, ?, ?, ?)',
    [holdId, productId, sqlTime(expires), sqlTime(now), sqlTime(now)],
  );
  await conn.query('COMMIT');
}

/**
 * The physical limit: the reservation transaction on one hot product row, straight from `connections` clients,
 * no HTTP, no Temporal. `classic` is the locked transaction statement by statement (5 round trips, 3 of them
 * with the row locked), `one-trip` the same work as one multi-statement round trip (what the worker sends).
 */
export async function hotRow(
  url: string,
  productId: number,
  variant: 'classic' | 'one-trip' | 'sharded',
  connections: number,
  seconds: number,
  onTick: (done: number) => void,
) {
  const db = connect(url, connections);
  // The worker's own reservation runs on Sequelize's pool (multi-statement batches in its managed transactions).
  const sequelize = createSequelize({ url, poolMax: connections });
  // `sharded`: the worker's own path, one shard row per hold, the others only when that one runs dry.
  const reserve = variant === 'sharded' ? createReserver(sequelize) : runReservation.bind(null, { db: sequelize });
  const ranOut = `${variant === 'sharded' ? 'sharded product' : 'hot row'} ran out of stock`;
  // Open every connection before the clock starts.
  await Promise.all(Array.from({ length: connections }, () => db.query('SELECT 1')));
  await Promise.all(
    Array.from({ length: connections }, () =>
      sequelize.transaction((transaction) => sequelize.query('SELECT 1', { transaction })),
    ),
  );
  let done = 0;
  let errors = 0;
  const started = performance.now();
  const deadline = Date.now() + seconds * 1000;
  const ticker = setInterval(() => onTick(done), 250);
  const lane = async () => {
    const conn = variant === 'classic' ? await db.getConnection() : null;
    while (Date.now() < deadline) {
      const holdId = syntheticHoldId++;
      const now = new Date();
      const expires = new Date(now.getTime() + 3_600_000);
      try {
        if (conn) {
          await classicReservation(conn, productId, holdId, now, expires);
        } else {
          const out = await reserve({ holdId, productId, quantity: 1, now, expiresAt: expires });
          if (!out.reserved) throw new Error(ranOut);
        }
        done++;
      } catch {
        errors++;
        if (conn) await conn.query('ROLLBACK').catch(() => undefined);
        await sleep(5);
      }
    }
    conn?.release();
  };
  await Promise.all(Array.from({ length: connections }, lane));
  clearInterval(ticker);
  const elapsed = (performance.now() - started) / 1000;
  await db.end();
  await sequelize.close();
  return {
    variant,
    connections,
    seconds: round(elapsed, 2),
    transactions: done,
    per_second: Math.round(done / elapsed),
    errors,
  };
}
