import Router from '@koa/router';
import { HoldDesk, type HoldOutcome } from '../../sale/holds';
import { idempotencyKeysOf } from '../../sale/idempotency-keys';
import { createProductDirectory } from '../../sale/products';
import type { ApiDeps, ApiState } from '../context';
import { insufficientStockMessage } from '../../shared/refusals';
import { ValidationError, refusal, unavailable } from '../errors';
import { createIdempotency, type StoredAnswer } from '../idempotency';
import { jsonBody } from '../middleware';
import { errorBody, now } from '../respond';
import { createHoldRequest } from '../schemas/requests';
import { check, ensureValid, exists, selectedInvalid } from '../validation';

// Built without an Error: the sold-out answer is the commonest one of a sale and needs no stack trace.
const soldOut = (available: number): StoredAnswer => ({
  status: 400,
  body: errorBody({ code: 'insufficient_stock', message: insufficientStockMessage(available) }),
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

/** POST /api/holds: a new hold (reading, releasing and extending one: hold-actions.ts). */
export function holdRoutes(deps: ApiDeps) {
  const router = new Router<ApiState>();
  addCreateHoldRoute(router, deps, new HoldDesk(deps));
  return router;
}
