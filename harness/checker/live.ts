import { availableStockSql } from '../../src/db/models';
import { holdWorkflowId } from '../../src/shared/workflow-ids';
import type { Client } from '@temporalio/client';
import type { Downtime } from './inputs';
import { WorkflowNotFoundError } from '@temporalio/client';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import { sleep } from '../wait';

/**
 * The checks that need more than one store, sampled during load (not only at quiescence):
 * - workflow/database agreement: every hold that is neither released nor used has a running hold workflow
 *   (equivalently: every closed hold workflow's hold is settled); a hold that settles while we look is re-read;
 * - cache freshness: a product read through the API (Redis) never shows more stock than the database for longer
 *   than `staleBoundMs` (each read is taken between two database reads; stale only when above both, and only when it
 *   stays so across samples for longer than the bound).
 */
export interface LiveOptions {
  dbUrl: string;
  temporal: () => Promise<Client>;
  /** GET /api/products/:id → available_stock (null when no 200). */
  readProduct: (id: number) => Promise<number | null>;
  /** Products to look at. */
  products: () => number[];
  /** Holds whose workflow was ended on purpose (not a violation). */
  exempt?: Set<number>;
  staleBoundMs: number;
  /**
   * Outage windows stretch the bound: a writer that crashed between its commit and its invalidation re-sends it when
   * its retry runs, once a worker is back.
   */
  downtime?: Downtime;
  /** Holds sampled per round (the oldest open ones first: most likely to be wrong). */
  holdsPerSample?: number;
}

/** How long after one of the harness's own outages a store may still refuse connections while it restarts. */
const RECOVERY_MS = 15_000;

export class LiveChecks {
  private conn: Connection | null = null;
  private staleSince = new Map<number, { since: number; read: number; db: number }>();
  checks = 0;
  /** Rounds that could not run while the harness had a store down on purpose (reported in the scenario's notes). */
  skipped = 0;

  constructor(private readonly opts: LiveOptions) {}

  exempt(holdId: number): void {
    (this.opts.exempt ??= new Set()).add(holdId);
  }

  private async db(): Promise<Connection> {
    if (!this.conn) {
      this.conn = await createConnection({ uri: this.opts.dbUrl, dateStrings: true });
      this.conn.on('error', () => undefined);
    }
    return this.conn;
  }

  async close(): Promise<void> {
    await this.conn?.end().catch(() => undefined);
    this.conn = null;
  }

  private async available(ids: number[]): Promise<Map<number, number>> {
    const [rows] = await (
      await this.db()
    ).query<RowDataPacket[]>(
      `SELECT id, ${availableStockSql('products')} AS a FROM products WHERE id IN (${ids.map(Number).join(',')})`,
    );
    return new Map(rows.map((r) => [Number(r.id), Number(r.a)]));
  }

  /**
   * One round of both checks; returns the violations found. A round that cannot run while a store the harness reads
   * is down on purpose (an outage window overlaps it) is skipped and counted; one that cannot run otherwise is a
   * finding: the check is blind, and says so.
   */
  async sample(): Promise<string[]> {
    const started = Date.now();
    // Twice at most: a connection the harness's own outage left dead fails once, and a fresh one is tried.
    for (let attempt = 1; ; attempt++) {
      try {
        const v = [...(await this.agreement()), ...(await this.freshness())];
        this.checks++;
        return v;
      } catch (err) {
        await this.close();
        // A store the harness just killed refuses before its window opens (windows are sampled every 100 ms).
        await sleep(300);
        // Within a few seconds of the harness's own outage the store may still be coming back: not blind.
        if ((this.opts.downtime?.overlap(started - RECOVERY_MS, Date.now()) ?? 0) > 0) {
          this.skipped++;
          return [];
        }
        if (attempt === 2) return [`live check could not run with nothing down: ${(err as Error).message}`];
      }
    }
  }

  async agreement(): Promise<string[]> {
    const ids = this.opts.products();
    if (!ids.length) return [];
    const conn = await this.db();
    const [holds] = await conn.query<RowDataPacket[]>(
      `SELECT id FROM holds WHERE product_id IN (${ids.map(Number).join(',')})
       AND released_at IS NULL AND used_at IS NULL AND created_at < NOW(3) - INTERVAL 1 SECOND
       ORDER BY hold_expires_at LIMIT ${this.opts.holdsPerSample ?? 20}`,
    );
    const client = await this.opts.temporal();
    const v: string[] = [];
    for (const h of holds) {
      const id = Number(h.id);
      if (this.opts.exempt?.has(id)) continue;
      let status: string;
      try {
        status = (await client.workflow.getHandle(holdWorkflowId(id)).describe()).status.name;
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        status = 'missing';
      }
      if (status === 'RUNNING') continue;
      // It may have settled the hold and closed since the read: only an open hold with a closed workflow is wrong.
      const [[row]] = await conn.query<RowDataPacket[]>('SELECT released_at, used_at FROM holds WHERE id = ?', [id]);
      if (row && row.released_at === null && row.used_at === null) {
        v.push(`hold ${id}: open in the database, its workflow is ${status}`);
      }
    }
    return v;
  }

  async freshness(): Promise<string[]> {
    const ids = this.opts.products();
    if (!ids.length) return [];
    const before = await this.available(ids);
    const reads = new Map<number, number | null>();
    await Promise.all(ids.map(async (id) => reads.set(id, await this.opts.readProduct(id))));
    const after = await this.available(ids);
    const now = Date.now();
    const v: string[] = [];
    for (const id of ids) {
      const read = reads.get(id);
      const db = Math.max(before.get(id) ?? Infinity, after.get(id) ?? Infinity);
      if (read === null || read === undefined || read <= db) {
        this.staleSince.delete(id);
        continue;
      }
      const s = this.staleSince.get(id) ?? { since: now, read, db };
      this.staleSince.set(id, s);
      if (now - s.since > this.opts.staleBoundMs + (this.opts.downtime?.overlap(s.since, now) ?? 0)) {
        v.push(
          `product ${id}: reads showed more stock than the database for over ${this.opts.staleBoundMs / 1000} s (read ${s.read}, database ${s.db} when first seen)`,
        );
      }
    }
    return v;
  }
}
