import Router from '@koa/router';
import { holdView, orderView } from '../../db/views';
import { orderRefusal, orderRefusalMessage } from '../../shared/refusals';
import type { HoldView, OrderView } from '../../shared/views';
import { WorkflowClosed, WorkflowRefusal } from '../../temporal/holds';
import type { ApiDeps, ApiState } from '../context';
import { notFound } from '../errors';
import { createIdempotency, type StoredAnswer } from '../idempotency';
import { jsonBody } from '../middleware';
import { listPage } from '../pagination';
import { now } from '../respond';
import { check, ensureValid, exists, parsePathId, rules, toInteger } from '../validation';

const refusalOf = (h: HoldView) =>
  orderRefusal(
    { expiresAtMs: Date.parse(h.hold_expires_at), released: h.released_at !== null, used: h.used_at !== null },
    Date.now(),
  );

export function orderRoutes({ db, models, holds }: ApiDeps) {
  const router = new Router<ApiState>();
  const idempotent = createIdempotency(db);
  const findHold = async (id: number) => {
    const row = await models.Hold.findByPk(id, { raw: true });
    return row ? holdView(row as unknown as Record<string, unknown>) : null;
  };
  const created = ({ id, hold_id, status, created_at, updated_at }: OrderView): StoredAnswer => ({
    status: 201,
    body: { status: 'success', timestamp: now(), data: { id, hold_id, status, created_at, updated_at } },
  });
  const refused = (type: string): StoredAnswer => ({
    status: 400,
    body: { status: 'error', message: orderRefusalMessage[type], timestamp: now() },
  });

  router.post('/api/orders', jsonBody(), async (ctx) => {
    const checked = check(ctx.state.body, {
      hold_id: { required: true, checks: [rules.integer(), rules.min(1)] },
    });
    await exists(checked, 'hold_id', async (id) => (await findHold(id)) !== null);
    ensureValid(checked);
    const holdId = toInteger(checked.input.hold_id)!;

    const answer = await idempotent({
      scope: 'orders',
      key: ctx.get('Idempotency-Key') || undefined,
      params: { hold_id: holdId },
      resourceId: async () => holdId,
      run: async (_, attempt): Promise<StoredAnswer> => {
        // The database answers for holds that can no longer change; only a held hold needs its workflow. A used hold
        // may have been ordered by this very key's earlier attempt (answered 503 after the commit): that order is the
        // answer, not a refusal.
        const refusal = async (type: string) =>
          type === 'HoldUsed' && attempt.startsWith('key-')
            ? ((await orderedBefore()) ?? refused(type))
            : refused(type);
        const orderedBefore = async () => {
          const order = await holds.orderPlacedBy(holdId, attempt);
          return order ? created(order) : null;
        };
        const early = refusalOf((await findHold(holdId))!);
        if (early) return refusal(early);
        try {
          const order = await holds.placeOrder(holdId, attempt);
          ctx.state.log.info({ hold_id: holdId, order_id: order.id }, 'order created');
          return created(order);
        } catch (err) {
          if (err instanceof WorkflowRefusal && orderRefusalMessage[err.type]) return refusal(err.type);
          if (!(err instanceof WorkflowClosed)) throw err;
          return refusal(refusalOf((await findHold(holdId))!) ?? 'HoldUsed');
        }
      },
    });
    if (answer.replayed) ctx.set('Idempotent-Replayed', 'true');
    ctx.status = answer.status;
    ctx.body = answer.body;
  });

  router.get('/api/orders', (ctx) => listPage(ctx, models.Order, orderView));

  router.get('/api/orders/:id', async (ctx) => {
    const id = parsePathId(ctx.params.id);
    const row = id === null ? null : await models.Order.findByPk(id, { raw: true });
    if (!row) throw notFound('Order');
    ctx.body = orderView(row as unknown as Record<string, unknown>);
  });

  return router;
}
