/** The service's cheap paths: cached product reads and sold-out answers. */
import type { Pool } from 'mysql2/promise';
import { cannon, holdRequest, warm } from '../lib/cannon';
import { check } from '../lib/checks';
import * as dbx from '../lib/db';
import { httpClient } from '../lib/util';
import type { Running } from './processes';

/** Takes a product's last units so the measured run starts sold out ("hold requests after stock is 0"). */
export async function drain(base: string, product: number): Promise<number> {
  const http = httpClient(base, 20);
  let taken = 0;
  let soldOut = false;
  const deadline = Date.now() + 120_000;
  while (!soldOut && Date.now() < deadline) {
    const replies = await Promise.all(
      Array.from({ length: 20 }, () => http.request('POST', '/api/holds', { product_id: product, quantity: 1 })),
    );
    taken += replies.filter((r) => r.status === 201).length;
    soldOut = replies.some((r) => r.status === 400);
  }
  http.close();
  if (!soldOut) throw new Error(`product ${product} did not sell out`);
  return taken;
}

export async function cachedReads(service: Running, product: number) {
  const url = `${service.base}/api/products/${product}`;
  await warm(url, 'GET');
  await cannon({
    id: 'svc-reads',
    title: 'Service: cached product reads',
    system: 'service',
    url,
    connections: 50,
    okStatus: 200,
    pids: service.pids,
  });
}

export async function soldOutAnswers(db: Pool, service: Running) {
  const soldOut = await dbx.createProduct(db, 'bench: service sold out', 100);
  await drain(service.base, soldOut);
  const so = await cannon({
    id: 'svc-soldout-50',
    title: 'Service: sold-out answers',
    system: 'service',
    ...holdRequest(service.base, soldOut),
    connections: 50,
    okStatus: 400,
    pids: service.pids,
  });
  const sample = await service.http.request('POST', '/api/holds', { product_id: soldOut, quantity: 1 });
  const { c } = await check(db, 'svc-soldout-50', soldOut);
  Object.assign(so, {
    oversold: c.oversold,
    conservation_ok: c.ok,
    extra: { holds_taken: c.holds, sample_answer: { status: sample.status, message: sample.body?.message } },
  });
}
