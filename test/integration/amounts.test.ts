import { QueryTypes, type Sequelize } from 'sequelize';
import { createMigrator } from '../../src/db/migrate';
import { createSequelize, ensureDatabase } from '../../src/db/sequelize';
import { collectEvents, EVENTS_SECRET } from '../../harness/events';
import { testConfig, type Stack } from '../../harness/stack';
import { waitFor } from '../../harness/wait';
import { auth } from './support/admin';
import { payWebhook } from './support/purchase';
import { holdOf, orderOf, useStack } from './support/stack';

/**
 * Holds `quantity` of a new product at `price` (as the admin API takes it: a JSON number with two decimals) and
 * orders it: the 201 answer's data.
 */
async function orderAt(stack: Stack, price: number, quantity: number) {
  const res = await stack.http.post('/api/admin/products', { name: `Priced ${price}`, total_stock: 10, price }, auth);
  expect(res.status).toBe(201);
  const productId: number = res.body.data.id;
  return { productId, order: await orderOf(stack, (await holdOf(stack, productId, quantity)).hold_id) };
}

describe('order amounts in usd (the default currency)', () => {
  let events: Awaited<ReturnType<typeof collectEvents>>;
  const stack = useStack(async () => {
    events = await collectEvents();
    return { HOLD_TTL_SECONDS: '60', PAYMENT_TIMEOUT_SECONDS: '60', EVENTS_URL: events.url, EVENTS_SECRET };
  });
  afterAll(async () => events?.receiver.close());

  test('3 × 19.99 is 5997 cents: in the 201, the order, the list, after a price change, and in the events', async () => {
    const { productId, order } = await orderAt(stack, 19.99, 3);
    expect(order).toMatchObject({ status: 'pending', amount: 5997, currency: 'usd' });
    expect((await stack.http.get(`/api/orders/${order.id}`)).body).toMatchObject({ amount: 5997, currency: 'usd' });
    const page = await stack.http.get(`/api/orders?after_id=${order.id - 1}&limit=1`);
    expect(page.body).toEqual([expect.objectContaining({ id: order.id, amount: 5997, currency: 'usd' })]);

    // What an order costs is fixed when it is placed: a later price change does not reach it.
    await stack.db.query('UPDATE products SET price = 1.00 WHERE id = ?', { replacements: [productId] });
    const paid = await payWebhook(stack, order.id, 'paid');
    expect(paid.body.data).toEqual({ order_id: order.id, status: 'completed' });
    expect((await stack.http.get(`/api/orders/${order.id}`)).body).toMatchObject({
      status: 'completed',
      amount: 5997,
      currency: 'usd',
    });

    const orderEvents = await waitFor('order.created and order.completed', () => {
      const mine = events.unique().filter((e) => e.type.startsWith('order.') && e.data.id === order.id);
      return mine.length >= 2 ? mine : null;
    });
    expect(orderEvents!.map((e) => [e.type, e.data])).toEqual([
      ['order.created', expect.objectContaining({ amount: 5997, currency: 'usd' })],
      ['order.completed', expect.objectContaining({ amount: 5997, currency: 'usd' })],
    ]);
  });

  test('3 × 0.29 is exactly 87 cents (floating point makes it 86.99999999999999)', async () => {
    const { order } = await orderAt(stack, 0.29, 3);
    expect(order).toMatchObject({ amount: 87, currency: 'usd' });
    const [row] = await stack.db.query<{ amount: string | number }>('SELECT amount FROM orders WHERE id = ?', {
      replacements: [order.id],
      type: QueryTypes.SELECT,
    });
    expect(Number(row.amount)).toBe(87);
  });
});

describe('order amounts with CURRENCY=jpy (no minor unit)', () => {
  const stack = useStack({ CURRENCY: 'jpy', HOLD_TTL_SECONDS: '60', PAYMENT_TIMEOUT_SECONDS: '60' });

  test('2 × 1500 yen is stored as 3000 whole yen', async () => {
    const { order } = await orderAt(stack, 1500, 2);
    expect(order).toMatchObject({ amount: 3000, currency: 'jpy' });
    expect((await stack.http.get(`/api/orders/${order.id}`)).body).toMatchObject({ amount: 3000, currency: 'jpy' });
  });

  test('a price with cents rounds to whole yen, half away from zero (3 × 19.99 = 59.97 → 60)', async () => {
    const { order } = await orderAt(stack, 19.99, 3);
    expect(order).toMatchObject({ amount: 60, currency: 'jpy' });
  });
});

describe('migration 0006-order-amounts', () => {
  // A database of its own, migrated up to the schema before amounts existed.
  const url = new URL(testConfig().DATABASE_URL);
  const name = `${url.pathname.replace(/^\//, '')}_amounts_migration`;
  url.pathname = `/${name}`;
  let db: Sequelize;
  const dropDatabase = async () => {
    const server = createSequelize({ url: new URL('/', url).toString(), poolMax: 1 });
    await server.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await server.close();
  };
  beforeAll(async () => {
    await dropDatabase();
    await ensureDatabase(url.toString());
    db = createSequelize({ url: url.toString(), poolMax: 1 });
    await createMigrator(db).up({ to: '0004-customers' });
  });
  afterAll(async () => {
    await db.close();
    await dropDatabase();
  });

  test('fills in older orders from their hold and product, in the currency given, then requires both', async () => {
    const now = '2026-12-01 10:00:00.000';
    for (const sql of [
      `INSERT INTO products (id, name, total_stock, available_stock, price, created_at, updated_at)
       VALUES (1, 'a', 10, 4, 0.29, :now, :now), (2, 'b', 10, 8, 1.25, :now, :now)`,
      `INSERT INTO holds (id, product_id, quantity, hold_expires_at, used_at, created_at, updated_at)
       VALUES (1, 1, 3, :now, :now, :now, :now), (2, 2, 2, :now, :now, :now, :now), (3, 2, 1, :now, :now, :now, :now)`,
      `INSERT INTO orders (id, hold_id, status, created_at, updated_at)
       VALUES (1, 1, 'completed', :now, :now), (2, 2, 'pending', :now, :now)`,
    ]) {
      await db.query(sql, { replacements: { now } });
    }

    await createMigrator(db, { currency: 'bhd' }).up();

    const rows = await db.query<{ id: number; amount: number; currency: string }>(
      'SELECT id, amount, currency FROM orders ORDER BY id',
      { type: QueryTypes.SELECT },
    );
    // bhd has thousandths: 3 × 0.29 = 0.870 → 870, 2 × 1.25 = 2.500 → 2500.
    expect(rows.map((r) => [Number(r.id), Number(r.amount), r.currency])).toEqual([
      [1, 870, 'bhd'],
      [2, 2500, 'bhd'],
    ]);
    await expect(
      db.query(`INSERT INTO orders (hold_id, status, created_at, updated_at) VALUES (3, 'pending', :now, :now)`, {
        replacements: { now },
      }),
    ).rejects.toThrow(/amount/);

    await createMigrator(db).down();
    const columns = await db.query<{ Field: string }>('SHOW COLUMNS FROM orders', { type: QueryTypes.SELECT });
    expect(columns.map((c) => c.Field)).not.toContain('amount');
  });
});
