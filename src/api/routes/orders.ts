import Router from '@koa/router';
import { orderView } from '../../db/views';
import { orderRefusalMessage } from '../../shared/refusals';
import { createOrderDesk, type OrderOutcome } from '../../sale/orders';
import type { ApiDeps, ApiState } from '../context';
import { notFound } from '../errors';
import { createIdempotency, isKeyedAttempt, type StoredAnswer } from '../idempotency';
import { jsonBody } from '../middleware';
import { listPage } from '../pagination';
import { errorBody, now } from '../respond';
import { check, ensureValid, exists, parsePathId, rules, toInteger } from '../validation';
import { belongsToAnother, OTHER_CUSTOMER_MESSAGE } from '../../sale/customers';
import { customerIdField, customerListFilter, givenCustomer } from '../customers';
import { HttpError } from '../errors';

/** An order request's outcome as the answer stored for its Idempotency-Key. */
function orderAnswer(outcome: OrderOutcome): StoredAnswer {
  if (outcome.kind === 'refused') return { status: 400, body: errorBody(orderRefusalMessage[outcome.reason]) };
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

export function orderRoutes({ db, models, holds }: ApiDeps) {
  const router = new Router<ApiState>();
  const idempotent = createIdempotency(db);
  const desk = createOrderDesk({ models, holds });

  router.post('/api/orders', jsonBody(), async (ctx) => {
    const checked = check(ctx.state.body, {
      hold_id: { required: true, checks: [rules.integer(), rules.min(1)] },
      customer_id: customerIdField,
    });
    let hold: Awaited<ReturnType<typeof desk.findHold>> = null;
    await exists(checked, 'hold_id', async (id) => (hold = await desk.findHold(id)) !== null);
    ensureValid(checked);
    const holdId = toInteger(checked.input.hold_id)!;
    const customerId = givenCustomer(checked.input);
    // A hold's customer never changes: the database row settles it before anything else runs.
    if (belongsToAnother(hold!, customerId)) throw new HttpError(403, OTHER_CUSTOMER_MESSAGE);

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

  router.get('/api/orders', (ctx) => listPage(ctx, models.Order, orderView, customerListFilter(ctx)));

  router.get('/api/orders/:id', async (ctx) => {
    const id = parsePathId(ctx.params.id);
    const row = id === null ? null : await models.Order.findByPk(id, { raw: true });
    if (!row) throw notFound('Order');
    ctx.body = orderView(row as unknown as Record<string, unknown>);
  });

  return router;
}
