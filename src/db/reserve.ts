import type { Sequelize } from 'sequelize';
import { runReservation, runShardReservation } from './reserve-batch';
import { runFullReservation } from './reserve-full';
import type { BeforeStockWrite, ReserveOutcome, ReserveRequest } from './reserve-request';

export type { BeforeStockWrite, ReserveOutcome, ReserveRequest } from './reserve-request';

/**
 * The reservation as the worker makes it, on Sequelize's own pool: a hold takes from shard 1 + (id mod N) of a sharded
 * product, from the product row otherwise, and across every shard when that one is short. Shard counts are remembered
 * as the database last reported them; a stale count only costs one slow-path reservation, which reads the current one.
 */
export function createReserver(db: Sequelize, beforeSend?: BeforeStockWrite) {
  const on = { db, beforeSend };
  const shardCounts = new Map<number, number>();
  const noteShards = (productId: number, shards: number | null) => {
    if (shards === null) return;
    if (shards > 1) shardCounts.set(productId, shards);
    else shardCounts.delete(productId);
  };
  return async function reserve(r: ReserveRequest): Promise<ReserveOutcome> {
    const shards = shardCounts.get(r.productId) ?? 1;
    const shard = shards > 1 ? 1 + (r.holdId % shards) : 0;
    const first = shard === 0 ? await runReservation(on, r) : await runShardReservation(on, r, shard);
    noteShards(r.productId, first.shards);
    if (!first.partial) return first;
    const full = await runFullReservation(on, r, shard);
    noteShards(r.productId, full.shards);
    return full;
  };
}
