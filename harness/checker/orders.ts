import type { SettledOptions } from './inputs';
import { honouredBy, ms, SLACK_MS, type OrderRow, type Snapshot } from './snapshot';

/**
 * The rules of one order: at most one on-time payment event; completed ⇔ one `paid` event (and its key recorded);
 * cancelled after a `failed` event or by the payment timeout (never earlier); pending has no event; a late `paid`
 * either owes a refund or, honoured, completed its cancelled order and took the hold's units again. Once settled,
 * no order pending past its payment deadline + grace.
 */
export function orderRules(
  s: Snapshot,
  paymentTimeoutSeconds: number,
  settled: SettledOptions | undefined,
): { violations: string[]; pending: number; overdue: number } {
  const v: string[] = [];
  let pending = 0;
  let overdue = 0;
  const graceMs = settled ? settled.graceSeconds * 1000 : 0;
  const deadlineOf = (o: OrderRow) => ms(o.created_at)! + paymentTimeoutSeconds * 1000;
  for (const o of s.orders) {
    const id = Number(o.id);
    const list = s.eventsByOrder.get(id) ?? [];
    const hold = s.holdById.get(Number(o.hold_id));
    if (!['pending', 'completed', 'cancelled'].includes(o.status)) v.push(`order ${id}: status "${o.status}"`);
    if (list.length > 1)
      v.push(`order ${id}: ${list.length} payment events (${list.map((e) => e.event_id).join(', ')})`);
    const event = list[0];
    const honoured = honouredBy(s, o);
    for (const e of s.lateByOrder.get(id) ?? []) {
      if (e.status === 'paid' && e !== honoured && o.refund_due_at === null) {
        v.push(`order ${id}: late payment ${e.event_id} neither honoured nor owed back`);
      }
    }
    if (honoured) {
      if (event) v.push(`order ${id}: honoured a late payment after its own event ${event.event_id}`);
      if (hold?.released_at) v.push(`order ${id}: completed by a late payment, its hold still released`);
    } else if (o.status === 'completed') {
      if (!event || event.status !== 'paid') v.push(`order ${id}: completed without a paid event`);
      else if (o.payment_idempotency_key !== event.event_id) v.push(`order ${id}: completed, key != its event id`);
    } else if (o.status === 'cancelled') {
      if (event && event.status !== 'failed') v.push(`order ${id}: cancelled but its event is "${event.status}"`);
      if (event && hold && hold.release_reason !== 'payment_failed') {
        v.push(`order ${id}: payment failed but the hold was released for "${hold.release_reason}"`);
      }
      if (!event && hold?.released_at && ms(hold.released_at)! + SLACK_MS < deadlineOf(o)) {
        v.push(`order ${id}: cancelled for non-payment at ${hold.released_at}, before its deadline`);
      }
    } else if (o.status === 'pending') {
      pending++;
      if (event) v.push(`order ${id}: pending with payment event ${event.event_id}`);
      if (deadlineOf(o) < s.nowMs - graceMs) {
        overdue++;
        if (settled) {
          v.push(
            `order ${id}: still pending ${Math.round((s.nowMs - deadlineOf(o)) / 1000)} s past its payment deadline`,
          );
        }
      }
    }
  }
  return { violations: v, pending, overdue };
}

/** Across snapshots: an order keeps its hold, a final status stays final (but a late payment honoured), none vanishes. */
export function orderHistory(
  s: Snapshot,
  seen: Map<number, { holdId: number; status: string }>,
  holdProduct: (holdId: number) => number | undefined,
): string[] {
  const v: string[] = [];
  for (const o of s.orders) {
    const id = Number(o.id);
    const before = seen.get(id);
    if (before) {
      if (before.holdId !== Number(o.hold_id)) v.push(`order ${id}: hold changed`);
      const honoured = before.status === 'cancelled' && honouredBy(s, o) !== undefined;
      if (before.status !== 'pending' && before.status !== o.status && !honoured) {
        v.push(`order ${id}: final status ${before.status} became ${o.status}`);
      }
    }
    seen.set(id, { holdId: Number(o.hold_id), status: o.status });
  }
  for (const [id, before] of seen) {
    if (s.orderById.has(id)) continue;
    const productId = holdProduct(before.holdId);
    if (!s.scope || (productId !== undefined && s.scope.includes(productId))) v.push(`order ${id}: vanished`);
  }
  return v;
}
