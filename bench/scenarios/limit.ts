/** The physical limit: the raw hot-row reservation transaction, straight against MariaDB, no HTTP. */
import type { Pool } from 'mysql2/promise';
import { check } from '../lib/checks';
import * as dbx from '../lib/db';
import { meter, record } from '../lib/run-state';
import { settings } from '../lib/settings';
import { progress, progressDone, round, say } from '../lib/util';

type Variant = 'classic' | 'one-trip' | 'sharded';

async function measure(productId: number, variant: Variant, title: string, id: string) {
  const seconds = Math.max(2, Math.round(settings.duration / 2));
  say(`${title}, 16 connections, ${seconds} s`);
  const cpu = meter();
  const started = Date.now();
  const r = await dbx.hotRow(settings.databaseUrl, productId, variant, 16, seconds, (done) =>
    progress(`  ${done} transactions, ${Math.round(done / ((Date.now() - started) / 1000))}/s`),
  );
  progressDone();
  say(`  ${r.per_second} transactions/s`);
  record({
    id,
    title,
    system: 'mariadb',
    connections: r.connections,
    seconds: r.seconds,
    requests: r.transactions + r.errors,
    ok: r.transactions,
    ok_per_second: r.per_second,
    p50_ms: null,
    p99_ms: null,
    errors: r.errors,
    unexpected_status: {},
    cpu_seconds: cpu.read(),
  });
  return r.per_second;
}

/** Returns the best raw rate on one row (the figure every hold rate is compared with). */
export async function hotRowLimit(db: Pool): Promise<number> {
  const productId = await dbx.createProduct(db, 'bench: hot row', 2_000_000_000);
  let limit = 0;
  for (const variant of ['classic', 'one-trip'] as const) {
    const title = `Raw hot-row reservation tx (${variant === 'classic' ? '5 round trips' : '1 round trip'})`;
    limit = Math.max(limit, await measure(productId, variant, title, `hot-row-${variant}`));
  }
  await check(db, 'hot-row', productId);
  if (settings.shards > 1) {
    // Hot-product stock shards: the same one-round-trip reservation spread over several rows of one product.
    const sharded = await dbx.createProduct(db, `bench: ${settings.shards} stock shards`, 2_000_000_000);
    await dbx.shardProduct(db, sharded, settings.shards);
    const title = `Raw reservation tx on ${settings.shards} stock shards (1 round trip)`;
    const rate = await measure(sharded, 'sharded', title, 'hot-row-sharded');
    say(`  ${round(rate / limit, 2)} × one row`);
    await check(db, 'hot-row-sharded', sharded);
  }
  return limit;
}
