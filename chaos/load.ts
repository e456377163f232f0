import { randomUUID } from 'node:crypto';
import type { Answer, ApiClient } from './client';
import { pick, rand, randInt } from './util';
import { sleep } from '../harness/wait';

/** The load every fault lands in: at least 200 requests in flight at the service from at least 50 clients. */
export const FAULT_LOAD = { clients: 50, parallel: 5 };
export const MIN_IN_FLIGHT = 200;
export const MIN_CLIENTS = 50;

/** By default FAULT_LOAD's concurrent clients, each running `parallel` customer flows at once (several tabs). */
const DEFAULTS = {
  ...FAULT_LOAD,
  /** Chance a hold becomes an order; then paid / failed / left unpaid. */
  order: 0.5,
  pay: 0.6,
  fail: 0.2,
  /** Chance a held hold is released early (instead of ordered or left to expire). */
  release: 0.15,
  /** Chance a webhook is sent twice at once (a provider's duplicate delivery). */
  duplicateWebhook: 0.2,
  /** Pause between a flow's steps and between flows. */
  thinkMs: [0, 150] as [number, number],
};
export type LoadOptions = typeof DEFAULTS;

/**
 * Customers: each reads a product, holds 1–3 units (Idempotency-Key, retried on 503 or no answer like a real
 * client), then orders (its own key, retried) and pays (or fails, or never pays), releases early, or walks away and
 * lets the hold expire. `inFlight` counts requests sent and not yet answered, by every client sharing the load's
 * tally (the scenario's own included): what the service is carrying, not operations asleep in a client's back-off.
 */
export class Load {
  private running = false;
  private loops: Promise<void>[] = [];
  readonly opts: LoadOptions;
  flows = 0;
  operations = 0;

  constructor(
    private readonly api: ApiClient,
    private readonly products: () => number[],
    opts: Partial<LoadOptions> = {},
  ) {
    this.opts = { ...DEFAULTS, ...opts };
  }

  /** Requests sent to the service and not yet answered. */
  get inFlight(): number {
    return this.api.tally.inFlight;
  }

  get clients(): number {
    return this.running ? this.opts.clients : 0;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    for (let i = 0; i < this.opts.clients * this.opts.parallel; i++) this.loops.push(this.loop());
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    this.loops = [];
  }

  /**
   * Resolves once `n` requests are in flight (or `ms` passed); true when they are. With `holdMs`, they must have
   * stayed in flight that long without a dip (after a restart, requests it stranded still time out and back off).
   */
  async warm(n = MIN_IN_FLIGHT, ms = 30_000, holdMs = 0): Promise<boolean> {
    const deadline = Date.now() + ms;
    let since = Date.now();
    while (Date.now() < deadline) {
      if (this.inFlight < n) since = Date.now();
      else if (Date.now() - since >= holdMs) return true;
      await sleep(50);
    }
    return this.inFlight >= n;
  }

  private async op(fn: () => Promise<Answer>, attempts: number, untilMs: number): Promise<Answer> {
    this.operations++;
    // Background clients back off further than the scenarios' own (up to 8 s): many clients, one saturated service.
    return this.api.retrying(fn, attempts, untilMs, 8_000);
  }

  private async loop(): Promise<void> {
    // Spread the start so the first requests do not all land in the same millisecond.
    await sleep(rand(0, 500));
    while (this.running) {
      try {
        await this.flow();
      } catch (err) {
        this.api.tally.violations.push(`load generator error: ${(err as Error).message}`);
      }
      await sleep(rand(...this.opts.thinkMs));
    }
  }

  private async flow(): Promise<void> {
    this.flows++;
    const think = () => sleep(rand(...this.opts.thinkMs));
    const productId = pick(this.products());
    if (Math.random() < 0.3) await this.op(() => this.api.product(productId), 3, 10_000);
    const key = randomUUID();
    const quantity = randInt(1, 3);
    const held = await this.op(() => this.api.hold(productId, quantity, key), 10, 45_000);
    if (held.status !== 201 || !this.running) return;
    const holdId = Number(held.body.data.hold_id);
    const r = Math.random();
    if (r < this.opts.order) {
      await think();
      const orderKey = randomUUID();
      const ordered = await this.op(() => this.api.order(holdId, orderKey), 8, 20_000);
      if (ordered.status !== 201) return;
      const orderId = Number(ordered.body.data.id);
      const p = Math.random();
      if (p >= this.opts.pay + this.opts.fail) return; // never pays: the payment timeout cancels it
      await think();
      const status = p < this.opts.pay ? 'paid' : 'failed';
      const eventId = `evt_${randomUUID()}`;
      const send = () => this.op(() => this.api.webhook(orderId, eventId, status), 8, 20_000);
      if (Math.random() < this.opts.duplicateWebhook) await Promise.all([send(), send()]);
      else await send();
    } else if (r < this.opts.order + this.opts.release) {
      await think();
      await this.op(() => this.api.release(holdId), 6, 15_000);
    }
  }
}
