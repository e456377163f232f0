import type { Acks } from './inputs';
import type { Snapshot } from './snapshot';

/**
 * Conservation per product: available_stock + quantities of unreleased holds = stock put in, from the harness's own
 * ledger (never read from the database under test); no negative counters; total_stock never falls; no product
 * vanishes. `putInBefore` is the ledger as it stood before the snapshot started (stock certainly in it).
 */
export function conservation(
  s: Snapshot,
  ledger: Map<number, number>,
  putInBefore: Map<number, number>,
  acks: Acks | undefined,
  totalSeen: Map<number, number>,
): string[] {
  const v: string[] = [];
  const held = new Map<number, number>();
  for (const h of s.holds) {
    if (h.released_at === null)
      held.set(Number(h.product_id), (held.get(Number(h.product_id)) ?? 0) + Number(h.quantity));
  }
  for (const p of s.products) {
    const id = Number(p.id);
    const total = Number(p.total_stock);
    const available = Number(p.available_stock);
    // Stock possibly in the snapshot: also what was answered since, and restocks still unanswered.
    const putIn = ledger.get(id) ?? total;
    const atLeast = putInBefore.get(id) ?? putIn;
    const atMost = putIn + (acks?.restocking.get(id) ?? 0);
    const unreleased = held.get(id) ?? 0;
    if (available < 0) v.push(`product ${id}: available_stock ${available} is negative`);
    if (total < 0) v.push(`product ${id}: total_stock ${total} is negative`);
    if (available + unreleased < atLeast || available + unreleased > atMost) {
      const putInText = atLeast === atMost ? `${atMost}` : `${atLeast} to ${atMost} (restocks in flight)`;
      v.push(`product ${id}: conservation broken: available ${available} + held ${unreleased} != put in ${putInText}`);
    }
    const before = totalSeen.get(id);
    if (before !== undefined && total < before) v.push(`product ${id}: total_stock fell from ${before} to ${total}`);
    totalSeen.set(id, total);
  }
  for (const id of totalSeen.keys()) {
    if (!s.productIds.has(id) && (!s.scope || s.scope.includes(id))) v.push(`product ${id}: vanished`);
  }
  return v;
}
