import { availableStockSql } from '../src/db/models';
import { holdWorkflowId, orderWorkflowId } from '../src/shared/workflow-ids';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { createPool, type Pool, type RowDataPacket } from 'mysql2/promise';
import { sleep } from '../harness/wait';

/** Workflows read at once: enough to cover a scenario's thousands of holds in seconds, few enough for the dev server. */
const CONCURRENCY = 12;
const HOLD_ROW = `SELECT h.id, h.released_at, h.release_reason, o.id AS order_id, o.status,
  (o.refund_due_at IS NOT NULL AND o.refunded_at IS NULL) AS refund_owed
  FROM holds h LEFT JOIN orders o ON o.hold_id = h.id`;

export interface AgreementDeps {
  dbUrl: string;
  temporal: Client;
  /** GET /api/products/:id → its status and available_stock. */
  readProduct: (id: number) => Promise<{ status: number; available: number | undefined }>;
  /** Holds whose workflow the scenario ended on purpose. */
  exempt: Set<number>;
}

/** Runs `fn` on every item, `n` at a time. */
async function eachConcurrently<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, lane));
}

/** The workflow's result once it has closed (waiting for it until `deadline`), or how it closed otherwise. */
async function resultOf(client: Client, workflowId: string, deadline: number): Promise<any> {
  const handle = client.workflow.getHandle(workflowId);
  for (;;) {
    const d = await handle.describe();
    if (d.status.name === 'COMPLETED') return handle.result();
    if (d.status.name !== 'RUNNING') return { closedAs: d.status.name };
    if (Date.now() > deadline) return { closedAs: 'still RUNNING' };
    await sleep(500);
  }
}

const dbState = (h: RowDataPacket) =>
  h.order_id ? 'ORDERED' : h.release_reason === 'released' ? 'RELEASED' : h.released_at ? 'EXPIRED' : 'HELD';

/**
 * Workflow and database tell the same story, for every hold of these products (none sampled away): the hold
 * workflow's final state matches the row (ORDERED ⇔ its order, RELEASED ⇔ released by the client, EXPIRED ⇔ released
 * by expiry or sweep, HELD ⇔ neither), and every order workflow ends with the order's status (or, owing a refund for a
 * late payment, stays open showing OrderStatus=refund_due). Then, quiet, a product read shows the committed stock.
 * Returns the violations and what was compared.
 */
export async function agreement(
  deps: AgreementDeps,
  productIds: number[],
  waitMs: number,
): Promise<{ violations: string[]; holds: number; orders: number }> {
  const v: string[] = [];
  if (!productIds.length) return { violations: v, holds: 0, orders: 0 };
  const pool: Pool = createPool({ uri: deps.dbUrl, dateStrings: true, connectionLimit: CONCURRENCY });
  const row = async (sql: string, params: unknown[]) => (await pool.query<RowDataPacket[]>(sql, params))[0][0];
  try {
    const [ids] = await pool.query<RowDataPacket[]>(
      `SELECT id FROM holds WHERE product_id IN (${productIds.map(Number).join(',')})`,
    );
    const deadline = Date.now() + waitMs;
    let orders = 0;
    await eachConcurrently(
      ids.map((h) => Number(h.id)).filter((id) => !deps.exempt.has(id)),
      CONCURRENCY,
      async (id) => {
        let r: any;
        try {
          r = await resultOf(deps.temporal, holdWorkflowId(id), deadline);
        } catch (err) {
          v.push(
            `hold ${id}: ${err instanceof WorkflowNotFoundError ? 'no workflow' : `workflow unreadable (${(err as Error).message})`}`,
          );
          return;
        }
        if (r.closedAs) return void v.push(`hold ${id}: workflow ${r.closedAs}`);
        // Read now that the workflow has finished (a list read before may predate its last step).
        const h = await row(`${HOLD_ROW} WHERE h.id = ?`, [id]);
        const db = dbState(h);
        if (r.state !== db)
          v.push(`hold ${id}: workflow says ${r.state}, database says ${db} (${h.release_reason ?? '-'})`);
        if (!h.order_id) return;
        orders++;
        if (Number(r.orderId) !== Number(h.order_id))
          v.push(`hold ${id}: workflow order ${r.orderId}, database ${h.order_id}`);
        const status = async () => String((await row('SELECT status FROM orders WHERE id = ?', [h.order_id])).status);
        v.push(
          ...(await orderAgrees(deps.temporal, Number(h.order_id), Number(h.refund_owed) === 1, status, deadline)),
        );
      },
    );
    v.push(...(await readsShowCommittedStock(deps, pool, productIds)));
    return { violations: v, holds: ids.length, orders };
  } finally {
    await pool.end();
  }
}

async function orderAgrees(
  client: Client,
  orderId: number,
  refundOwed: boolean,
  statusNow: () => Promise<string>,
  deadline: number,
): Promise<string[]> {
  if (refundOwed) {
    const d = await client.workflow
      .getHandle(orderWorkflowId(orderId))
      .describe()
      .catch(() => null);
    const ok = d?.status.name === 'RUNNING' && d.searchAttributes.OrderStatus?.[0] === 'refund_due';
    return ok
      ? []
      : [
          `order ${orderId}: refund owed, workflow ${d?.status.name ?? 'unreadable'} with OrderStatus ${d?.searchAttributes.OrderStatus?.[0]}`,
        ];
  }
  try {
    const o = await resultOf(client, orderWorkflowId(orderId), deadline);
    if (o.closedAs) return [`order ${orderId}: workflow ${o.closedAs}`];
    // Read after the workflow finished: its last step may have settled the order.
    const status = await statusNow();
    return o.status === status ? [] : [`order ${orderId}: workflow says ${o.status}, database ${status}`];
  } catch (err) {
    return [`order ${orderId}: workflow unreadable (${(err as Error).message})`];
  }
}

/** Quiet now: a product read must show the committed stock (a lost cache invalidation would show older stock). */
async function readsShowCommittedStock(deps: AgreementDeps, pool: Pool, productIds: number[]): Promise<string[]> {
  const v: string[] = [];
  for (const id of productIds) {
    const a = await deps.readProduct(id);
    const [[row]] = await pool.query<RowDataPacket[]>(
      `SELECT ${availableStockSql('products')} AS available_stock FROM products WHERE id = ?`,
      [id],
    );
    if (a.status !== 200 || a.available !== Number(row.available_stock)) {
      v.push(`product ${id}: read ${a.available} available, the database has ${row.available_stock} (stale cache)`);
    }
  }
  return v;
}
