import { QueryTypes, type Sequelize } from 'sequelize';
import type { ErrorCode } from '../../../src/api/error-codes';
import { ADMIN_TOKEN } from '../../../harness/stack';
import { ISO } from './answers';
import { countRows } from './rows';

/** What the admin tests (admin-*.test.ts) send and read back. */
export const auth = { Authorization: `Bearer ${ADMIN_TOKEN}` };
export const STOCK_MAX = 1_000_000_000;

/** Reads of the products table through `db()` (a getter: the stack starts after this is made). */
export function productReads(db: () => Sequelize) {
  const productRow = async (id: number) => {
    const [row] = await db().query<{ total_stock: number; available_stock: number; price: string; name: string }>(
      'SELECT name, total_stock, available_stock, price FROM products WHERE id = ?',
      { replacements: [id], type: QueryTypes.SELECT },
    );
    return row ? { ...row, total_stock: Number(row.total_stock), available_stock: Number(row.available_stock) } : null;
  };
  const productsNamed = (name: string) => countRows(db(), 'SELECT COUNT(*) AS n FROM products WHERE name = ?', name);
  return { productRow, productsNamed };
}

/** The code each admin refusal is raised with (src/api/errors.ts, src/api/routes/admin.ts). */
const CODES: Record<string, ErrorCode> = {
  'Admin API disabled': 'forbidden',
  Unauthorized: 'unauthorized',
  'Malformed JSON body': 'malformed_json',
  'Product not found': 'not_found',
  'Order not found': 'not_found',
  'Order has no refund due': 'validation_failed',
};

export function expectError(res: { status: number; body: any }, status: number, message: string) {
  expect({ status: res.status, body: res.body }).toEqual({
    status,
    body: { status: 'error', message, code: CODES[message], timestamp: expect.stringMatching(ISO) },
  });
}
