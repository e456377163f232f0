/** The cheap paths of the service and of the plain baseline: cached product reads and sold-out answers. */
import type { Pool } from 'mysql2/promise';
import { cannon, holdRequest, warm } from '../lib/cannon';
import { checkInto } from '../lib/checks';
import * as dbx from '../lib/db';
import { httpClient, type HttpClient } from '../lib/util';

/** A system answering HTTP: the service (its client reads a sample answer) or the plain baseline. */
export interface Answering {
  system: 'service' | 'plain';
  base: string;
  pids: Record<string, number>;
  http?: HttpClient;
}
const NAMES = { service: ['svc', 'Service'], plain: ['plain', 'Plain'] } as const;

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

export async function cachedReads(at: Answering, product: number) {
  const [id, who] = NAMES[at.system];
  const url = `${at.base}/api/products/${product}`;
  await warm(url, 'GET');
  await cannon({
    id: `${id}-reads`,
    title: `${who}: cached product reads`,
    system: at.system,
    url,
    connections: 50,
    okStatus: 200,
    pids: at.pids,
  });
}

export async function soldOutAnswers(db: Pool, at: Answering) {
  const [id, who] = NAMES[at.system];
  const soldOut = await dbx.createProduct(db, `bench: ${at.system} sold out`, 100);
  await drain(at.base, soldOut);
  const so = await cannon({
    id: `${id}-soldout-50`,
    title: `${who}: sold-out answers`,
    system: at.system,
    ...holdRequest(at.base, soldOut),
    connections: 50,
    okStatus: 400,
    pids: at.pids,
  });
  const sample = await at.http?.request('POST', '/api/holds', { product_id: soldOut, quantity: 1 });
  const c = await checkInto(db, so, soldOut);
  if (sample)
    so.extra = { holds_taken: c.holds, sample_answer: { status: sample.status, message: sample.body?.message } };
}
