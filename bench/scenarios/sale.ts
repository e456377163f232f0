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
import { settings } from '../lib/settings';
import { sampleTemporalCalls } from '../lib/temporal-calls';
import { temporalWorkPerUnit } from '../lib/temporal-work';
import { percentile, pool, progress, progressDone, round, say } from '../lib/util';
import type { Running } from './processes';

const seconds = (ms: number | null) => (ms === null ? null : round(ms / 1000, 2));

export async function realisticSale(db: Pool, service: Running, system: 'service' | 'floor' = 'service') {
  const { buyers, units } = settings;
  const connections = 200;
  const who = system === 'service' ? 'Service' : 'Sale floor';
  say(`${who}: realistic sale, ${buyers} buyers for ${units} units, ${connections} at a time`);
  const product = await dbx.createProduct(db, `bench: realistic sale (${system})`, units);
  const { http } = service;
  const cpu = meter(service.pids);
  const t0 = performance.now();
  const since = () => performance.now() - t0;
  const holdIds: number[] = [];
  const holdTimes: number[] = [];
  const holdLatency: number[] = [];
  // A winner's order and payment follow its hold on the same connection: their answer times set the sale's pace.
  const orderLatency: number[] = [];
  const paymentLatency: number[] = [];
  const answers: Record<string, number> = {};
  const soldOut: { at: number; ms: number }[] = [];
  // Every buyer's send time, answer time and whether a unit was theirs: first come, first served, measured.
  const buyersSeen: Buyer[] = [];
  const paidAt: number[] = [];
  let firstSoldOutAt: number | null = null;
  let orders = 0;
  let failed = 0;
  let abandoned = 0;
  let errors = 0;
  const count = (status: number) => (answers[status] = (answers[status] ?? 0) + 1);
  const ticker = setInterval(
    () => progress(`  sale: ${holdLatency.length}/${buyers} answered, ${holdIds.length} holds, ${paidAt.length} paid`),
    500,
  );
  const temporalCalls = sampleTemporalCalls(service.base);
  await pool(buyers, connections, Date.now() + 240_000, async (i) => {
    const startedAt = since();
    const h = await http.request('POST', '/api/holds', { product_id: product, quantity: 1 });
    holdLatency.push(h.ms);
    buyersSeen.push({ sentAt: startedAt, ms: h.ms, won: h.status === 201 });
    if (h.status === 0) errors++;
    else count(h.status);
    if (h.status === 400) {
      soldOut.push({ at: startedAt, ms: h.ms });
      firstSoldOutAt ??= startedAt + h.ms;
    }
    if (h.status !== 201) return;
    holdIds.push(h.body.data.hold_id);
    holdTimes.push(since());
    if (i % 20 === 7) {
      abandoned++;
      return;
    }
    const o = await http.request('POST', '/api/orders', { hold_id: h.body.data.hold_id });
    orderLatency.push(o.ms);
    if (o.status !== 201) {
      count(o.status);
      return;
    }
    orders++;
    const status = i % 10 === 3 ? 'failed' : 'paid';
    const body = JSON.stringify({
      event_id: `bench-${settings.runId}-${system}-${i}`,
      order_id: o.body.data.id,
      status,
    });
    const w = await http.request('POST', '/api/payments/webhook', body, {
      'X-Signature': signPayload(settings.webhookSecret, body),
    });
    paymentLatency.push(w.ms);
    if (w.status !== 200) count(w.status);
    else if (status === 'paid') paidAt.push(since());
    else failed++;
  });
  clearInterval(ticker);
  const apiQueue = temporalCalls.stop();
  progressDone();
  const elapsed = since() / 1000;
  // Late buyers: those who asked after the first sold-out answer; they should hear "sold out" at once.
  const late = firstSoldOutAt === null ? [] : soldOut.filter((s) => s.at >= firstSoldOutAt!).map((s) => s.ms);
  // The sale's tail (order workflows ending, events) belongs to its cost: read once the processes are idle again.
  await waitUntilIdle(Object.values({ ...run.pids, ...service.pids }), 0.15, 30);
  const cpuSeconds = cpu.read();
  const { c, lost } = await check(db, 'sale', product, holdIds);
  const completed = await dbx.count(
    db,
    "SELECT COUNT(*) AS n FROM orders o JOIN holds h ON h.id = o.hold_id WHERE h.product_id = ? AND o.status = 'completed'",
    [product],
  );
  const temporalWork = await temporalWorkOfPaidUnits(db, product, system, service.pids);
  const other = Object.entries(answers).filter(([s]) => !['201', '400', '429'].includes(s));
  const r = record({
    id: system === 'service' ? 'svc-sale' : 'floor-sale',
    title: `${who}: realistic sale (${buyers} buyers, ${units} units)`,
    system,
    connections,
    seconds: round(elapsed, 2),
    requests: holdLatency.length,
    ok: holdIds.length,
    ok_per_second: Math.round(holdIds.length / Math.max((holdTimes.at(-1) ?? 1) / 1000, 0.001)),
    p50_ms: round(percentile(holdLatency, 50)),
    p99_ms: round(percentile(holdLatency, 99)),
    errors,
    unexpected_status: Object.fromEntries(other),
    oversold: c.oversold + Math.max(0, completed - units),
    lost_holds: lost,
    conservation_ok: c.ok,
    cpu_seconds: cpuSeconds,
    extra: {
      buyers_answered: holdLatency.length,
      answers_by_status: answers,
      connection_errors: errors,
      holds: holdIds.length,
      orders,
      paid: paidAt.length,
      payment_failed_and_restocked: failed,
      abandoned_holds: abandoned,
      completed_orders: completed,
      // The units-th 201: from then on every unit was held at least once.
      every_unit_held_s: seconds(holdTimes.length >= units ? holdTimes[units - 1] : null),
      last_hold_s: seconds(holdTimes.at(-1) ?? null),
      // Units come back from failed payments, so "every unit paid" is the moment paid orders reach units − abandoned.
      every_unit_paid_s: seconds(paidAt.length >= units - abandoned ? paidAt[units - abandoned - 1] : null),
      first_sold_out_answer_s: seconds(firstSoldOutAt),
      hold_p50_ms: round(percentile(holdLatency, 50)),
      hold_p99_ms: round(percentile(holdLatency, 99)),
      order_p50_ms: round(percentile(orderLatency, 50)),
      order_p99_ms: round(percentile(orderLatency, 99)),
      payment_p50_ms: round(percentile(paymentLatency, 50)),
      payment_p99_ms: round(percentile(paymentLatency, 99)),
      // The API's queue for Temporal calls (holds and orders share TEMPORAL_MAX_IN_FLIGHT), sampled during the sale.
      temporal_calls: apiQueue,
      late_buyers: late.length,
      late_answer_p50_ms: round(percentile(late, 50)),
      late_answer_p99_ms: round(percentile(late, 99)),
      ...fairness(buyersSeen, units),
      // What one sold unit cost, by process: every hold, order, payment and refusal of the sale over the units paid.
      cpu_ms_per_paid_unit: perUnit(cpuSeconds, paidAt.length),
      temporal_work_per_paid_unit: temporalWork,
    },
  });
  say(
    `  fairness: ${r.extra!.first_buyers_won} of the first ${units} buyers got a unit ` +
      `(share ${r.extra!.first_buyers_share})`,
  );
  say(
    `  every unit held after ${r.extra!.every_unit_held_s} s, paid after ${r.extra!.every_unit_paid_s} s; ` +
      `${late.length} late buyers told in p50 ${r.extra!.late_answer_p50_ms} / p99 ${r.extra!.late_answer_p99_ms} ms; ` +
      `answers ${JSON.stringify(answers)}; oversold ${r.oversold}`,
  );
}

/**
 * What the Temporal server was asked to do for one paid unit: the histories of a sample of the sale's paid units (the
 * service: the hold's workflow and the order's; the floor: its one workflow), counted by bench/lib/temporal-work.ts.
 */
async function temporalWorkOfPaidUnits(
  db: Pool,
  product: number,
  system: 'service' | 'floor',
  processes: Record<string, number>,
) {
  const [rows] = await db.query(
    "SELECT o.id AS order_id, o.hold_id FROM orders o JOIN holds h ON h.id = o.hold_id WHERE h.product_id = ? AND o.status = 'completed' ORDER BY o.id LIMIT 50",
    [product],
  );
  const units = (rows as { order_id: number; hold_id: number }[]).map((r) =>
    system === 'service' ? [holdWorkflowId(r.hold_id), orderWorkflowId(r.order_id)] : [floorWorkflowId(r.hold_id)],
  );
  try {
    return await temporalWorkPerUnit(run.temporalAddress, settings.namespace, units, processes);
  } catch (err) {
    say(`  Temporal work per unit not read: ${(err as Error).message}`);
    return null;
  }
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
