import Router from '@koa/router';
import { createExtensionDesk } from '../../sale/extensions';
import { createLists } from '../../sale/lists';
import { createReleaseDesk } from '../../sale/releases';
import type { ApiDeps, ApiState } from '../context';
import { customerListFilter } from '../customers';
import { notFound, refusal } from '../errors';
import { jsonBody } from '../middleware';
import { listPage } from '../pagination';
import { now } from '../respond';
import { customerRequest, extendHoldRequest } from '../schemas/requests';
import { check, ensureValid, parsePathId } from '../validation';

/** What a buyer does with a hold once it exists: list, read, release early, extend (a new hold: holds.ts). */
export function holdActionRoutes(deps: ApiDeps) {
  const router = new Router<ApiState>();
  const releases = createReleaseDesk(deps);
  const extensions = createExtensionDesk(deps);
  const lists = createLists(deps);

  router.get('/api/holds', (ctx) => {
    const filter = customerListFilter(ctx);
    return listPage(ctx, (page) => lists.holds(page, filter), filter.query);
  });

  router.get('/api/holds/:id', async (ctx) => {
    const id = parsePathId(ctx.params.id);
    const hold = id === null ? null : await releases.findHold(id);
    if (!hold) throw notFound('Hold');
    ctx.body = hold;
  });

  router.post('/api/holds/:id/release', jsonBody(), async (ctx) => {
    const id = parsePathId(ctx.params.id);
    const { customer_id: customerId } = ensureValid(check(customerRequest, ctx.state.body));
    const outcome = id === null ? ({ kind: 'not-found' } as const) : await releases.release(id, customerId);
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
