/**
 * The plain baseline: a minimal Koa + Sequelize service doing the same locked reservation as the real one, without
 * Temporal (no workflow, no timer, nothing gives the stock back). It is what the "plain endpoint" figures
 * describe, run on the same machine in the same bench run. Not part of the service.
 */
import Router from '@koa/router';
import Redis from 'ioredis';
import Koa from 'koa';
import getRawBody from 'raw-body';
import { QueryTypes, Sequelize } from 'sequelize';
import { sqlTime } from '../../src/db/time';

const port = Number(process.env.PORT ?? 8200);
const db = new Sequelize(process.env.DATABASE_URL!.replace(/^mariadb:/, 'mysql:'), {
  dialect: 'mysql',
  timezone: '+00:00',
  logging: false,
  pool: { max: Number(process.env.DATABASE_POOL_MAX ?? 20), min: 0, idle: 10_000, acquire: 10_000 },
});
const redis = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: 1 });
const ttlSeconds = 3600;
const cacheKey = (id: number) => `plain:product:${id}`;
const int = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 2 ** 31 - 1 ? v : null);
const now = () => new Date().toISOString();

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super('refused');
  }
}

const router = new Router();

router.post('/api/holds', async (ctx) => {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(await getRawBody(ctx.req, { limit: 16 * 1024, encoding: 'utf8' }));
  } catch {
    ctx.status = 400;
    ctx.body = { status: 'error', message: 'Malformed JSON body', timestamp: now() };
    return;
  }
  const productId = int(body.product_id);
  const quantity = int(body.quantity);
  if (productId === null || quantity === null) {
    ctx.status = 422;
    ctx.body = { message: 'The given data was invalid.', errors: {} };
    return;
  }
  const [{ id }] = await db.query<{ id: number }>('SELECT NEXTVAL(hold_ids) AS id', { type: QueryTypes.SELECT });
  const holdId = Number(id);
  try {
    const expiresAt = await db.transaction(async (t) => {
      const [locked] = await db.query<{ available_stock: number }>(
        'SELECT available_stock FROM products WHERE id = :productId FOR UPDATE',
        { replacements: { productId }, type: QueryTypes.SELECT, transaction: t },
      );
      if (!locked) throw new Refusal(422, { message: 'The selected product id is invalid.', errors: {} });
      const available = Number(locked.available_stock);
      if (available < quantity) {
        throw new Refusal(400, {
          status: 'error',
          message: `Insufficient stock available. Only ${available} units remaining.`,
          timestamp: now(),
        });
      }
      const at = new Date();
      const expires = new Date(at.getTime() + ttlSeconds * 1000);
      await db.query(
        'UPDATE products SET available_stock = available_stock - :quantity, updated_at = :at WHERE id = :productId',
        { replacements: { quantity, at: sqlTime(at), productId }, transaction: t, type: QueryTypes.UPDATE },
      );
      await db.query(
        `INSERT INTO holds (id, product_id, quantity, hold_expires_at, created_at, updated_at)
         VALUES (:holdId, :productId, :quantity, :expires, :at, :at)`,
        {
          replacements: { holdId, productId, quantity, expires: sqlTime(expires), at: sqlTime(at) },
          transaction: t,
          type: QueryTypes.INSERT,
        },
      );
      return expires;
    });
    await redis.del(cacheKey(productId)).catch(() => undefined);
    ctx.status = 201;
    ctx.body = {
      status: 'success',
      timestamp: now(),
      data: { hold_id: holdId, hold_expires_at: expiresAt.toISOString() },
    };
  } catch (err) {
    if (!(err instanceof Refusal)) throw err;
    ctx.status = err.status;
    ctx.body = err.body;
  }
});

router.get('/api/products/:id', async (ctx) => {
  const id = Number(ctx.params.id);
  const cached = await redis.get(cacheKey(id)).catch(() => null);
  if (cached) {
    ctx.body = JSON.parse(cached);
    return;
  }
  const [row] = await db.query<Record<string, unknown>>('SELECT * FROM products WHERE id = :id', {
    replacements: { id },
    type: QueryTypes.SELECT,
  });
  if (!row) {
    ctx.status = 404;
    ctx.body = { status: 'error', message: 'Product not found', timestamp: now() };
    return;
  }
  await redis.set(cacheKey(id), JSON.stringify(row), 'EX', 60).catch(() => undefined);
  ctx.body = row;
});

const app = new Koa();
app.use(router.routes());
const server = app.listen(port, '127.0.0.1');
server.keepAliveTimeout = 65_000;
const stop = () => {
  server.close();
  server.closeAllConnections();
  redis.disconnect();
  void db.close().then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
