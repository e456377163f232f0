import { QueryTypes, type Sequelize } from 'sequelize';
import { noFaults, type FaultPoints } from '../faults';
import { orderRefusal } from '../shared/refusals';
import type { FailureType } from '../shared/types';
import type { OrderView } from '../shared/views';
import { DEFAULT_CURRENCY } from '../shared/money';
import type { Models } from './models';
import { ORDER_AMOUNT_SQL, orderAmountReplacements } from './order-amounts';
import { sqlTime } from './time';
import { selectOne } from './transitions';
import { orderView } from './views';

export async function findOrder(models: Models, id: number): Promise<OrderView | null> {
  const row = await models.Order.findByPk(id, { raw: true });
  return row ? orderView(row as unknown as Record<string, unknown>) : null;
}

export async function readOrder(db: Sequelize, orderId: number): Promise<OrderView | null> {
  const row = await selectOne<Record<string, unknown>>(db, 'SELECT * FROM orders WHERE id = :orderId', { orderId });
  return row ? orderView(row) : null;
}

/** The order, with the product and quantity of its hold (what a new run of its workflow needs). */
export async function readOrderWithStock(db: Sequelize, orderId: number) {
  const row = await selectOne<Record<string, unknown>>(
    db,
    'SELECT o.*, h.product_id, h.quantity FROM orders o JOIN holds h ON h.id = o.hold_id WHERE o.id = :orderId',
    { orderId },
  );
  return row ? { view: orderView(row), productId: Number(row.product_id), quantity: Number(row.quantity) } : null;
}

interface LockedHold {
  product_id: number;
  customer_id: string | null;
  hold_expires_at: Date;
  released_at: Date | null;
  used_at: Date | null;
}

export type OrderCreation =
  { kind: 'ordered'; orderId: number } | { kind: 'hold-missing' } | { kind: 'refused'; refusal: FailureType };

/**
 * Turns a held hold into a pending order, in one transaction. Retry-safe: if this hold already has its order, that
 * order is the answer (only the hold's own workflow calls this, one order attempt at a time).
 */
export async function createOrderForHold(
  db: Sequelize,
  holdId: number,
  now: Date,
  faults: FaultPoints = noFaults,
  currency: string = DEFAULT_CURRENCY,
): Promise<OrderCreation> {
  return db.transaction(async (t) => {
    // Only the hold row is locked: a locking read of the missing order row would take a gap lock in the orders
    // index, and two orders inserting into the same gap would deadlock. Every order of this hold is created under
    // this row's lock, so a plain read after taking it sees any that exists.
    const hold = await selectOne<LockedHold>(
      db,
      'SELECT product_id, customer_id, hold_expires_at, released_at, used_at FROM holds WHERE id = :holdId FOR UPDATE',
      { holdId },
      t,
    );
    if (!hold) return { kind: 'hold-missing' };
    const existing = await selectOne<{ id: number }>(
      db,
      'SELECT id FROM orders WHERE hold_id = :holdId',
      { holdId },
      t,
    );
    if (existing) return { kind: 'ordered', orderId: Number(existing.id) };
    const refusal = orderRefusal(
      {
        expiresAtMs: new Date(hold.hold_expires_at).getTime(),
        released: hold.released_at !== null,
        used: hold.used_at !== null,
      },
      now.getTime(),
    );
    if (refusal) return { kind: 'refused', refusal };
    await db.query('UPDATE holds SET used_at = :now, updated_at = :now WHERE id = :holdId', {
      replacements: { now: sqlTime(now), holdId },
      transaction: t,
      type: QueryTypes.UPDATE,
    });
    const [insertId] = await db.query(
      // The amount is priced here, under the hold's lock, from the product's price now (ORDER_AMOUNT_SQL).
      `INSERT INTO orders (hold_id, customer_id, status, amount, currency, created_at, updated_at)
       SELECT :holdId, :customerId, 'pending', ${ORDER_AMOUNT_SQL}, :currency, :now, :now
       FROM holds h JOIN products p ON p.id = h.product_id WHERE h.id = :holdId`,
      {
        replacements: {
          holdId,
          customerId: hold.customer_id,
          now: sqlTime(now),
          ...orderAmountReplacements(currency),
        },
        transaction: t,
        type: QueryTypes.INSERT,
      },
    );
    await faults.at('order.beforeCommit');
    return { kind: 'ordered', orderId: Number(insertId) };
  });
}
