import { QueryTypes, type Sequelize } from 'sequelize';
import { nextHoldId } from '../../src/db/ids';
import { runReservation } from '../../src/db/reserve-batch';
import type { ReserveRequest } from '../../src/db/reserve-request';
import { createSequelize, RESERVATION_LOCK_WAIT_SECONDS } from '../../src/db/sequelize';
import { availableStock, createProduct, expectConserved } from '../../harness/fixtures';
import { useStack } from './support/stack';

/**
 * The reservation's transaction on a connection of Sequelize's pool, against the real MariaDB: the batch commits
 * itself, its lock waits are bounded per statement (the session keeps the server's), and a batch that fails half-way
 * never leaves a transaction open on a pooled connection.
 */
const stack = useStack({}, { worker: false });
/** One connection only, so every query below runs on the connection the reservation used. */
let single: Sequelize;
let other: Sequelize;
beforeAll(async () => {
  single = createSequelize({ url: stack.config.DATABASE_URL, poolMax: 1 });
  other = createSequelize({ url: stack.config.DATABASE_URL, poolMax: 2 });
});
afterAll(async () => {
  await single.close();
  await other.close();
});

const request = async (productId: number): Promise<ReserveRequest> => {
  const now = new Date();
  return { holdId: await nextHoldId(other), productId, quantity: 1, now, expiresAt: new Date(now.getTime() + 60_000) };
};

const one = async <T extends object>(db: Sequelize, sql: string) =>
  (await db.query<T>(sql, { type: QueryTypes.SELECT }))[0];

test('the batch commits itself: its connection goes back with nothing open and the hold visible elsewhere', async () => {
  const productId = await createProduct(stack, 5);
  const r = await request(productId);
  expect(await runReservation({ db: single }, r)).toMatchObject({ reserved: true, available: 5 });
  // The same (only) connection the batch ran on.
  expect(Number((await one<{ open: number }>(single, 'SELECT @@in_transaction AS open')).open)).toBe(0);
  // Another connection locks the product row without waiting: the batch's COMMIT released it.
  const locked = await other.transaction(async (t) =>
    other.query<{ available_stock: number }>(
      'SELECT available_stock FROM products WHERE id = :productId FOR UPDATE NOWAIT',
      { transaction: t, replacements: { productId }, type: QueryTypes.SELECT },
    ),
  );
  expect(Number(locked[0].available_stock)).toBe(4);
  await expectConserved(other, productId, 5);
});

test('a lock wait past the bound fails the reservation, rolls it back and leaves the connection clean', async () => {
  const productId = await createProduct(stack, 5);
  const blocker = await other.transaction();
  await other.query('SELECT id FROM products WHERE id = :productId FOR UPDATE', {
    transaction: blocker,
    replacements: { productId },
    type: QueryTypes.SELECT,
  });
  const started = Date.now();
  const failed = await runReservation({ db: single }, await request(productId)).catch((err: Error) => err);
  const waited = Date.now() - started;
  await blocker.rollback();
  expect(failed).toBeInstanceOf(Error);
  expect(String((failed as Error).message)).toMatch(/Lock wait timeout/);
  expect(waited).toBeGreaterThanOrEqual(RESERVATION_LOCK_WAIT_SECONDS * 1000 - 200);
  expect(waited).toBeLessThan(RESERVATION_LOCK_WAIT_SECONDS * 1000 + 5_000);
  // The same (only) connection: no transaction left open, and the session keeps the server's own lock wait.
  const state = await one<{ open: number; session: number; global: number }>(
    single,
    'SELECT @@in_transaction AS open, @@SESSION.innodb_lock_wait_timeout AS session, ' +
      '@@GLOBAL.innodb_lock_wait_timeout AS global',
  );
  expect(Number(state.open)).toBe(0);
  expect(Number(state.session)).toBe(Number(state.global));
  // Nothing of the half-run batch committed, then or with the next reservation on that connection.
  expect(await runReservation({ db: single }, await request(productId))).toMatchObject({ reserved: true });
  expect(await availableStock(other, productId)).toBe(4);
  await expectConserved(other, productId, 5);
});
