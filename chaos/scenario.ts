import { createConnection, type RowDataPacket } from 'mysql2/promise';
import type { Acks, InvariantChecker } from '../harness/checker/checker';
import type { LiveChecks } from '../harness/checker/live';
import { agreement } from './agreement';
import { ScenarioChecks } from './checks';
import { ApiClient } from './client';
import { Load, MIN_CLIENTS, MIN_IN_FLIGHT, type LoadOptions } from './load';
import { SETTINGS } from './settings';
import type { Stack } from './stack';
import { log } from './util';

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
   * setting is the service's default (src/config.ts), but for the suite's short timers (SETTINGS in settings.ts).
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

/** Everything a scenario needs: the stack, a client that tallies, the checker, and bookkeeping for the report. */
export class Ctx {
  readonly api: ApiClient;
  faults = 0;
  notes: string[] = [];
  failures: string[] = [];
  products: number[] = [];
  /** Requests in flight at each fault, and the clients then. */
  private atFaults: { inFlight: number; clients: number }[] = [];
  readonly started = Date.now();
  /** The invariant checks of this scenario: sampled by the runner, or by the scenario itself. */
  readonly checks: ScenarioChecks;

  constructor(
    readonly stack: Stack,
    checker: InvariantChecker,
    readonly acks: Acks,
    private readonly live: LiveChecks | null = null,
  ) {
    this.api = this.client(stack.baseUrl);
    this.checks = new ScenarioChecks(checker, live, stack.outages, (ok, msg) => this.expect(ok, msg));
  }

  /** A client of one of the stack's APIs that knows when the harness took the system down. */
  private client(baseUrl: string): ApiClient {
    const api = new ApiClient(baseUrl, this.acks);
    api.apiDownOnPurpose = (since) => this.stack.apiOutages.met(since);
    api.downMs = (from, to) => this.stack.outages.overlap(from, to);
    return api;
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
      api = this.client(this.stack.loadBaseUrl);
      api.tally = this.api.tally;
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
    const ids = await this.api.createProducts(Array<number>(n).fill(stock));
    this.products.push(...ids);
    return ids;
  }

  /** Holds whose workflow the scenario ended on purpose: the agreement checks leave them alone. */
  readonly exempted = new Set<number>();

  exempt(holdId: number): void {
    this.exempted.add(holdId);
    this.live?.exempt(holdId);
  }

  /**
   * Waits (30 s at most) until the load is back to MIN_IN_FLIGHT requests in flight (for `holdMs` without a dip): after a
   * fault its clients back off for up to 8 s, and the next fault must land in the full load, not in what the previous
   * one left.
   */
  async loaded(holdMs = 0): Promise<void> {
    if (this.load && !(await this.load.warm(MIN_IN_FLIGHT, 30_000, holdMs)))
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

  /**
   * After the faults have healed: the load stops, workers that died are restarted, then the service gets `maxMs` to release
   * every hold past its expiry and cancel every order past its payment deadline, and the checker runs settled.
   */
  async settle(maxMs = 45_000): Promise<void> {
    await this.load?.stop();
    await this.stack.superviseWorkers();
    for (const n of await this.checks.settle(maxMs, this.phantomBoundSeconds)) this.note(n);
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
        temporal: this.stack.temporalClient(),
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

  /**
   * The scenario's row: its figures, and (`inFlight`) the fewest requests in flight at the service when a fault was
   * injected (0 without load), and the clients sending them.
   */
  result(name: string, title: string, seconds: number, requireLoad: boolean) {
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
    const skipped = this.checks.skipped();
    if (skipped) this.notes.push(`${skipped} check rounds could not run during outages (stores down on purpose)`);
    return {
      name,
      title,
      faults: this.faults,
      requests: this.api.tally.requests,
      checks: this.checks.checks(),
      violations: [...this.checks.violations(), ...this.api.tally.violations, ...this.failures],
      seconds,
      notes: this.notes,
      statuses: this.api.tally.summary(),
      inFlight,
      clients,
    };
  }
}

export type ScenarioResult = ReturnType<Ctx['result']>;

export const TTL_MS = SETTINGS.holdTtlSeconds * 1000;
