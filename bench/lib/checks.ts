/** Zero oversell and zero lost holds, checked after every scenario against the database. */
import type { Pool } from 'mysql2/promise';
import { conservation, count } from './db';
import { run, type ScenarioResult } from './run-state';
import { say } from './util';

/** Which of these hold ids are not in the database (answered 201, yet lost). */
export async function missingHolds(db: Pool, ids: number[]): Promise<number[]> {
  const missing: number[] = [];
  for (let i = 0; i < ids.length; i += 5_000) {
    const chunk = ids.slice(i, i + 5_000);
    const [rows] = await db.query('SELECT id FROM holds WHERE id IN (?)', [chunk]);
    const found = new Set((rows as { id: number | string }[]).map((r) => Number(r.id)));
    for (const id of chunk) if (!found.has(id)) missing.push(id);
  }
  return missing;
}

/**
 * Conservation of the product's stock, and, given the ids of the holds answered 201, that each one is in the
 * database (by id: a count could hide a lost hold behind one created by a request that timed out).
 */
export async function check(db: Pool, scenario: string, productId: number, acknowledgedIds?: number[]) {
  const c = await conservation(db, productId);
  const lost = acknowledgedIds === undefined ? undefined : (await missingHolds(db, acknowledgedIds)).length;
  run.checks.push({ scenario, conservation: c, lost_holds: lost });
  if (!c.ok || c.oversold > 0 || (lost ?? 0) > 0) {
    say(`  CHECK FAILED for ${scenario}: ${JSON.stringify({ ...c, lost_holds: lost })}`);
  }
  return { c, lost };
}

/** `check`, its outcome written onto the scenario's result (`scenario`: the check's name, unless the result's id). */
export async function checkInto(db: Pool, r: ScenarioResult, productId: number, ids?: number[], scenario = r.id) {
  const { c, lost } = await check(db, scenario, productId, ids);
  Object.assign(r, { oversold: c.oversold, lost_holds: lost, conservation_ok: c.ok });
  return c;
}

export const holdCount = (db: Pool, productId: number) =>
  count(db, 'SELECT COUNT(*) AS n FROM holds WHERE product_id = ?', [productId]);

export const failedChecks = () =>
  run.checks.filter((c) => !c.conservation.ok || c.conservation.oversold > 0 || (c.lost_holds ?? 0) > 0);
