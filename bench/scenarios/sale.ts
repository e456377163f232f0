/**
 * The sale a shop would run: BUYERS buyers for UNITS units, 200 at a time. Each winner orders and pays (one payment
 * in ten fails, giving its unit back to later buyers); one winner in twenty abandons the hold (it comes back at
 * expiry, after the sale: the bench's TTL is an hour).
 */
import type { Pool } from 'mysql2/promise';
import { holdWorkflowId, orderWorkflowId } from '../../src/shared/workflow-ids';
import { signPayload } from '../../src/signature';
import { floorWorkflowId } from '../floor/workflows';
import { check } from '../lib/checks';
import * as dbx from '../lib/db';
import { waitUntilIdle } from '../lib/procs';
import { meter, record, run } from '../lib/run-state';
import { countServerRequests } from '../lib/server-requests';
import { settings } from '../lib/settings';
import { sampleTemporalCalls } from '../lib/temporal-calls';
import { runTemporalWork } from '../lib/temporal';
import { percentile, pool, progress, progressDone, round, say } from '../lib/util';
import type { Running } from './processes';

const seconds = (ms: number | null) => (ms === null ? null : round(ms / 1000, 2));

/** What the sale's buyers saw, one journey at a time: hold, then (for a winner) order and payment. */
class SaleJournal {
  private readonly t0 = performance.now();
  readonly holdIds: number[] = [];
  readonly holdTimes: number[] = [];
  readonly holdLatency: number[] = [];
  // A winner's order and payment follow its hold on the same connection: their answer times set the sale's pace.
  readonly orderLatency: number[] = [];
  readonly paymentLatency: number[] = [];
  readonly answers: Record<string, number> = {};
  readonly soldOut: { at: number; ms: number }[] = [];
  // Every buyer's send time, answer time and whether a unit was theirs: first come, first served, measured.
  readonly buyersSeen: Buyer[] = [];
  readonly paidAt: number[] = [];
  // A failed payment gives its unit back when its webhook is answered: to a later buyer, if one is still to ask.
  readonly failedAt: number[] = [];
  firstSoldOutAt: number | null = null;
  orders = 0;
  abandoned = 0;
  errors = 0;

  constructor(
    private readonly http: Running['http'],
    private readonly product: number,
    private readonly system: 'service' | 'floor',
  ) {}

  since = () => performance.now() - this.t0;

  private count(status: number) {
    this.answers[status] = (this.answers[status] ?? 0) + 1;
  }

  /** Buyer `i`: one hold; a winner orders and pays (one in ten fails), except one in twenty who abandons the hold. */
  async buyer(i: number): Promise<void> {
    const startedAt = this.since();
    const h = await this.http.request('POST', '/api/holds', { product_id: this.product, quantity: 1 });
    this.holdLatency.push(h.ms);
    this.buyersSeen.push({ sentAt: startedAt, ms: h.ms, won: h.status === 201 });
    if (h.status === 0) this.errors++;
    else this.count(h.status);
    if (h.status === 400) {
      this.soldOut.push({ at: startedAt, ms: h.ms });
      this.firstSoldOutAt ??= startedAt + h.ms;
    }
    if (h.status !== 201) return;
    this.holdIds.push(h.body.data.hold_id);
    this.holdTimes.push(this.since());
    if (i % 20 === 7) {
      this.abandoned++;
      return;
    }
    const o = await this.http.request('POST', '/api/orders', { hold_id: h.body.data.hold_id });
    this.orderLatency.push(o.ms);
    if (o.status !== 201) return this.count(o.status);
    this.orders++;
    await this.pay(i, o.body.data.id, i % 10 === 3 ? 'failed' : 'paid');
  }

  private async pay(i: number, orderId: number, status: 'paid' | 'failed') {
    const body = JSON.stringify({ event_id: `bench-${settings.runId}-${this.system}-${i}`, order_id: orderId, status });
    const w = await this.http.request('POST', '/api/payments/webhook', body, {
      'X-Signature': signPayload(settings.webhookSecret, body),
    });
    this.paymentLatency.push(w.ms);
    if (w.status !== 200) this.count(w.status);
    else (status === 'paid' ? this.paidAt : this.failedAt).push(this.since());
  }

  /** The sale's figures for the result file, units being the stock put on sale. */
  figures(units: number) {
    // Late buyers: those who asked after the first sold-out answer; they should hear "sold out" at once.
    const first = this.firstSoldOutAt;
    const late = first === null ? [] : this.soldOut.filter((s) => s.at >= first).map((s) => s.ms);
    const lastAsked = Math.max(0, ...this.buyersSeen.map((b) => b.sentAt));
    const p = (values: number[], q: number) => round(percentile(values, q));
    return {
      buyers_answered: this.holdLatency.length,
      answers_by_status: this.answers,
      connection_errors: this.errors,
      holds: this.holdIds.length,
      orders: this.orders,
      paid: this.paidAt.length,
      payment_failed_and_restocked: this.failedAt.length,
      abandoned_holds: this.abandoned,
      // The units-th 201: from then on every unit was held at least once.
      every_unit_held_s: seconds(this.holdTimes.length >= units ? this.holdTimes[units - 1] : null),
      last_hold_s: seconds(this.holdTimes.at(-1) ?? null),
      // Units come back from failed payments, so "every unit paid" is the moment paid orders reach units − abandoned.
      every_unit_paid_s: seconds(
        this.paidAt.length >= units - this.abandoned ? this.paidAt[units - this.abandoned - 1] : null,
      ),
      first_sold_out_answer_s: seconds(this.firstSoldOutAt),
      // Units given back after the last buyer asked stay unsold: nobody was left to take them.
      restocked_after_last_buyer_asked: this.failedAt.filter((t) => t > lastAsked).length,
      hold_p50_ms: p(this.holdLatency, 50),
      hold_p99_ms: p(this.holdLatency, 99),
      order_p50_ms: p(this.orderLatency, 50),
      order_p99_ms: p(this.orderLatency, 99),
      payment_p50_ms: p(this.paymentLatency, 50),
      payment_p99_ms: p(this.paymentLatency, 99),
      late_buyers: late.length,
      late_answer_p50_ms: p(late, 50),
      late_answer_p99_ms: p(late, 99),
      ...fairness(this.buyersSeen, units),
    };
  }
}

export async function realisticSale(db: Pool, service: Running, system: 'service' | 'floor' = 'service') {
  const { buyers, units } = settings;
  const connections = 200;
  const who = system === 'service' ? 'Service' : 'Sale floor';
  say(`${who}: realistic sale, ${buyers} buyers for ${units} units, ${connections} at a time`);
  const product = await dbx.createProduct(db, `bench: realistic sale (${system})`, units);
  const cpu = meter(service.pids);
  const serverRequests = countServerRequests(run.temporalMetricsUrl);
  const journal = new SaleJournal(service.http, product, system);
  const { holdIds, holdLatency, paidAt } = journal;
  const ticker = setInterval(
    () => progress(`  sale: ${holdLatency.length}/${buyers} answered, ${holdIds.length} holds, ${paidAt.length} paid`),
    500,
  );
  const temporalCalls = sampleTemporalCalls(service.base);
  await pool(buyers, connections, Date.now() + 240_000, (i) => journal.buyer(i));
  clearInterval(ticker);
  // The API's queue for Temporal calls (holds and orders share TEMPORAL_MAX_IN_FLIGHT), sampled during the sale.
  const apiQueue = temporalCalls.stop();
  progressDone();
  const elapsed = journal.since() / 1000;
  // The sale's tail (order workflows ending, events) belongs to its cost: read once the processes are idle again.
  await waitUntilIdle(Object.values({ ...run.pids, ...service.pids }), 0.15, 30);
  const cpuSeconds = cpu.read();
  const serverRequestsPerUnit = await serverRequests.perUnit(paidAt.length);
  const { c, lost } = await check(db, 'sale', product, holdIds);
  const [rows] = await db.query(
    "SELECT o.id AS order_id, o.hold_id FROM orders o JOIN holds h ON h.id = o.hold_id WHERE h.product_id = ? AND o.status = 'completed' ORDER BY o.id",
    [product],
  );
  const paidUnits = rows as { order_id: number; hold_id: number }[];
  const completed = paidUnits.length;
  const other = Object.entries(journal.answers).filter(([s]) => !['201', '400', '429'].includes(s));
  const r = record({
    id: system === 'service' ? 'svc-sale' : 'floor-sale',
    title: `${who}: realistic sale (${buyers} buyers, ${units} units)`,
    system,
    connections,
    seconds: round(elapsed, 2),
    requests: holdLatency.length,
    ok: holdIds.length,
    ok_per_second: Math.round(holdIds.length / Math.max((journal.holdTimes.at(-1) ?? 1) / 1000, 0.001)),
    p50_ms: round(percentile(holdLatency, 50)),
    p99_ms: round(percentile(holdLatency, 99)),
    errors: journal.errors,
    unexpected_status: Object.fromEntries(other),
    oversold: c.oversold + Math.max(0, completed - units),
    lost_holds: lost,
    conservation_ok: c.ok,
    cpu_seconds: cpuSeconds,
    extra: {
      ...journal.figures(units),
      completed_orders: completed,
      // More unsold than restocked after the last buyer asked: a unit came back and buyers were refused it.
      unsold_at_end: await dbx.count(db, 'SELECT available_stock AS n FROM products WHERE id = ?', [product]),
      temporal_calls: apiQueue,
      // What one sold unit cost, by process: every hold, order, payment and refusal of the sale over the units paid.
      cpu_ms_per_paid_unit: perUnit(cpuSeconds, paidAt.length),
      temporal_work_per_paid_unit: await temporalWorkOfPaidUnits(paidUnits.slice(0, 50), system, service.pids),
      // The server's own counters over the sale (its own server only): persistence and internal requests by operation.
      temporal_server_requests_per_paid_unit: serverRequestsPerUnit,
    },
  });
  const x = r.extra!;
  say(`  fairness: ${x.first_buyers_won} of the first ${units} buyers got a unit (share ${x.first_buyers_share})`);
  say(
    `  every unit held after ${x.every_unit_held_s} s, paid after ${x.every_unit_paid_s} s; ` +
      `${x.late_buyers} late buyers told in p50 ${x.late_answer_p50_ms} / p99 ${x.late_answer_p99_ms} ms; ` +
      `orders p50 ${x.order_p50_ms} ms; answers ${JSON.stringify(journal.answers)}; oversold ${r.oversold}`,
  );
}

/**
 * What the Temporal server was asked to do for one paid unit: the histories of a sample of the sale's paid units (the
 * service: the hold's workflow and the order's; the floor: its one workflow), counted by bench/lib/temporal-work.ts.
 */
function temporalWorkOfPaidUnits(
  paid: { order_id: number; hold_id: number }[],
  system: 'service' | 'floor',
  processes: Record<string, number>,
) {
  const units = paid.map((r) =>
    system === 'service' ? [holdWorkflowId(r.hold_id), orderWorkflowId(r.order_id)] : [floorWorkflowId(r.hold_id)],
  );
  return runTemporalWork(units, processes, 'Temporal work per unit');
}

const perUnit = (cpuSeconds: Record<string, number> | undefined, paid: number) =>
  cpuSeconds && paid > 0
    ? Object.fromEntries(Object.entries(cpuSeconds).map(([k, s]) => [k, round((s * 1000) / paid, 2)]))
    : null;

interface Buyer {
  sentAt: number;
  ms: number;
  won: boolean;
}

/**
 * What a flash sale promises: of the first `units` buyers to ask (by send time), how many got a unit; and answer
 * times by arrival, in tenths of the buyers (the losers among the early tenths should not wait behind the winners).
 */
export function fairness(buyers: Buyer[], units: number) {
  const byArrival = [...buyers].sort((a, b) => a.sentAt - b.sentAt);
  const first = byArrival.slice(0, units);
  const won = first.filter((b) => b.won).length;
  const tenth = Math.max(1, Math.ceil(byArrival.length / 10));
  const answerMsByArrival = Array.from({ length: Math.ceil(byArrival.length / tenth) }, (_, i) => {
    const part = byArrival.slice(i * tenth, (i + 1) * tenth);
    const ms = part.map((b) => b.ms);
    return {
      tenth: i + 1,
      won: part.filter((b) => b.won).length,
      p50_ms: round(percentile(ms, 50)),
      p99_ms: round(percentile(ms, 99)),
    };
  });
  return {
    first_buyers: first.length,
    first_buyers_won: won,
    first_buyers_share: first.length ? round(won / first.length, 3) : null,
    answer_ms_by_arrival: answerMsByArrival,
  };
}
