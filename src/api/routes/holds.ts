import Router from '@koa/router';
import { createExtensionDesk } from '../../sale/extensions';
import { customerListFilter } from '../customers';
import { HoldDesk, type HoldOutcome } from '../../sale/holds';
import { idempotencyKeysOf } from '../../sale/idempotency-keys';
import { createLists } from '../../sale/lists';
import { createProductDirectory } from '../../sale/products';
import type { ApiDeps, ApiState } from '../context';
import { ValidationError, notFound, refusal, unavailable } from '../errors';
import { createIdempotency, type StoredAnswer } from '../idempotency';
import { jsonBody } from '../middleware';
import { listPage } from '../pagination';
import { errorBody, now } from '../respond';
import { createHoldRequest, customerRequest, extendHoldRequest } from '../schemas/requests';
import { check, ensureValid, exists, parsePathId, selectedInvalid } from '../validation';

const soldOut = (available: number): StoredAnswer => ({
  status: 400,
  body: errorBody(refusal.insufficientStock(available)),
});

/** A hold request's outcome as the answer stored for its Idempotency-Key; failures that may pass are thrown. */
function holdAnswer(outcome: HoldOutcome): StoredAnswer {
  switch (outcome.kind) {
    case 'held':
      return {
        status: 201,
        body: {
          status: 'success',
          timestamp: now(),
          data: { hold_id: outcome.hold.id, hold_expires_at: outcome.hold.hold_expires_at },
        },
      };
    case 'sold-out':
      return soldOut(outcome.available);
    case 'customer-limit':
      return { status: 400, body: errorBody(refusal.customerLimit(outcome.max)) };
    case 'unavailable':
      throw unavailable();
    case 'unknown-product':
      throw new ValidationError({ product_id: [selectedInvalid('product_id')] });
  }
}

// POST /api/holds on its own, so the route factory below stays a short list of routes.
function addCreateHoldRoute(router: Router<ApiState>, deps: ApiDeps, desk: HoldDesk): void {
  const idempotent = createIdempotency(idempotencyKeysOf(deps));
  const productExists = createProductDirectory(deps);
  const holdRequest = createHoldRequest(deps.maxQuantityPerHold);

  router.post('/api/holds', jsonBody(), async (ctx) => {
    const checked = check(holdRequest, ctx.state.body);
    await exists(checked, 'product_id', productExists);
    const { product_id: productId, quantity, customer_id: customerId } = ensureValid(checked);
    const key = ctx.get('Idempotency-Key') || undefined;

    // Sold out: answered without Temporal or a locked transaction. A keyed request takes the refusal through the
    // idempotency record below, so its retries get the same answer.
    const available = key === undefined ? await desk.soldOut(productId, quantity) : null;
    if (available !== null) {
      ctx.status = 400;
      ctx.body = soldOut(available).body;
      return;
    }

    const answer = await idempotent({
      scope: 'holds',
      key,
      // customer_id only when given, so the keys of requests without one hash as they always have.
      params: { product_id: productId, quantity, ...(customerId === undefined ? {} : { customer_id: customerId }) },
      resourceId: () => desk.nextHoldId(),
      freshAfterUnavailable: true,
      run: async (holdId) => {
        const request = { holdId, productId, quantity, ...(customerId === undefined ? {} : { customerId }) };
        const outcome = await desk.reserve(request, ctx.state.gone);
        if (outcome.kind === 'held') {
          ctx.state.log.info({ hold_id: outcome.hold.id, product_id: productId, quantity }, 'hold created');
        }
        return holdAnswer(outcome);
      },
    });
    if (answer.replayed) ctx.set('Idempotent-Replayed', 'true');
    ctx.status = answer.status;
    ctx.body = answer.body;
  });
}

export function holdRoutes(deps: ApiDeps) {
  const router = new Router<ApiState>();
  const desk = new HoldDesk(deps);
  const extensions = createExtensionDesk(deps);
  const lists = createLists(deps);
  addCreateHoldRoute(router, deps, desk);

  router.get('/api/holds', (ctx) => {
    const filter = customerListFilter(ctx);
    return listPage(ctx, (page) => lists.holds(page, filter), filter.query);
  });

  router.get('/api/holds/:id', async (ctx) => {
    const id = parsePathId(ctx.params.id);
    const hold = id === null ? null : await desk.findHold(id);
    if (!hold) throw notFound('Hold');
    ctx.body = hold;
  });

  router.post('/api/holds/:id/release', jsonBody(), async (ctx) => {
    const id = parsePathId(ctx.params.id);
    const { customer_id: customerId } = ensureValid(check(customerRequest, ctx.state.body));
    const outcome = id === null ? ({ kind: 'not-found' } as const) : await desk.release(id, customerId);
    if (outcome.kind === 'not-found') throw notFound('Hold');
    if (outcome.kind === 'other-customer') throw refusal.otherCustomer();
    if (outcome.kind === 'refused') throw refusal.release(outcome.reason);
    ctx.state.log.info({ hold_id: outcome.hold.id }, 'hold released early');
    ctx.body = { status: 'success', timestamp: now(), data: outcome.hold };
  });

  router.post('/api/holds/:id/extend', jsonBody(), async (ctx) => {
    const id = parsePathId(ctx.params.id);
    if (id === null) throw notFound('Hold');
    const { seconds, customer_id: customerId } = ensureValid(check(extendHoldRequest, ctx.state.body));
    const outcome = await extensions.extend(id, seconds, customerId);
    if (outcome.kind === 'not-found') throw notFound('Hold');
    if (outcome.kind === 'other-customer') throw refusal.otherCustomer();
    if (outcome.kind === 'disabled') throw refusal.extensionDisabled();
    if (outcome.kind === 'refused') throw refusal.extend(outcome.reason);
    ctx.state.log.info({ hold_id: id, hold_expires_at: outcome.hold.hold_expires_at }, 'hold extended');
    ctx.body = { status: 'success', timestamp: now(), data: outcome.hold };
  });

  return router;
}
