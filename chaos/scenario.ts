import { availableStockSql } from '../src/db/models';
import { holdWorkflowId, orderWorkflowId } from '../src/shared/workflow-ids';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { createConnection, type RowDataPacket } from 'mysql2/promise';
import { Acks, InvariantChecker } from './checker';
import { ApiClient } from './client';
import type { LiveChecks } from './live';
import { Load, MIN_CLIENTS, MIN_IN_FLIGHT, type LoadOptions } from './load';
import { SETTINGS, type Stack } from './stack';
import { log, sleep } from './util';

export interface Scenario {
  name: string;
  title: string;
  run: (ctx: Ctx) => Promise<void>;
  /**
   * false: no background load (the scenario makes its own, or proves something only a quiet system shows). By default
   * the runner keeps FAULT_LOAD (≥200 operations in flight from ≥50 clients) on products of the scenario's own for
   * its whole run, and every fault must land in it.
   */
  load?: false;
  /**
   * 'worker': the scenario's fault points sit in the hold path (reservation, expiry) of the worker process, so the API
   * processes run with HOLD_EAGER_START=false for it and every hold runs in the workers. By default the APIs are
   * hold workers too (the service's default) and start holds eagerly.
   */
  holdsOn?: 'worker';
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
  /** Fewest operations in flight when a fault was injected (0 without load), and the clients sending them. */
  inFlight: number;
  clients: number;
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
  /** Operations in flight at each fault, and the clients then. */
  private atFaults: { inFlight: number; clients: number }[] = [];
  private liveViolations = new Set<string>();
  private liveChecksBefore: number;
  readonly started = Date.now();
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
    readonly live: LiveChecks | null = null,
  ) {
    this.api = new ApiClient(stack.baseUrl, acks);
    this.api.apiDownOnPurpose = () => stack.apiDownOnPurpose();
    this.checkerViolationsBefore = new Set(checker.violations.keys());
    this.initialViolations = new Set(checker.violations.keys());
    this.checksBefore = checker.checks;
    this.liveChecksBefore = live?.checks ?? 0;
  }

  /** The background load (FAULT_LOAD) the runner keeps on for this scenario; null for `load: false` scenarios. */
  load: Load | null = null;

  /** The products the background load works on; `loadOn` adds a scenario's own. */
  readonly loadProducts: number[] = [];

  loadOn(products: number[]): void {
    this.loadProducts.push(...products);
  }

  /**
   * Starts the background load on `products` (the runner does this; a `load: false` scenario may too, e.g. through a
   * client of its own).
   */
  async startLoad(products: number[], opts: Partial<LoadOptions> = {}, api?: ApiClient): Promise<Load> {
    if (!api) {
      // The load's own API process, its answers tallied (and held to the contract) with the scenario's.
      api = new ApiClient(this.stack.loadBaseUrl, this.acks);
      api.tally = this.api.tally;
      api.apiDownOnPurpose = () => this.stack.apiDownOnPurpose();
    }
    this.loadOn(products);
    this.load = new Load(api, () => this.loadProducts, opts);
    this.load.start();
    if (!(await this.load.warm()))
      this.note(`the load reached only ${this.load.inFlight} operations in flight within 30 s`);
    return this.load;
  }

  /** Products of this scenario, created through the admin API (the harness's ledger records their stock). */
  async createProducts(n: number, stock: number): Promise<number[]> {
    const ids: number[] = [];
    for (let i = 0; i < n; i++) ids.push(await this.api.createProduct(stock));
    this.products.push(...ids);
    return ids;
  }

  /** A hold whose workflow the scenario ends on purpose: the live agreement check leaves it alone. */
  exempt(holdId: number): void {
    this.live?.exempt(holdId);
  }

  /** Records a fault injected now, and the load it landed in. */
  fault(description: string): void {
    this.faults++;
    const inFlight = this.load?.inFlight ?? 0;
    const clients = this.load?.clients ?? 0;
    this.atFaults.push({ inFlight, clients });
    log(`  fault: ${description} (${inFlight} operations in flight from ${clients} clients)`);
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
    for (const v of (await this.live?.sample()) ?? []) {
      if (!this.liveViolations.has(v)) log(`  VIOLATION: ${v}`);
      this.liveViolations.add(v);
    }
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
   * After the faults have healed: the load stops, workers that died are restarted, then the service gets `maxMs` to release
   * every hold past its expiry and cancel every order past its payment deadline, and the checker runs settled.
   */
  async settle(maxMs = 45_000): Promise<void> {
    await this.load?.stop();
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
  async agreement(
    productIds = this.products,
    waitMs = 30_000,
    maxHolds = 300,
  ): Promise<{ holds: number; orders: number }> {
    if (!productIds.length) return { holds: 0, orders: 0 };
    const client = await Ctx.temporalClient(this.stack);
    // Past maxHolds, a random sample (the live checks looked at the rest during the load).
    const holds = await this.query<RowDataPacket>(
      `SELECT h.id, h.released_at, h.used_at, h.release_reason, o.id AS order_id, o.status
       FROM holds h LEFT JOIN orders o ON o.hold_id = h.id WHERE h.product_id IN (${productIds.join(',')})
       ORDER BY RAND() LIMIT ${maxHolds}`,
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
        r = await result(holdWorkflowId(id));
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
        // A refund owed for a late payment keeps the order's (latest) run open, showing OrderStatus=refund_due in the
        // Web UI, until an operator closes it.
        const [owed] = await this.query<RowDataPacket>(
          'SELECT 1 FROM orders WHERE id = ? AND refund_due_at IS NOT NULL AND refunded_at IS NULL',
          [h.order_id],
        );
        if (owed) {
          const d = await client.workflow
            .getHandle(orderWorkflowId(Number(h.order_id)))
            .describe()
            .catch(() => null);
          this.expect(
            d?.status.name === 'RUNNING' && d.searchAttributes.OrderStatus?.[0] === 'refund_due',
            `order ${h.order_id}: refund owed, workflow ${d?.status.name ?? 'unreadable'} with OrderStatus ${d?.searchAttributes.OrderStatus?.[0]}`,
          );
          continue;
        }
        let o: any;
        try {
          o = await result(orderWorkflowId(Number(h.order_id)));
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

  result(name: string, title: string, seconds: number, requireLoad: boolean): ScenarioResult {
    const fromChecker = [...this.checker.violations.keys()].filter((v) => !this.initialViolations.has(v));
    const inFlight = this.atFaults.length ? Math.min(...this.atFaults.map((f) => f.inFlight)) : 0;
    const clients = this.atFaults.length
      ? Math.min(...this.atFaults.map((f) => f.clients))
      : (this.load?.opts.clients ?? 0);
    const weak = this.atFaults.filter((f) => f.inFlight < MIN_IN_FLIGHT || f.clients < MIN_CLIENTS).length;
    if (requireLoad && weak) {
      this.failures.push(
        `${weak} of ${this.atFaults.length} faults injected with fewer than ${MIN_IN_FLIGHT} operations in flight from ${MIN_CLIENTS} clients (fewest: ${inFlight})`,
      );
    }
    const outages = this.stack.outages.describe(this.started);
    if (outages.length) this.notes.push(`outage windows: ${outages.join('; ')}`);
    if (this.load) this.notes.push(`background load: ${this.load.flows} flows, ${this.load.operations} operations`);
    return {
      name,
      title,
      faults: this.faults,
      requests: this.api.tally.requests,
      checks: this.checker.checks - this.checksBefore + (this.live ? this.live.checks - this.liveChecksBefore : 0),
      violations: [...fromChecker, ...this.liveViolations, ...this.api.tally.violations, ...this.failures],
      seconds,
      notes: this.notes,
      statuses: this.api.tally.summary(),
      inFlight,
      clients,
    };
  }
}

export const TTL_MS = SETTINGS.holdTtlSeconds * 1000;
