import { availableStockSql } from '../src/db/models';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { createConnection, type RowDataPacket } from 'mysql2/promise';
import { Acks, InvariantChecker } from './checker';
import { ApiClient } from './client';
import { SETTINGS, type Stack } from './stack';
import { log, sleep } from './util';

export interface Scenario {
  name: string;
  title: string;
  run: (ctx: Ctx) => Promise<void>;
}

export interface ScenarioResult {
  name: string;
  title: string;
  faults: number;
  requests: number;
  checks: number;
  violations: string[];
  seconds: number;
  notes: string[];
  statuses: string;
}

/** A hold still open this long past its expiry, once faults have healed and the service had time, is lost. */
export const SETTLED_GRACE_SECONDS = 30;

/** Everything a scenario needs: the stack, a client that tallies, the checker, and bookkeeping for the report. */
export class Ctx {
  readonly api: ApiClient;
  faults = 0;
  notes: string[] = [];
  failures: string[] = [];
  products: number[] = [];
  private checkerViolationsBefore: Set<string>;
  private initialViolations: Set<string>;
  private checksBefore: number;
  private sampling: Promise<void> | null = null;
  private samplingOn = false;
  private static temporal: Client | null = null;

  constructor(
    readonly stack: Stack,
    readonly checker: InvariantChecker,
    readonly acks: Acks,
    readonly gaps: Map<number, number>,
  ) {
    this.api = new ApiClient(stack.baseUrl, acks);
    this.checkerViolationsBefore = new Set(checker.violations.keys());
    this.initialViolations = new Set(checker.violations.keys());
    this.checksBefore = checker.checks;
  }

  /** Products of this scenario, created through the admin API with available = total (a gap of 0). */
  async createProducts(n: number, stock: number): Promise<number[]> {
    const ids: number[] = [];
    for (let i = 0; i < n; i++) {
      const id = await this.api.createProduct(stock);
      this.gaps.set(id, 0);
      ids.push(id);
    }
    this.products.push(...ids);
    return ids;
  }

  fault(description: string): void {
    this.faults++;
    log(`  fault: ${description}`);
  }

  note(msg: string): void {
    this.notes.push(msg);
    log(`  note: ${msg}`);
  }

  expect(ok: boolean, msg: string): void {
    if (!ok) {
      this.failures.push(msg);
      log(`  VIOLATION: ${msg}`);
    }
  }

  /** One invariant check now (during faults: everything but the "nothing left open" part). */
  async sample(): Promise<void> {
    const report = await this.checker.check();
    for (const v of report.violations) if (!this.checkerViolationsBefore.has(v)) log(`  VIOLATION: ${v}`);
    for (const v of report.violations) this.checkerViolationsBefore.add(v);
  }

  /** Checks continuously (every `everyMs`) until `stopSampling`. */
  startSampling(everyMs = 1_500): void {
    if (this.samplingOn) return;
    this.samplingOn = true;
    this.sampling = (async () => {
      while (this.samplingOn) {
        const t = Date.now();
        try {
          await this.sample();
        } catch (err) {
          log(`  checker error: ${(err as Error).message}`);
        }
        await sleep(Math.max(0, everyMs - (Date.now() - t)));
      }
    })();
  }

  async stopSampling(): Promise<void> {
    this.samplingOn = false;
    await this.sampling;
    this.sampling = null;
  }

  /**
   * After the faults have healed: workers that died are restarted, then the service gets up to `maxMs` to release
   * every hold past its expiry and cancel every order past its payment deadline, and the checker runs settled.
   */
  async settle(maxMs = 45_000): Promise<void> {
    await this.stack.superviseWorkers();
    // Everything in flight runs out first: open holds expire, pending orders reach their payment deadline.
    const deadline = Date.now() + TTL_MS + SETTINGS.paymentTimeoutSeconds * 1000 + maxMs;
    let report = await this.checker.check();
    while ((report.openHolds > 0 || report.pendingOrders > 0) && Date.now() < deadline) {
      await sleep(1_000);
      report = await this.checker.check();
    }
    const settled = await this.checker.check({ graceSeconds: SETTLED_GRACE_SECONDS });
    for (const v of settled.violations) if (!this.checkerViolationsBefore.has(v)) log(`  VIOLATION: ${v}`);
    if (report.openHolds || report.pendingOrders) {
      this.note(`${report.openHolds} holds / ${report.pendingOrders} orders still open after settling`);
    }
    if (report.overdueHolds || report.overdueOrders) {
      this.note(
        `${report.overdueHolds} holds / ${report.overdueOrders} orders still open past their deadline after ${maxMs / 1000} s`,
      );
    }
  }

  static async temporalClient(stack: Stack): Promise<Client> {
    if (!Ctx.temporal) {
      const connection = Connection.lazy({ address: stack.temporalAddress, connectTimeout: 5_000 });
      Ctx.temporal = new Client({ connection, namespace: 'default' });
    }
    return Ctx.temporal;
  }

  static async closeTemporalClient(): Promise<void> {
    await Ctx.temporal?.connection.close().catch(() => undefined);
    Ctx.temporal = null;
  }

  /** Rows straight from MariaDB (not through the proxy). */
  async query<T extends RowDataPacket>(sql: string, params: unknown[] = []): Promise<T[]> {
    const conn = await createConnection({ uri: this.stack.directDbUrl, dateStrings: true });
    try {
      const [rows] = await conn.query<T[]>(sql, params);
      return rows;
    } finally {
      await conn.end();
    }
  }

  /**
   * Workflow and database tell the same story, for every hold of these products: the hold workflow's final state
   * matches the row (ORDERED ⇔ its order, RELEASED ⇔ released by the client, EXPIRED ⇔ released by expiry or
   * sweep, REJECTED ⇔ no row), and every order workflow ends with the order's status.
   */
  async agreement(productIds = this.products, waitMs = 30_000): Promise<{ holds: number; orders: number }> {
    if (!productIds.length) return { holds: 0, orders: 0 };
    const client = await Ctx.temporalClient(this.stack);
    const holds = await this.query<RowDataPacket>(
      `SELECT h.id, h.released_at, h.used_at, h.release_reason, o.id AS order_id, o.status
       FROM holds h LEFT JOIN orders o ON o.hold_id = h.id WHERE h.product_id IN (${productIds.join(',')})`,
    );
    const deadline = Date.now() + waitMs;
    const result = async (workflowId: string): Promise<any> => {
      const handle = client.workflow.getHandle(workflowId);
      for (;;) {
        const d = await handle.describe();
        if (d.status.name === 'COMPLETED') return handle.result();
        if (d.status.name !== 'RUNNING') return { closedAs: d.status.name };
        if (Date.now() > deadline) return { closedAs: 'still RUNNING' };
        await sleep(500);
      }
    };
    let orders = 0;
    for (let h of holds) {
      const id = Number(h.id);
      let r: any;
      try {
        r = await result(`hold-${id}`);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) this.expect(false, `hold ${id}: no workflow`);
        else this.expect(false, `hold ${id}: workflow unreadable (${(err as Error).message})`);
        continue;
      }
      if (r.closedAs) {
        this.expect(false, `hold ${id}: workflow ${r.closedAs}`);
        continue;
      }
      // Read again now that the workflow has finished (the list above may predate its last step).
      [h] = await this.query<RowDataPacket>(
        `SELECT h.id, h.released_at, h.used_at, h.release_reason, o.id AS order_id, o.status
         FROM holds h LEFT JOIN orders o ON o.hold_id = h.id WHERE h.id = ?`,
        [id],
      );
      const db = h.order_id
        ? 'ORDERED'
        : h.release_reason === 'released'
          ? 'RELEASED'
          : h.released_at
            ? 'EXPIRED'
            : 'HELD';
      this.expect(
        r.state === db,
        `hold ${id}: workflow says ${r.state}, database says ${db} (${h.release_reason ?? '-'})`,
      );
      if (h.order_id) {
        orders++;
        this.expect(
          Number(r.orderId) === Number(h.order_id),
          `hold ${id}: workflow order ${r.orderId}, database ${h.order_id}`,
        );
        let o: any;
        try {
          o = await result(`order-${h.order_id}`);
        } catch (err) {
          this.expect(false, `order ${h.order_id}: workflow unreadable (${(err as Error).message})`);
          continue;
        }
        const [row] = await this.query<RowDataPacket>('SELECT status FROM orders WHERE id = ?', [h.order_id]);
        if (o.closedAs) this.expect(false, `order ${h.order_id}: workflow ${o.closedAs}`);
        else
          this.expect(
            o.status === row.status,
            `order ${h.order_id}: workflow says ${o.status}, database ${row.status}`,
          );
      }
    }
    // Quiet now: a product read must show the committed stock (a lost cache invalidation would show older stock).
    for (const id of productIds) {
      const a = await this.api.product(id);
      const [row] = await this.query<RowDataPacket>(
        `SELECT ${availableStockSql('products')} AS available_stock FROM products WHERE id = ?`,
        [id],
      );
      this.expect(
        a.status === 200 && a.body.available_stock === Number(row.available_stock),
        `product ${id}: read ${a.body?.available_stock} available, the database has ${row.available_stock} (stale cache)`,
      );
    }
    return { holds: holds.length, orders };
  }

  result(name: string, title: string, seconds: number): ScenarioResult {
    const fromChecker = [...this.checker.violations.keys()].filter((v) => !this.initialViolations.has(v));
    return {
      name,
      title,
      faults: this.faults,
      requests: this.api.tally.requests,
      checks: this.checker.checks - this.checksBefore,
      violations: [...fromChecker, ...this.api.tally.violations, ...this.failures],
      seconds,
      notes: this.notes,
      statuses: this.api.tally.summary(),
    };
  }
}

export const TTL_MS = SETTINGS.holdTtlSeconds * 1000;
