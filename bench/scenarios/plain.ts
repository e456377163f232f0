/** The plain baseline: Koa + Sequelize, the same locked reservation, no Temporal (bench/plain/server.ts). */
import path from 'node:path';
import type { Pool } from 'mysql2/promise';
import { cannon, holdRequest, warm } from '../lib/cannon';
import { checkInto } from '../lib/checks';
import * as dbx from '../lib/db';
import { startNode } from '../../harness/service';
import { waitForHttp } from '../lib/procs';
import { freePort } from '../../harness/wait';
import { run } from '../lib/run-state';
import { ROOT, settings } from '../lib/settings';
import { cachedReads, soldOutAnswers, type Answering } from './service-basics';

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
  const at: Answering = { system: 'plain', base: `http://127.0.0.1:${port}`, pids: { plain: plain.pid } };
  await waitForHttp(`${at.base}/api/products/${product}`, plain, 30);
  await cachedReads(at, product);
  await warm(`${at.base}/api/holds`, 'POST', { product_id: product, quantity: 1 });
  for (const connections of [50, 200]) {
    const ids: number[] = [];
    const holds = await cannon({
      id: `plain-holds-${connections}`,
      title: 'Plain: holds while stock lasts',
      system: 'plain',
      ...holdRequest(at.base, product),
      connections,
      okStatus: 201,
      pids: at.pids,
      onHold: (id) => ids.push(id),
    });
    await checkInto(db, holds, product, ids);
  }
  await soldOutAnswers(db, at);
  await plain.stop();
}
