import type { Acks } from './inputs';
import { inScope, ms, type Snapshot } from './snapshot';

/** The acknowledgements taken before the snapshot started (an answer given is after its commit). */
export interface AnswersBefore {
  holds: [number, Acks['holds'] extends Map<number, infer V> ? V : never][];
  orders: [number, { holdId: number }][];
  releases: [number, { releasedAt: string }][];
  payments: [string, Acks['payments'] extends Map<string, infer V> ? V : never][];
}

export function answersOf(acks: Acks | undefined): AnswersBefore {
  return {
    holds: acks ? [...acks.holds] : [],
    orders: acks ? [...acks.orders] : [],
    releases: acks ? [...acks.releases] : [],
    payments: acks ? [...acks.payments] : [],
  };
}

/**
 * Everything a client was told: every hold answered 201 exists as answered, every order answered 201 exists for its
 * hold, every release answered 200 is released by the client as answered, every webhook answered 200 is applied
 * with the status it answered.
 */
export function answersKept(s: Snapshot, a: AnswersBefore, holdProduct: (holdId: number) => number | undefined) {
  const v: string[] = [];
  for (const [holdId, acked] of a.holds) {
    if (!inScope(s, acked.productId)) continue;
    const h = s.holdById.get(holdId);
    if (!h) v.push(`hold ${holdId}: answered 201 but does not exist`);
    else if (
      Number(h.product_id) !== acked.productId ||
      Number(h.quantity) !== acked.quantity ||
      ms(h.hold_expires_at) !== Date.parse(acked.expiresAt) + Number(h.extended_seconds) * 1000
    ) {
      v.push(
        `hold ${holdId}: answered ${acked.quantity} × product ${acked.productId} until ${acked.expiresAt}, stored otherwise`,
      );
    }
  }
  for (const [orderId, acked] of a.orders) {
    const productId = holdProduct(acked.holdId);
    if (s.scope && (productId === undefined || !s.scope.includes(productId))) continue;
    const o = s.orderById.get(orderId);
    if (!o) v.push(`order ${orderId}: answered 201 but does not exist`);
    else if (Number(o.hold_id) !== acked.holdId) {
      v.push(`order ${orderId}: answered for hold ${acked.holdId}, stored for ${o.hold_id}`);
    }
  }
  v.push(...releasesKept(s, a), ...paymentsKept(s, a));
  return v;
}

function releasesKept(s: Snapshot, a: AnswersBefore): string[] {
  const v: string[] = [];
  for (const [holdId, acked] of a.releases) {
    const h = s.holdById.get(holdId);
    if (!h) {
      if (!s.scope) v.push(`hold ${holdId}: release answered 200 but the hold does not exist`);
      continue;
    }
    const ordered = s.orderByHold.has(holdId);
    if (h.released_at === null || h.release_reason !== 'released' || ordered) {
      v.push(
        `hold ${holdId}: release answered 200, stored released_at ${h.released_at ?? 'null'} for "${h.release_reason ?? '-'}"${ordered ? ' with an order' : ''}`,
      );
    } else if (ms(h.released_at) !== Date.parse(acked.releasedAt)) {
      v.push(`hold ${holdId}: release answered released_at ${acked.releasedAt}, stored ${h.released_at}`);
    }
  }
  return v;
}

function paymentsKept(s: Snapshot, a: AnswersBefore): string[] {
  const v: string[] = [];
  for (const [eventId, acked] of a.payments) {
    const o = s.orderById.get(acked.orderId);
    if (!o) {
      if (!s.scope) v.push(`payment ${eventId}: answered for order ${acked.orderId}, which does not exist`);
      continue;
    }
    if (o.status !== acked.answered) {
      v.push(`payment ${eventId}: answered "${acked.answered}", order ${acked.orderId} is ${o.status}`);
    }
    const e = s.eventById.get(eventId);
    // Answered "already processed" for an event this order never recorded would be a lie.
    if (!e) v.push(`payment ${eventId}: answered 200 but no event recorded`);
    else if (Number(e.order_id) !== acked.orderId) {
      v.push(`payment ${eventId}: recorded for order ${e.order_id}, answered for ${acked.orderId}`);
    }
  }
  return v;
}
