import { createHmac, randomUUID } from 'node:crypto';
import { sendJson } from '../harness/http';
import type { Acks } from '../harness/checker/checker';
import { SETTINGS } from './settings';
import { sleep } from '../harness/wait';

export interface Answer {
  status: number;
  body: any;
  ms: number;
  retryAfter: string | null;
  /** Set when no HTTP answer came (timeout, reset). */
  error?: string;
}

/** What the client saw during one scenario: requests, and answers that break the contract under faults. */
export class Tally {
  requests = 0;
  /** Requests sent and not yet answered (or given up on), by every client sharing this tally: the load at the service. */
  inFlight = 0;
  byStatus = new Map<number, number>();
  violations: string[] = [];
  count(status: number) {
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
  }
  summary(): string {
    return [...this.byStatus]
      .sort(([a], [b]) => a - b)
      .map(([s, n]) => `${s || 'none'}×${n}`)
      .join(' ');
  }
}

/**
 * Internal text that must never reach a client: SQL, driver and ORM names, stack frames. A MariaDB error name starts a
 * word (`ER_LOCK_DEADLOCK`); an error `code` such as `order_not_pending` is part of the contract.
 */
const LEAK =
  /\b(select|insert|update|delete)\b.+\b(from|into|set|where)\b|sequelize|mysql|mariadb|(?<![a-z])ER_[A-Z_]{3,}|ECONNREFUSED|ETIMEDOUT|\bat [\w.<>]+ \(|\.js:\d+|\bstack\b|\bTemporal\b|grpc|workflow/i;

/**
 * Past this with no answer, a request hangs: the API's own bounds on the service's defaults (TEMPORAL_QUEUE_TIMEOUT_MS
 * 15 s for a call slot + TEMPORAL_CALL_TIMEOUT_MS 10 s for the call, src/config.ts) plus 8 s of explicit slack for a
 * busy shared machine.
 */
export const HANG_MS = 33_000;
/** A freeze the harness makes (the API SIGSTOPped) stretches the bound by its length, up to this much. */
const FREEZE_ALLOWANCE_MS = 20_000;

/** A request's path as its route: ids as `:id`, no query. */
export const routeOf = (path: string) => path.replace(/\d+/g, ':id').replace(/\?.*$/, '');

/**
 * The harness's HTTP client: every answer is checked against the contract under faults (never a 500, a 503 always
 * with Retry-After, never internal text in a body, never silence past HANG_MS), and every promise the service
 * makes (201 hold, 201 order, 200 webhook) is written down for the invariant checker.
 */
export class ApiClient {
  tally = new Tally();
  /** Idempotency-Key → the hold ids it was ever answered with (must stay one). */
  private keyHolds = new Map<string, Set<number>>();

  constructor(
    readonly baseUrl: string,
    readonly acks: Acks,
  ) {}

  async call(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    timeoutMs = HANG_MS,
  ): Promise<Answer> {
    const started = Date.now();
    this.tally.requests++;
    this.tally.inFlight++;
    let answer: Answer;
    try {
      const reply = await sendJson(
        this.baseUrl + path,
        method,
        body,
        { 'content-type': 'application/json', ...headers },
        timeoutMs + FREEZE_ALLOWANCE_MS,
      );
      answer = {
        status: reply.status,
        // Kept as text when it is not JSON; the contract says JSON always.
        body: reply.body === undefined ? reply.text : reply.body,
        ms: Date.now() - started,
        retryAfter: reply.headers.get('retry-after'),
      };
      if (reply.body === undefined && reply.text !== '') {
        this.violation(`${method} ${path}: non-JSON answer ${reply.status}`);
      }
    } catch (err) {
      const e = err as Error;
      answer = {
        status: 0,
        body: null,
        ms: Date.now() - started,
        retryAfter: null,
        error: e.name === 'TimeoutError' ? 'timeout' : e.message,
      };
    } finally {
      this.tally.inFlight--;
    }
    this.tally.count(answer.status);
    // Silence past the bound (plus the time the system was frozen or down on purpose meanwhile) is a hang.
    if (answer.status !== 0 && answer.ms > timeoutMs + this.downMs(started, Date.now())) {
      this.violation(`${method} ${path.replace(/\d+/g, ':id')}: answered ${answer.status} only after ${answer.ms} ms`);
    }
    this.inspect(method, path, answer, started);
    return answer;
  }

  private violation(msg: string) {
    this.tally.violations.push(msg);
  }

  /**
   * While this says yes (the harness killed or is restarting the API on purpose), an answer that never came is what
   * a client of a dead server sees, not a contract violation; the client retries.
   */
  apiDownOnPurpose: (since: number) => boolean = () => false;

  /** How long the harness had the system down or frozen between two instants (stretches the hang bound). */
  downMs: (from: number, to: number) => number = () => 0;

  private inspect(method: string, path: string, a: Answer, sent: number) {
    const route = routeOf(path);
    if (a.status === 0 && a.error !== 'timeout' && this.apiDownOnPurpose(sent)) return;
    if (a.status === 0) {
      this.violation(
        `${method} ${route}: ${a.error === 'timeout' ? `no answer within ${a.ms} ms` : `connection failed (${a.error})`}`,
      );
      return;
    }
    if (a.status === 503) {
      if (!a.retryAfter) this.violation(`${method} ${route}: 503 without Retry-After`);
    } else if (a.status >= 500) {
      this.violation(`${method} ${route}: answered ${a.status}`);
    }
    if (a.status >= 400 && a.body && LEAK.test(JSON.stringify(a.body))) {
      this.violation(
        `${method} ${route}: internal detail in a ${a.status} body: ${JSON.stringify(a.body).slice(0, 160)}`,
      );
    }
  }

  /** An admin call; products created (201) and restocks (200) go into the harness's ledger of stock put in. */
  async admin(path: string, body: any) {
    const restock = /^\/api\/admin\/products\/(\d+)\/restock$/.exec(path);
    const id = restock ? Number(restock[1]) : 0;
    // Until its answer arrives, a restock may be committed already: the checker accepts either figure meanwhile.
    const pending = (q: number) => this.acks.restocking.set(id, (this.acks.restocking.get(id) ?? 0) + q);
    if (restock) pending(Number(body.quantity));
    let a: Answer;
    try {
      a = await this.call('POST', path, body, { authorization: `Bearer ${SETTINGS.adminToken}` });
    } finally {
      if (restock) pending(-Number(body.quantity));
    }
    if (path === '/api/admin/products' && a.status === 201) {
      this.acks.stock.set(Number(a.body.data.id), Number(body.available_stock ?? body.total_stock));
    }
    if (restock && a.status === 200) this.acks.stock.set(id, (this.acks.stock.get(id) ?? 0) + Number(body.quantity));
    return a;
  }

  async createProduct(stock: number, name = `chaos product ${randomUUID().slice(0, 8)}`): Promise<number> {
    for (let i = 0; i < 20; i++) {
      const a = await this.admin('/api/admin/products', { name, total_stock: stock, price: 10 });
      if (a.status === 201) return Number(a.body.data.id);
      await sleep(500);
    }
    throw new Error('could not create a product (is the API up?)');
  }

  /** Products with these stocks (retried until created). */
  async createProducts(stocks: number[]): Promise<number[]> {
    const ids: number[] = [];
    for (const stock of stocks) ids.push(await this.createProduct(stock));
    return ids;
  }

  restock(productId: number, quantity: number) {
    return this.admin(`/api/admin/products/${productId}/restock`, { quantity });
  }

  product(id: number) {
    return this.call('GET', `/api/products/${id}`);
  }

  /**
   * POST /api/holds; a 201 is recorded as a promise the database must keep, any other answer but sold out (and no
   * answer) as a buyer told no, whom no hold may keep stock for (the phantom check).
   */
  async hold(productId: number, quantity: number, key?: string, timeoutMs?: number): Promise<Answer> {
    const sentAt = Date.now();
    const a = await this.call(
      'POST',
      '/api/holds',
      { product_id: productId, quantity },
      key ? { 'idempotency-key': key } : {},
      timeoutMs,
    );
    if (a.status === 201) {
      const id = Number(a.body.data.hold_id);
      this.acks.holds.set(id, { productId, quantity, expiresAt: a.body.data.hold_expires_at });
      if (key) {
        const ids = this.keyHolds.get(key) ?? new Set<number>();
        ids.add(id);
        this.keyHolds.set(key, ids);
        if (ids.size > 1) this.violation(`Idempotency-Key ${key} answered with holds ${[...ids].join(', ')}`);
      }
    } else if (!(
      a.status === 400 &&
      (a.body?.code === 'insufficient_stock' || /^Insufficient stock/.test(a.body?.message))
    )) {
      const answer = a.status ? String(a.status) : a.error === 'timeout' ? 'timeout' : 'cut';
      this.acks.unansweredHolds.push({ productId, quantity, key: key ?? null, sentAt, answeredAt: Date.now(), answer });
    }
    return a;
  }

  async order(holdId: number, key?: string): Promise<Answer> {
    const a = await this.call('POST', '/api/orders', { hold_id: holdId }, key ? { 'idempotency-key': key } : {});
    if (a.status === 201) {
      const id = Number(a.body.data.id);
      const before = this.acks.orders.get(id);
      if (before && before.holdId !== holdId)
        this.violation(`order ${id} answered for holds ${before.holdId} and ${holdId}`);
      this.acks.orders.set(id, { holdId });
    }
    return a;
  }

  /** An early release; a 200 is recorded (the hold must be released by the client, at the time answered). */
  async release(holdId: number): Promise<Answer> {
    const a = await this.call('POST', `/api/holds/${holdId}/release`, {});
    if (a.status === 200) this.acks.releases.set(holdId, { releasedAt: String(a.body?.data?.released_at) });
    return a;
  }

  /** A signed payment webhook; a 200 is recorded with the status it answered. */
  async webhook(orderId: number, eventId: string, status: 'paid' | 'failed'): Promise<Answer> {
    const raw = JSON.stringify({ event_id: eventId, order_id: orderId, status });
    const t = Math.floor(Date.now() / 1000);
    const sig = createHmac('sha256', SETTINGS.webhookSecret).update(`${t}.${raw}`).digest('hex');
    const a = await this.call('POST', '/api/payments/webhook', JSON.parse(raw), { 'x-signature': `t=${t},v1=${sig}` });
    if (a.status === 200) {
      const expected = status === 'paid' ? 'completed' : 'cancelled';
      const answered = String(a.body?.data?.status);
      if (a.body?.message === 'Payment processed' && answered !== expected) {
        this.violation(`webhook ${eventId}: processed "${status}" but answered ${answered}`);
      }
      this.acks.payments.set(eventId, { orderId, sent: status, answered });
    }
    return a;
  }

  /**
   * Retries a call while the service answers 503 (or nothing), as a well-behaved client does: at least Retry-After
   * (up to `capMs`), growing exponentially with jitter up to `capMs`.
   */
  async retrying(fn: () => Promise<Answer>, attempts = 8, untilMs = 60_000, capMs = 2_000): Promise<Answer> {
    const deadline = Date.now() + untilMs;
    let a = await fn();
    for (let i = 1; i < attempts && (a.status === 503 || a.status === 0) && Date.now() < deadline; i++) {
      const backoff = Math.min(capMs, 250 * 2 ** i) * (0.5 + Math.random() / 2);
      const after = a.retryAfter ? Math.min(Number(a.retryAfter) * 1000, capMs) : 0;
      await sleep(Math.min(Math.max(backoff, after), Math.max(0, deadline - Date.now())));
      a = await fn();
    }
    return a;
  }
}
