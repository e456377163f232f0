import Router from '@koa/router';
import { createHoldIdAllocator } from '../../db/ids';
import { holdView } from '../../db/views';
import { readProduct } from './products';
import { insufficientStockMessage, releaseRefusal, releaseRefusalMessage } from '../../shared/refusals';
import { FailureType } from '../../shared/types';
import { WorkflowClosed, WorkflowRefusal } from '../../temporal/holds';
import type { StockGate } from '../../cache/product-cache';
import type { ApiDeps, ApiState } from '../context';
import { HttpError, ValidationError, notFound, unavailable } from '../errors';
import { createIdempotency, type StoredAnswer } from '../idempotency';
import { jsonBody } from '../middleware';
import { listPage } from '../pagination';
import { now } from '../respond';
import { check, ensureValid, exists, parsePathId, rules, selectedInvalid, toInteger } from '../validation';

export function holdRoutes(deps: ApiDeps) {
  const { db, models, cache, holds } = deps;
  const router = new Router<ApiState>();
  const idempotent = createIdempotency(db);
  const nextHoldId = createHoldIdAllocator(db, holds.settings?.holdIdBlockSize ?? 100);

  // Products are never deleted (holds reference them), so once seen, an id is known to exist: the hot path skips
  // the lookup. A stale entry could only send a request on to the reservation, which answers 422 itself.
  const knownProducts = new Set<number>();
  const productExists = async (id: number) => {
    if (knownProducts.has(id)) return true;
    const found = (await readProduct(deps, id)) !== null;
    if (found && knownProducts.size < 100_000) knownProducts.add(id);
    return found;
  };

  // The committed stock behind a gate figure, read at most once a second per product (and again whenever the gate's
  // epoch moves, i.e. stock came back): a stampede of sold-out requests costs MariaDB one primary-key read a second,
  // not one per request. Concurrent requests share the read in flight.
  const CONFIRM_MS = 1_000;
  const confirmed = new Map<number, { epoch: string; at: number; available: Promise<number> }>();
  const committedStock = (productId: number, epoch: string): Promise<number> => {
    const known = confirmed.get(productId);
    if (known && known.epoch === epoch && Date.now() - known.at < CONFIRM_MS) return known.available;
    if (confirmed.size >= 10_000) confirmed.clear();
    // The whole product's stock (its row plus any shards: the model's default scope sums them).
    const available = models.Product.findByPk(productId, { raw: true }).then((row) =>
      Number(row?.available_stock ?? 0),
    );
    confirmed.set(productId, { epoch, at: Date.now(), available });
    available.catch(() => confirmed.delete(productId));
    return available;
  };

  /**
   * The sold-out gate's answer: a refusal when the committed stock is below the quantity asked for. The gate (Redis)
   * only says when to look; MariaDB says what to answer, with a primary-key read of the committed stock (no lock, no
   * Temporal; shared for a second, see committedStock), so a wrong or poisoned gate entry can never refuse stock that
   * exists. A gate found wrong is dropped.
   */
  const gateRefusal = async (gate: StockGate | null, productId: number, quantity: number) => {
    if (gate?.available == null || quantity <= gate.available) return null;
    const available = await committedStock(productId, gate.epoch);
    if (quantity <= available) {
      confirmed.delete(productId);
      await cache.invalidate([productId]);
      return null;
    }
    const refusal: StoredAnswer = {
      status: 400,
      body: { status: 'error', message: insufficientStockMessage(available), timestamp: now() },
    };
    return refusal;
  };

  router.post('/api/holds', jsonBody(), async (ctx) => {
    const checked = check(ctx.state.body, {
      product_id: { required: true, checks: [rules.integer(), rules.min(1)] },
      quantity: { required: true, checks: [rules.integer(), rules.min(1)] },
    });
    await exists(checked, 'product_id', productExists);
    ensureValid(checked);
    const productId = toInteger(checked.input.product_id)!;
    const quantity = toInteger(checked.input.quantity)!;
    const key = ctx.get('Idempotency-Key') || undefined;

    // Sold out: answered without Temporal or a locked transaction (see gateRefusal). A keyed request takes the refusal
    // through the idempotency record below, so its retries get the same answer.
    const gate = await cache.readGate(productId);
    const early = key === undefined ? await gateRefusal(gate, productId, quantity) : null;
    if (early) {
      ctx.status = early.status;
      ctx.body = early.body;
      return;
    }

    const answer = await idempotent({
      scope: 'holds',
      key,
      params: { product_id: productId, quantity },
      resourceId: () => nextHoldId(),
      run: async (holdId): Promise<StoredAnswer> => {
        const refused = await gateRefusal(gate, productId, quantity);
        if (refused) return refused;
        try {
          const hold = await holds.reserve(holdId, productId, quantity, gate?.epoch);
          ctx.state.log.info({ hold_id: hold.id, product_id: productId, quantity }, 'hold created');
          return {
            status: 201,
            body: {
              status: 'success',
              timestamp: now(),
              data: { hold_id: hold.id, hold_expires_at: hold.hold_expires_at },
            },
          };
        } catch (err) {
          if (!(err instanceof WorkflowRefusal)) throw err;
          if (err.type === FailureType.InsufficientStock) {
            const available = Number((err.details[0] as { available?: number })?.available ?? 0);
            return {
              status: 400,
              body: { status: 'error', message: insufficientStockMessage(available), timestamp: now() },
            };
          }
          // The reservation could not reach the database within its retry budget.
          if (err.type === FailureType.ReservationFailed) throw unavailable();
          if (err.type === FailureType.UnknownProduct) {
            throw new ValidationError({ product_id: [selectedInvalid('product_id')] });
          }
          throw err;
        }
      },
    });
    if (answer.replayed) ctx.set('Idempotent-Replayed', 'true');
    ctx.status = answer.status;
    ctx.body = answer.body;
  });

  router.get('/api/holds', (ctx) => listPage(ctx, models.Hold, holdView));

  const loadHold = async (raw: string | undefined) => {
    const id = parsePathId(raw);
    const row = id === null ? null : await models.Hold.findByPk(id, { raw: true });
    if (!row) throw notFound('Hold');
    return holdView(row as unknown as Record<string, unknown>);
  };

  router.get('/api/holds/:id', async (ctx) => {
    ctx.body = await loadHold(ctx.params.id);
  });

  router.post('/api/holds/:id/release', jsonBody(), async (ctx) => {
    const hold = await loadHold(ctx.params.id);
    const refusal = (h: typeof hold) =>
      releaseRefusal(
        { expiresAtMs: Date.parse(h.hold_expires_at), released: h.released_at !== null, used: h.used_at !== null },
        Date.now(),
      );
    const early = refusal(hold);
    if (early) throw new HttpError(400, releaseRefusalMessage[early]);
    let released;
    try {
      released = await holds.release(hold.id);
    } catch (err) {
      if (err instanceof WorkflowRefusal && releaseRefusalMessage[err.type]) {
        throw new HttpError(400, releaseRefusalMessage[err.type]);
      }
      if (!(err instanceof WorkflowClosed)) throw err;
      // The workflow ended meanwhile (ordered or expired): the database says which.
      const latest = await loadHold(ctx.params.id);
      throw new HttpError(400, releaseRefusalMessage[refusal(latest) ?? FailureType.HoldReleased]);
    }
    ctx.state.log.info({ hold_id: hold.id }, 'hold released early');
    ctx.body = { status: 'success', timestamp: now(), data: released };
  });

  return router;
}
