import { QueryTypes, type Sequelize } from 'sequelize';
import type { Stack } from './stack';
import { ADMIN_TOKEN } from './stack';
import { availableStockSql } from '../../src/db/models';

/** A product's whole available stock: its row plus its stock shards. */
const STOCK = availableStockSql('p');

/** A fresh product through the admin API, so each test owns its stock. */
export async function createProduct(stack: Stack, stock: number, name = 'Test product'): Promise<number> {
  const res = await stack.http.post(
    '/api/admin/products',
    { name, total_stock: stock, price: 10.5 },
    { Authorization: `Bearer ${ADMIN_TOKEN}` },
  );
  if (res.status !== 201) throw new Error(`product not created: ${res.status} ${res.text}`);
  return res.body.data.id;
}

export async function availableStock(db: Sequelize, productId: number): Promise<number> {
  const [row] = await db.query<{ available_stock: number }>(
    `SELECT ${STOCK} AS available_stock FROM products p WHERE id = ?`,
    {
      replacements: [productId],
      type: QueryTypes.SELECT,
    },
  );
  return Number(row.available_stock);
}

/**
 * The contract's conservation rule, read in one consistent snapshot: available stock plus the quantities
 * of unreleased holds equals the stock put in. Returns the parts for assertions.
 */
export async function conservation(db: Sequelize, productId: number) {
  return db.transaction(async (t) => {
    const [p] = await db.query<{ available_stock: number; total_stock: number }>(
      `SELECT ${STOCK} AS available_stock, total_stock FROM products p WHERE id = ?`,
      { replacements: [productId], type: QueryTypes.SELECT, transaction: t },
    );
    const [h] = await db.query<{ held: number | null }>(
      'SELECT SUM(quantity) AS held FROM holds WHERE product_id = ? AND released_at IS NULL',
      { replacements: [productId], type: QueryTypes.SELECT, transaction: t },
    );
    return { available: Number(p.available_stock), unreleased: Number(h.held ?? 0), total: Number(p.total_stock) };
  });
}

/** Asserts available + unreleased holds = stock put in, and that available never went negative. */
export async function expectConserved(db: Sequelize, productId: number, stockPutIn: number) {
  const c = await conservation(db, productId);
  expect(c.available).toBeGreaterThanOrEqual(0);
  expect(c.available + c.unreleased).toBe(stockPutIn);
  return c;
}
