/** The plain baseline: Koa + Sequelize, the same locked reservation, no Temporal (bench/plain/server.ts). */
import path from 'node:path';
import type { Pool } from 'mysql2/promise';
import { cannon, holdRequest, warm } from '../lib/cannon';
import { check } from '../lib/checks';
import * as dbx from '../lib/db';
import { startNode } from '../../harness/service';
import { waitForHttp } from '../lib/procs';
import { freePort } from '../../harness/wait';
import { run } from '../lib/run-state';
import { ROOT, settings } from '../lib/settings';
import { drain } from './service-basics';

export async function plainBaseline(db: Pool) {
  const product = await dbx.createProduct(db, 'bench: plain', 1_000_000_000);
  const port = await freePort();
  const plain = startNode(
    'plain baseline',
    ['--import', 'tsx', path.join(ROOT, 'bench/plain/server.ts')],
    { ...process.env, PORT: String(port), DATABASE_URL: settings.databaseUrl, REDIS_URL: settings.redisUrl },
    path.join(settings.logDir, 'plain.log'),
  );
  run.procs.push(plain);
  const base = `http://127.0.0.1:${port}`;
  await waitForHttp(`${base}/api/products/${product}`, plain, 30);
  const pids = { plain: plain.pid };
  await warm(`${base}/api/products/${product}`, 'GET');
  await cannon({
    id: 'plain-reads',
    title: 'Plain: cached product reads',
    system: 'plain',
    url: `${base}/api/products/${product}`,
    connections: 50,
    okStatus: 200,
    pids,
  });
  await warm(`${base}/api/holds`, 'POST', { product_id: product, quantity: 1 });
  for (const connections of [50, 200]) {
    const ids: number[] = [];
    const holds = await cannon({
      id: `plain-holds-${connections}`,
      title: 'Plain: holds while stock lasts',
      system: 'plain',
      ...holdRequest(base, product),
      connections,
      okStatus: 201,
      pids,
      onHold: (id) => ids.push(id),
    });
    const { c, lost } = await check(db, holds.id, product, ids);
    Object.assign(holds, { oversold: c.oversold, lost_holds: lost, conservation_ok: c.ok });
  }
  const soldOut = await dbx.createProduct(db, 'bench: plain sold out', 100);
  await drain(base, soldOut);
  const so = await cannon({
    id: 'plain-soldout-50',
    title: 'Plain: sold-out answers',
    system: 'plain',
    ...holdRequest(base, soldOut),
    connections: 50,
    okStatus: 400,
    pids,
  });
  const soc = await check(db, 'plain-soldout-50', soldOut);
  Object.assign(so, { oversold: soc.c.oversold, conservation_ok: soc.c.ok });
  await plain.stop();
}
