import type { Downtime, UnansweredHold } from './inputs';
import { ms, type HoldRow, type Snapshot } from './snapshot';

export interface PhantomOptions {
  /** How long after its buyer was told no (or after it was made, if later) a hold nobody was told of may keep stock. */
  boundSeconds: number;
  /** Outage windows stretch the bound: nothing can give stock back while the system is down. */
  downtime?: Downtime;
}

/** A request may have made a hold created this long after it was sent (the clocks of harness and database agree). */
const CLOCK_SLACK_MS = 1_000;

/**
 * No phantom holds: once settled, every hold not given back is one some buyer was answered 201 for (its hold_id in a
 * 201 body, or an order answered 201 for it), and every other hold gave its stock back within `boundSeconds` of the
 * later of its creation and the first "no" (503, timeout, cut connection) told to a request that could have made it:
 * same product and quantity, sent before the hold was created, and the same Idempotency-Key when the key made it.
 * A hold no request could have made is reported too.
 */
export function phantoms(
  s: Snapshot,
  told: { holds: Set<number>; orderedHolds: Set<number> },
  unanswered: readonly UnansweredHold[],
  opts: PhantomOptions,
): string[] {
  const keyOfHold = new Map([...s.holdByKey].map(([key, id]) => [id, key]));
  const byProduct = new Map<number, UnansweredHold[]>();
  for (const r of unanswered) byProduct.set(r.productId, [...(byProduct.get(r.productId) ?? []), r]);
  const v: string[] = [];
  for (const h of s.holds) {
    const id = Number(h.id);
    if (told.holds.has(id) || told.orderedHolds.has(id)) continue;
    const created = ms(h.created_at)!;
    const key = keyOfHold.get(id);
    const asks = (byProduct.get(Number(h.product_id)) ?? []).filter(
      (r) =>
        r.quantity === Number(h.quantity) &&
        r.sentAt <= created + CLOCK_SLACK_MS &&
        (key !== undefined ? r.key === key : r.key === null || !s.holdByKey.has(r.key)),
    );
    const firstNo = asks
      .map((r) => r.answeredAt)
      .filter((t) => t >= created)
      .sort((a, b) => a - b)[0];
    const toldNo = Math.max(created, firstNo ?? created);
    const released = ms(h.released_at);
    const end = released ?? s.nowMs;
    const boundMs = opts.boundSeconds * 1000 + (opts.downtime?.overlap(toldNo, end) ?? 0);
    if (end <= toldNo + boundMs) continue;
    const what = `hold ${id}: phantom: ${h.quantity} × product ${h.product_id} (created ${h.created_at}${key ? `, key ${key}` : ''})`;
    const who = asks.length ? `${describe(asks)} could have made it` : 'no request sent before it could have made it';
    if (released === null) v.push(`${what} ${stillHeld(h)}, no buyer was answered 201 for it; ${who}`);
    else {
      v.push(
        `${what} kept its stock ${Math.round((released - toldNo) / 1000)} s after its buyer was told no (bound ${opts.boundSeconds} s), released for "${h.release_reason}"; ${who}`,
      );
    }
  }
  return v;
}

const stillHeld = (h: HoldRow) => (h.used_at ? 'ordered' : 'still held');

function describe(asks: UnansweredHold[]): string {
  const counts = new Map<string, number>();
  for (const r of asks) counts.set(r.answer, (counts.get(r.answer) ?? 0) + 1);
  return `${asks.length} request(s) answered ${[...counts].map(([a, n]) => `${a}×${n}`).join(' ')}`;
}
