import Router from '@koa/router';
import { Op } from 'sequelize';
import { nextHoldId } from '../../db/ids';
import { holdView, productView } from '../../db/views';
import { insufficientStockMessage, releaseRefusal, releaseRefusalMessage } from '../../shared/refusals';
import { FailureType } from '../../shared/types';
import { WorkflowClosed, WorkflowRefusal } from '../../temporal/holds';
import type { ApiDeps, ApiState } from '../context';
import { HttpError, ValidationError, notFound, unavailable } from '../errors';
import { createIdempotency, type StoredAnswer } from '../idempotency';
import { jsonBody } from '../middleware';
import { readPage, sendPage } from '../pagination';
import { now } from '../respond';
import { check, ensureValid, exists, parsePathId, rules, toInteger } from '../validation';

export function holdRoutes(deps: ApiDeps) {
  const { db, models, cache, holds } = deps;
  const router = new Router<ApiState>();
  const idempotent = createIdempotency(db);

  const productExists = async (id: number) =>
    (await cache.read(id, async () => {
      const row = await models.Product.findByPk(id, { raw: true });
      return row ? productView(row as unknown as Record<string, unknown>) : null;
    })) !== null;

  router.post('/api/holds', jsonBody(), async (ctx) => {
    const checked = check(ctx.state.body, {
      product_id: { required: true, checks: [rules.integer(), rules.min(1)] },
      quantity: { required: true, checks: [rules.integer(), rules.min(1)] },
    });
    await exists(checked, 'product_id', productExists);
    ensureValid(checked);
    const productId = toInteger(checked.input.product_id)!;
    const quantity = toInteger(checked.input.quantity)!;

    const answer = await idempotent({
      scope: 'holds',
      key: ctx.get('Idempotency-Key') || undefined,
      params: { product_id: productId, quantity },
      resourceId: () => nextHoldId(db),
      run: async (holdId): Promise<StoredAnswer> => {
        try {
          const hold = await holds.reserve(holdId, productId, quantity);
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
          if (err.type === 'ReservationFailed') throw unavailable();
          if (err.type === FailureType.UnknownProduct) {
            throw new ValidationError({ product_id: ['The selected product id is invalid.'] });
          }
          throw err;
        }
      },
    });
    if (answer.replayed) ctx.set('Idempotent-Replayed', 'true');
    ctx.status = answer.status;
    ctx.body = answer.body;
  });

  router.get('/api/holds', async (ctx) => {
    const page = readPage(ctx);
    const rows = await models.Hold.findAll({
      where: { id: { [Op.gt]: page.afterId } },
      order: [['id', 'ASC']],
      limit: page.limit + 1,
      raw: true,
    });
    sendPage(
      ctx,
      rows.map((r) => holdView(r as unknown as Record<string, unknown>)),
      page,
    );
  });

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
