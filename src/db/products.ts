import { QueryTypes, type Sequelize } from 'sequelize';
import type { AdminProductView } from '../shared/views';
import { availableStockSql, type Models } from './models';
import { adminProductView } from './views';

export interface NewProduct {
  name: string;
  total_stock: number;
  available_stock: number;
  /** Two decimals, as the DECIMAL column keeps it. */
  price: string;
  max_per_customer: number | null;
}

export async function createProduct(models: Models, fields: NewProduct): Promise<AdminProductView> {
  const product = await models.Product.create(fields);
  return adminProductView(product.get({ plain: true }) as unknown as Record<string, unknown>);
}

/** The product as the admin API shows it (with its purchase limit), or null when there is none. */
export async function findAdminProduct(models: Models, id: number): Promise<AdminProductView | null> {
  const row = await models.Product.findByPk(id, { raw: true });
  return row ? adminProductView(row as unknown as Record<string, unknown>) : null;
}

/** Sets (or, with null, lifts) a product's purchase limit; a missing product is left to the caller's read-back. */
export async function setPurchaseLimit(models: Models, id: number, max: number | null): Promise<void> {
  await models.Product.update({ max_per_customer: max }, { where: { id } });
}

/**
 * A product's whole committed stock and how many units of `holdIds` its holds have already taken, read by one
 * statement (one snapshot): a reservation under way that has committed is in the stock figure and in that sum alike.
 */
export async function stockBesideHolds(
  db: Sequelize,
  productId: number,
  holdIds: number[],
): Promise<{ available: number; taken: number }> {
  const taken = holdIds.length
    ? '(SELECT COALESCE(SUM(h.quantity), 0) FROM holds h WHERE h.product_id = p.id AND h.id IN (:holdIds))'
    : '0';
  const [row] = await db.query<{ available: number | string; taken: number | string }>(
    `SELECT ${availableStockSql('p')} AS available, ${taken} AS taken FROM products p WHERE p.id = :productId`,
    { replacements: { productId, holdIds }, type: QueryTypes.SELECT },
  );
  return { available: Number(row?.available ?? 0), taken: Number(row?.taken ?? 0) };
}
