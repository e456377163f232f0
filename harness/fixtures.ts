import { QueryTypes, type Sequelize } from 'sequelize';
import { readConservation } from './conservation';
import type { Stack } from './stack';
import { ADMIN_TOKEN } from './stack';
import { availableStockSql } from '../src/db/models';

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

/** The conservation rule's parts for one product, in one consistent snapshot (harness/conservation.ts). */
export const conservation = (db: Sequelize, productId: number) =>
  readConservation((sql, replacements) => db.query(sql, { replacements, type: QueryTypes.SELECT }), productId);

/** Asserts available + unreleased holds = stock put in, and that available never went negative. */
export async function expectConserved(db: Sequelize, productId: number, stockPutIn: number) {
  const c = await conservation(db, productId);
  expect(c.available_stock).toBeGreaterThanOrEqual(0);
  expect(c.available_stock + c.unreleased_quantity).toBe(stockPutIn);
  return c;
}
