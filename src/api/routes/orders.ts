import Router from '@koa/router';
import { idempotencyKeysOf } from '../../sale/idempotency-keys';
import { createLists } from '../../sale/lists';
import { createOrderDesk, type OrderOutcome } from '../../sale/orders';
import type { ApiDeps, ApiState } from '../context';
import { notFound, refusal } from '../errors';
import { createIdempotency, isKeyedAttempt, type StoredAnswer } from '../idempotency';
import { jsonBody } from '../middleware';
import { listPage } from '../pagination';
import { errorBody, now } from '../respond';
import { createOrderRequest } from '../schemas/requests';
import { check, ensureValid, exists, parsePathId } from '../validation';
import { belongsToAnother } from '../../sale/customers';
import { customerListFilter } from '../customers';

/** An order request's outcome as the answer stored for its Idempotency-Key. */
function orderAnswer(outcome: OrderOutcome): StoredAnswer {
  if (outcome.kind === 'refused') return { status: 400, body: errorBody(refusal.order(outcome.reason)) };
  const { id, hold_id, status, amount, currency, created_at, updated_at } = outcome.order;
  return {
    status: 201,
    body: {
      status: 'success',
      timestamp: now(),
      data: { id, hold_id, status, amount, currency, created_at, updated_at },
    },
  };
}

export function orderRoutes(deps: ApiDeps) {
  const { models, holds } = deps;
  const router = new Router<ApiState>();
  const idempotent = createIdempotency(idempotencyKeysOf(deps));
  const desk = createOrderDesk({ models, holds });
  const lists = createLists({ models });

  router.post('/api/orders', jsonBody(), async (ctx) => {
    const checked = check(createOrderRequest, ctx.state.body);
    let hold: Awaited<ReturnType<typeof desk.findHold>> = null;
    await exists(checked, 'hold_id', async (id) => (hold = await desk.findHold(id)) !== null);
    const { hold_id: holdId, customer_id: customerId } = ensureValid(checked);
    // A hold's customer never changes: the database row settles it before anything else runs.
    if (belongsToAnother(hold!, customerId)) throw refusal.otherCustomer();

    const answer = await idempotent({
      scope: 'orders',
      key: ctx.get('Idempotency-Key') || undefined,
      params: { hold_id: holdId, ...(customerId === undefined ? {} : { customer_id: customerId }) },
      resourceId: async () => holdId,
      run: async (_, attempt) => {
        const outcome = await desk.place(holdId, attempt, isKeyedAttempt(attempt));
        if (outcome.kind === 'ordered' && !outcome.earlier)
          ctx.state.log.info({ hold_id: holdId, order_id: outcome.order.id }, 'order created');
        return orderAnswer(outcome);
      },
    });
    if (answer.replayed) ctx.set('Idempotent-Replayed', 'true');
    ctx.status = answer.status;
    ctx.body = answer.body;
  });

  router.get('/api/orders', (ctx) => {
    const filter = customerListFilter(ctx);
    return listPage(ctx, (page) => lists.orders(page, filter), filter.query);
  });

  router.get('/api/orders/:id', async (ctx) => {
    const id = parsePathId(ctx.params.id);
    const order = id === null ? null : await lists.order(id);
    if (!order) throw notFound('Order');
    ctx.body = order;
  });

  return router;
}
