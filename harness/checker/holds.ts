import type { LatenessOptions, SettledOptions } from './inputs';
import { honouredBy, ms, SLACK_MS, type HoldRow, type Snapshot } from './snapshot';

/** A hold row's id and its instants (ms): what every per-hold rule reads first. */
const holdTimes = (h: HoldRow) => ({
  id: Number(h.id),
  expires: ms(h.hold_expires_at)!,
  released: ms(h.released_at),
  used: ms(h.used_at),
});

const EXPIRY_REASONS = new Set(['expired', 'released', 'sweep']);
const ORDER_REASONS = new Set(['payment_failed', 'payment_timeout', 'sweep_payment_timeout']);

/**
 * The rules of one hold in one snapshot: ordered (used_at) exactly when it has an order, ordered before it expired,
 * never both released and sold, released only when its order is cancelled or it had none, by a reason that fits,
 * never before its expiry when the reason is expiry, never created after its own expiry.
 */
export function holdRules(s: Snapshot, sweepGraceSeconds: number): string[] {
  const v: string[] = [];
  for (const h of s.holds) {
    const { id, expires, released, used } = holdTimes(h);
    const created = ms(h.created_at)!;
    const order = s.orderByHold.get(id);
    const reason = h.release_reason;
    if (!s.productIds.has(Number(h.product_id))) v.push(`hold ${id}: product ${h.product_id} missing`);
    if (Number(h.quantity) < 1) v.push(`hold ${id}: quantity ${h.quantity}`);
    if ((used !== null) !== (order !== undefined)) {
      v.push(`hold ${id}: used_at ${h.used_at ?? 'null'} but ${order ? `order ${order.id}` : 'no order'}`);
    }
    if (used !== null && used >= expires)
      v.push(`hold ${id}: ordered at ${h.used_at}, at/after expiry ${h.hold_expires_at}`);
    const bornExpired = created > expires + SLACK_MS;
    if (bornExpired) {
      // The API announces the expiry at the request; a reservation that only ran after it made a hold that was never
      // usable (and that the sweep, stamping its pass's start, may record as released before it was created).
      v.push(
        `hold ${id}: created ${h.created_at}, after its own expiry ${h.hold_expires_at} (its reservation ran late)`,
      );
    }
    if (released === null) {
      if (order?.status === 'cancelled')
        v.push(`hold ${id}: order ${order.id} cancelled but the stock was not given back`);
      continue;
    }
    if (released + SLACK_MS < created && !bornExpired) v.push(`hold ${id}: released before it was created`);
    if (order) {
      if (order.status !== 'cancelled') v.push(`hold ${id}: released and its order ${order.id} is ${order.status}`);
      if (!reason || !ORDER_REASONS.has(reason)) v.push(`hold ${id}: ordered hold released for "${reason}"`);
      continue;
    }
    if (!reason || !EXPIRY_REASONS.has(reason)) v.push(`hold ${id}: held hold released for "${reason}"`);
    if (reason === 'expired' && released + SLACK_MS < expires) {
      v.push(`hold ${id}: expired at ${h.released_at}, before its expiry ${h.hold_expires_at}`);
    }
    if (reason === 'sweep' && released + SLACK_MS < expires + sweepGraceSeconds * 1000) {
      v.push(`hold ${id}: swept at ${h.released_at}, before expiry + grace (${h.hold_expires_at})`);
    }
  }
  return v;
}

const isOpen = (h: HoldRow) => h.released_at === null && h.used_at === null;

/**
 * Lateness: at every snapshot no hold still held past expiry + sweep interval + grace + slack + the time the system
 * was down meanwhile; once settled, none past expiry + the settled grace. Also counts what is still open.
 */
export function holdLateness(
  s: Snapshot,
  late: LatenessOptions | undefined,
  settled: SettledOptions | undefined,
): { violations: string[]; open: number; overdue: number } {
  const v: string[] = [];
  let open = 0;
  let overdue = 0;
  const lateMs = late ? (late.boundSeconds + late.slackSeconds) * 1000 : 0;
  const graceMs = settled ? settled.graceSeconds * 1000 : 0;
  for (const h of s.holds) {
    if (!isOpen(h)) continue;
    open++;
    const id = Number(h.id);
    const expires = ms(h.hold_expires_at)!;
    if (late && s.nowMs > expires + lateMs) {
      const down = late.downtime?.overlap(expires, s.nowMs) ?? 0;
      if (s.nowMs > expires + lateMs + down) {
        v.push(
          `hold ${id}: unreleased ${Math.round((s.nowMs - expires) / 1000)} s past its expiry (bound ${late.boundSeconds} s + slack ${late.slackSeconds} s + ${Math.round(down / 1000)} s down)`,
        );
      }
    }
    if (expires < s.nowMs - graceMs) {
      overdue++;
      if (settled) v.push(`hold ${id}: still held ${Math.round((s.nowMs - expires) / 1000)} s past its expiry`);
    }
  }
  return { violations: v, open, overdue };
}

export interface HoldSeen {
  productId: number;
  quantity: number;
  expiresAt: number;
  extendedSeconds: number;
  releasedAt: number | null;
  usedAt: number | null;
}

/**
 * Across snapshots: a hold's product and quantity never change, its expiry only moves later by exactly the seconds
 * its extended_seconds grew, a release or an order happens once and is never undone or rewritten (but a late payment
 * honoured), and no hold vanishes.
 */
export function holdHistory(s: Snapshot, seen: Map<number, HoldSeen>): string[] {
  const v: string[] = [];
  for (const h of s.holds) {
    const { id, expires, released, used } = holdTimes(h);
    const before = seen.get(id);
    if (before) {
      const extendedBy = (Number(h.extended_seconds) - before.extendedSeconds) * 1000;
      if (before.productId !== Number(h.product_id) || before.quantity !== Number(h.quantity)) {
        v.push(`hold ${id}: product or quantity rewritten`);
      }
      if (expires !== before.expiresAt + extendedBy || extendedBy < 0) {
        v.push(`hold ${id}: expiry moved from ${new Date(before.expiresAt).toISOString()} to ${h.hold_expires_at}`);
      }
      const order = s.orderByHold.get(id);
      const retaken = released === null && order !== undefined && honouredBy(s, order) !== undefined;
      if (before.releasedAt !== null && before.releasedAt !== released && !retaken) {
        v.push(`hold ${id}: released_at changed from ${new Date(before.releasedAt).toISOString()} to ${h.released_at}`);
      }
      if (before.usedAt !== null && before.usedAt !== used) v.push(`hold ${id}: used_at changed after the order`);
    }
    seen.set(id, {
      productId: Number(h.product_id),
      quantity: Number(h.quantity),
      expiresAt: expires,
      extendedSeconds: Number(h.extended_seconds),
      releasedAt: released,
      usedAt: used,
    });
  }
  for (const [id, before] of seen) {
    if (!s.holdById.has(id) && (!s.scope || s.scope.includes(before.productId))) v.push(`hold ${id}: vanished`);
  }
  return v;
}
