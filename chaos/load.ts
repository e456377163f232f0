import { randomUUID } from 'node:crypto';
import type { ApiClient } from './client';
import { pick, rand, randInt, sleep } from './util';

export interface LoadOptions {
  users: number;
  /** Chance a hold becomes an order; then paid / failed / left unpaid. */
  order: number;
  pay: number;
  fail: number;
  /** Chance a held hold is released early (instead of ordered or left to expire). */
  release: number;
  /** Chance a webhook is sent twice at once (a provider's duplicate delivery). */
  duplicateWebhook: number;
  thinkMs: [number, number];
}

const DEFAULTS: LoadOptions = {
  users: 6,
  order: 0.5,
  pay: 0.6,
  fail: 0.2,
  release: 0.15,
  duplicateWebhook: 0.2,
  thinkMs: [50, 400],
};

/**
 * Customers: each reads a product, holds 1–3 units (Idempotency-Key, retried on 503 like a real client), then
 * orders and pays (or fails, or never pays), releases early, or walks away and lets the hold expire.
 */
export class Load {
  private running = false;
  private users: Promise<void>[] = [];
  readonly opts: LoadOptions;
  flows = 0;

  constructor(
    private readonly api: ApiClient,
    private readonly products: () => number[],
    opts: Partial<LoadOptions> = {},
  ) {
    this.opts = { ...DEFAULTS, ...opts };
  }

  start(): void {
    this.running = true;
    for (let i = 0; i < this.opts.users; i++) this.users.push(this.user());
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.users);
    this.users = [];
  }

  private async user(): Promise<void> {
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
    const productId = pick(this.products());
    if (Math.random() < 0.3) await this.api.product(productId);
    const key = randomUUID();
    const quantity = randInt(1, 3);
    const held = await this.api.retrying(() => this.api.hold(productId, quantity, key), 6, 30_000);
    if (held.status !== 201 || !this.running) return;
    const holdId = Number(held.body.data.hold_id);
    const r = Math.random();
    if (r < this.opts.order) {
      await sleep(rand(0, 1_500));
      const orderKey = randomUUID();
      const ordered = await this.api.retrying(() => this.api.order(holdId, orderKey), 6, 20_000);
      if (ordered.status !== 201) return;
      const orderId = Number(ordered.body.data.id);
      const p = Math.random();
      if (p >= this.opts.pay + this.opts.fail) return; // never pays: the payment timeout cancels it
      await sleep(rand(0, 1_500));
      const status = p < this.opts.pay ? 'paid' : 'failed';
      const eventId = `evt_${randomUUID()}`;
      const send = () => this.api.retrying(() => this.api.webhook(orderId, eventId, status), 6, 20_000);
      if (Math.random() < this.opts.duplicateWebhook) await Promise.all([send(), send()]);
      else await send();
    } else if (r < this.opts.order + this.opts.release) {
      await sleep(rand(0, 2_000));
      await this.api.retrying(() => this.api.release(holdId), 4, 15_000);
    }
  }
}
