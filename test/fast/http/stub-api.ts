import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Op } from 'sequelize';
import type { Sequelize } from 'sequelize';
import type { ProductCache, Reserving, UnitsCheck } from '../../../src/cache/product-cache';
import type { Models } from '../../../src/db/models';
import { createApp } from '../../../src/api/app';
import type { ApiDeps } from '../../../src/api/context';
import { createLogger } from '../../../src/logger';
import type { HoldGateway } from '../../../src/temporal/holds';

type Row = { id: number } & Record<string, unknown>;

/**
 * A table in memory with the few Sequelize calls the routes make: findByPk, a page by id (findAll), count, create.
 * Rows are stored as the database answers them (Dates for times, numbers as numbers).
 */
export function stubTable(rows: Row[] = []) {
  const table = new Map(rows.map((r) => [r.id, r]));
  return {
    rows: table,
    findByPk: jest.fn(async (id: number) => table.get(Number(id)) ?? null),
    findAll: jest.fn(async ({ where, limit }: { where: { id: Record<symbol, number> }; limit: number }) =>
      [...table.values()]
        .filter((r) => r.id > where.id[Op.gt])
        .sort((a, b) => a.id - b.id)
        .slice(0, limit),
    ),
    count: jest.fn(async ({ where }: { where: { id: number } }) => (table.has(where.id) ? 1 : 0)),
  };
}

export const at = (iso: string) => new Date(iso);

export const productRow = (id: number, available = 10): Row => ({
  id,
  name: `Product ${id}`,
  total_stock: 10,
  available_stock: available,
  price: '9.99',
  created_at: at('2026-11-24T10:00:00.000Z'),
  updated_at: at('2026-11-24T10:00:00.000Z'),
});

export const holdRow = (id: number, facts: { expiresAt: Date; released?: boolean; used?: boolean }): Row => ({
  id,
  product_id: 1,
  quantity: 1,
  hold_expires_at: facts.expiresAt,
  released_at: facts.released ? at('2026-11-24T10:01:00.000Z') : null,
  used_at: facts.used ? at('2026-11-24T10:01:00.000Z') : null,
  created_at: at('2026-11-24T10:00:00.000Z'),
  updated_at: at('2026-11-24T10:00:00.000Z'),
});

/** The gateways stubbed: Temporal calls are jest mocks, Redis a pass-through cache, MariaDB tables in memory. */
export function stubDeps(overrides: Partial<ApiDeps> = {}) {
  const models = { Product: stubTable([productRow(1), productRow(2)]), Hold: stubTable(), Order: stubTable() };
  let nextId = 1000;
  const db = {
    // Only the hold id sequence and the gate's exact read (no hold of the stubbed reservations committed) are read
    // through raw SQL on the paths these tests take.
    query: jest.fn(async (sql: string, options?: { replacements?: { productId?: number } }) => {
      if (/NEXTVAL\(hold_ids\)/.test(sql)) return [{ id: nextId++ }];
      if (/AS taken/.test(sql)) {
        const row = models.Product.rows.get(options?.replacements?.productId ?? 0);
        return [{ available: row?.available_stock ?? 0, taken: 0 }];
      }
      throw new Error(`the fast tier has no database: ${sql.slice(0, 40)}`);
    }),
  };
  const cache = {
    read: jest.fn((_id: number, load: () => Promise<unknown>) => load()),
    invalidate: jest.fn(async () => undefined),
    readGate: jest.fn(async () => null),
    noteStock: jest.fn(async () => undefined),
    checkUnits: jest.fn(async (): Promise<UnitsCheck | null> => null),
    releaseUnits: jest.fn(async () => undefined),
    reservingMembers: jest.fn(async (): Promise<Reserving[] | null> => []),
  };
  const holds = {
    settings: { holdIdBlockSize: 1 },
    reserve: jest.fn(),
    release: jest.fn(),
    placeOrder: jest.fn(),
    orderPlacedBy: jest.fn(async () => null),
    extend: jest.fn(),
    notifyPayment: jest.fn(async () => undefined),
  };
  const deps: ApiDeps = {
    db: db as unknown as Sequelize,
    models: models as unknown as Models,
    cache: cache as unknown as ProductCache,
    holds: holds as unknown as HoldGateway,
    log: createLogger('silent', 'fast-test'),
    ...overrides,
  };
  return { deps, models, db, cache, holds };
}

/** The real Koa app on an ephemeral port of this process. */
export async function serve(deps: ApiDeps) {
  const server: Server = createApp(deps).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  async function request(
    method: string,
    path: string,
    opts: { body?: unknown; raw?: string; headers?: Record<string, string> } = {},
  ) {
    const res = await fetch(base + path, {
      method,
      headers: { 'Content-Type': 'application/json', ...opts.headers },
      body: opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)),
    });
    const text = await res.text();
    let body: any = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON (HTML, metrics)
    }
    return { status: res.status, headers: res.headers, body };
  }
  return { request, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

export type Api = Awaited<ReturnType<typeof serve>>;

/** Runs `use` against the app serving `deps`, and closes it after. */
export async function withApi(deps: ApiDeps, use: (api: Api) => Promise<void>) {
  const api = await serve(deps);
  try {
    await use(api);
  } finally {
    await api.close();
  }
}

/** Stubbed gateways (`stubDeps(overrides)`) and the app serving them. */
export async function stubApi(overrides: Partial<ApiDeps> = {}) {
  const stub = stubDeps(overrides);
  return { stub, api: await serve(stub.deps) };
}
export type Stub = ReturnType<typeof stubDeps>;
