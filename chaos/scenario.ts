import { agreement } from './agreement';
import { Client, Connection } from '@temporalio/client';
import { createConnection, type RowDataPacket } from 'mysql2/promise';
import { Acks, InvariantChecker } from '../harness/checker/checker';
import { ApiClient } from './client';
import type { LiveChecks } from '../harness/checker/live';
import { Load, MIN_CLIENTS, MIN_IN_FLIGHT, type LoadOptions } from './load';
import { SETTINGS, type Stack } from './stack';
import { log } from './util';
import { sleep } from '../harness/wait';

export interface Scenario {
  name: string;
  title: string;
  run: (ctx: Ctx) => Promise<void>;
  /** Work before the scenario's clock and its background load start (e.g. building another version of the service). */
  prepare?: () => Promise<void>;
  /**
   * false: no background load (the scenario makes its own, or proves something only a quiet system shows). By default
   * the runner keeps FAULT_LOAD (≥200 requests in flight from ≥50 clients) on products of the scenario's own for
   * its whole run, and every fault must land in it.
   */
  load?: false;
  /**
   * 'worker': holds run only in the worker processes (the API processes with HOLD_EAGER_START=false), a setting other
   * than the service's default, named in the row. By default the APIs are hold workers too and start holds eagerly.
   */
  holdsOn?: 'worker';
  /**
   * Settings of the service other than its defaults this scenario is about (the row's title names them); every other
   * setting is the service's default (src/config.ts), but for the suite's short timers (SETTINGS in stack.ts).
   */
  settings?: Record<string, string>;
  /**
   * A hold no buyer was answered 201 for must give its stock back within this many seconds of the buyer being told no
   * (PHANTOM_BOUND_SECONDS by default); checked once settled.
   */
  phantomBoundSeconds?: number;
}

/** The phantom bound of a scenario that names none: a hold nobody was told of keeps stock at most this long. */
export const PHANTOM_BOUND_SECONDS = 10;

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
  /** Fewest requests in flight at the service when a fault was injected (0 without load), and the clients sending them. */
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
  /** Requests in flight at each fault, and the clients then. */
  private atFaults: { inFlight: number; clients: number }[] = [];
  private liveViolations = new Set<string>();
  private liveChecksBefore: number;
  private liveSkippedBefore: number;
  readonly started = Date.now();
  private checkerViolationsBefore: Set<string>;
  private initialViolations: Set<string>;
  private checksBefore: number;
  private sampling: Promise<void> | null = null;
  private samplingOn = false;
  /** Checker rounds that could not run during an outage the harness made. */
  private checkerSkipped = 0;
  private static temporal: Client | null = null;

  constructor(
    readonly stack: Stack,
    readonly checker: InvariantChecker,
    readonly acks: Acks,
    readonly live: LiveChecks | null = null,
  ) {
    this.api = new ApiClient(stack.baseUrl, acks);
    this.api.apiDownOnPurpose = (since) => stack.apiDownOnPurpose(since);
    this.api.downMs = (from, to) => stack.outages.overlap(from, to);
    this.checkerViolationsBefore = new Set(checker.violations.keys());
    this.initialViolations = new Set(checker.violations.keys());
    this.checksBefore = checker.checks;
    this.liveChecksBefore = live?.checks ?? 0;
    this.liveSkippedBefore = live?.skipped ?? 0;
  }

  /** A hold no buyer was told of gives its stock back within this (the scenario's `phantomBoundSeconds`). */
  phantomBoundSeconds = PHANTOM_BOUND_SECONDS;

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
      api.apiDownOnPurpose = (since) => this.stack.apiDownOnPurpose(since);
      api.downMs = (from, to) => this.stack.outages.overlap(from, to);
    }
    this.loadOn(products);
    this.load = new Load(api, () => this.loadProducts, opts);
    this.load.start();
    if (!(await this.load.warm()))
      this.note(`the load reached only ${this.load.inFlight} requests in flight within 30 s`);
    return this.load;
  }

  /** Products of this scenario, created through the admin API (the harness's ledger records their stock). */
  async createProducts(n: number, stock: number): Promise<number[]> {
    const ids: number[] = [];
    for (let i = 0; i < n; i++) ids.push(await this.api.createProduct(stock));
    this.products.push(...ids);
    return ids;
  }

  /** Holds whose workflow the scenario ended on purpose. */
  readonly exempted = new Set<number>();

  /** A hold whose workflow the scenario ends on purpose: the agreement checks leave it alone. */
  exempt(holdId: number): void {
    this.exempted.add(holdId);
    this.live?.exempt(holdId);
  }

  /**
   * Waits (30 s at most) until the load is back to MIN_IN_FLIGHT requests in flight: after a fault its clients back off
   * for up to 8 s, and the next fault must land in the full load, not in what the previous one left.
   */
  async loaded(): Promise<void> {
    if (this.load && !(await this.load.warm(MIN_IN_FLIGHT, 30_000)))
      this.note(`the load was back to only ${this.load.inFlight} requests in flight 30 s after the previous fault`);
  }

  /** Records a fault injected now, and the load it landed in. */
  fault(description: string): void {
    this.faults++;
    const inFlight = this.load?.inFlight ?? 0;
    const clients = this.load?.clients ?? 0;
    this.atFaults.push({ inFlight, clients });
    log(`  fault: ${description} (${inFlight} requests in flight from ${clients} clients)`);
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
          await this.sample().catch(async () => {
            // A connection the harness's own MariaDB outage left dead fails once: a fresh one is tried.
            await this.checker.close();
            await this.sample();
          });
        } catch (err) {
          // The checker reads MariaDB directly: it can only fail while the harness has MariaDB down on purpose.
          // (or came back from it moments ago, still restarting).
          if (this.stack.outages.overlap(t - 15_000, Date.now()) > 0) this.checkerSkipped++;
          else this.expect(false, `invariant check could not run with nothing down: ${(err as Error).message}`);
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
    const settled = await this.checker.check({
      graceSeconds: SETTLED_GRACE_SECONDS,
      phantomBoundSeconds: this.phantomBoundSeconds,
    });
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
   * Workflow and database agree for every hold of these products (by default every product the scenario touched, the
   * background load's included), and product reads show the committed stock (chaos/agreement.ts).
   */
  async agreement(
    productIds = [...this.products, ...this.loadProducts],
    waitMs = 30_000,
  ): Promise<{ holds: number; orders: number }> {
    const t = Date.now();
    const r = await agreement(
      {
        dbUrl: this.stack.directDbUrl,
        temporal: await Ctx.temporalClient(this.stack),
        readProduct: async (id) => {
          const a = await this.api.product(id);
          return { status: a.status, available: a.body?.available_stock };
        },
        exempt: this.exempted,
      },
      productIds,
      waitMs,
    );
    for (const v of r.violations) this.expect(false, v);
    this.note(
      `workflow agreement: ${r.holds} holds and ${r.orders} orders of ${productIds.length} products in ${((Date.now() - t) / 1000).toFixed(1)} s`,
    );
    return { holds: r.holds, orders: r.orders };
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
        `${weak} of ${this.atFaults.length} faults injected with fewer than ${MIN_IN_FLIGHT} requests in flight from ${MIN_CLIENTS} clients (fewest: ${inFlight})`,
      );
    }
    const outages = this.stack.outages.describe(this.started);
    if (outages.length) this.notes.push(`outage windows: ${outages.join('; ')}`);
    if (this.load) this.notes.push(`background load: ${this.load.flows} flows, ${this.load.operations} operations`);
    const skipped = this.checkerSkipped + (this.live ? this.live.skipped - this.liveSkippedBefore : 0);
    if (skipped) this.notes.push(`${skipped} check rounds could not run during outages (stores down on purpose)`);
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
