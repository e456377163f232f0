import { createConnection, type RowDataPacket } from 'mysql2/promise';
import type { Ctx, Scenario } from '../scenario';
import { log, rand } from '../util';
import { sleep } from '../../harness/wait';
import { expectFired, finish, freeze, restartWorker } from './helpers';

/** The API's deadline for one Temporal call on the service's defaults (TEMPORAL_CALL_TIMEOUT_MS, src/config.ts). */
const CALL_DEADLINE_MS = 10_000;
/** Longer than the deadline, so every buyer hears 503 while their reservation may still happen. */
const STALL_MS = CALL_DEADLINE_MS + 4_000;
/**
 * A hold nobody was told of must give its stock back within this of its buyer's 503. The holds of these scenarios
 * live far longer (HOLD_TTL_SECONDS below), so only a give-back on purpose is in time: an expiry is not.
 */
export const STALL_PHANTOM_BOUND_SECONDS = 10;
const STALL_TTL_SECONDS = 30;
const BUYERS = 20;
const BUYERS_ARRIVE_MS = 3_000;

/**
 * BUYERS unkeyed buyers, arriving over BUYERS_ARRIVE_MS, each ask for 1 unit of a product with exactly that stock and
 * ask again (a new request: no key) after every 503 or no answer, as a buyer clicking again does, until they hold a
 * unit or hear it is sold out; `stall` runs meanwhile. Their last answers, tallied.
 */
async function buyersDuring(ctx: Ctx, productId: number, stall: () => Promise<void>): Promise<void> {
  const asking = Promise.all(
    Array.from({ length: BUYERS }, async () => {
      await sleep(rand(0, BUYERS_ARRIVE_MS));
      return ctx.api.retrying(() => ctx.api.hold(productId, 1), 40, 90_000);
    }),
  );
  await stall();
  const answers = await asking;
  const by = new Map<number, number>();
  for (const a of answers) by.set(a.status, (by.get(a.status) ?? 0) + 1);
  ctx.note(`${BUYERS} unkeyed buyers' last answers: ${[...by].map(([s, n]) => `${s || 'none'}×${n}`).join(' ')}`);
}

/**
 * Once the bound has passed since the last answer: every unit still held is held for a buyer told 201. Reported here
 * (with ids) as well as by the settled checker, which also catches a phantom released too late.
 */
async function noUnitHeldForNobody(ctx: Ctx, productId: number): Promise<void> {
  await sleep(STALL_PHANTOM_BOUND_SECONDS * 1000 + 2_000);
  const told = new Set([...ctx.acks.holds].filter(([, h]) => h.productId === productId).map(([id]) => id));
  const held = await ctx.query<RowDataPacket>(
    'SELECT id, quantity, created_at FROM holds WHERE product_id = ? AND released_at IS NULL',
    [productId],
  );
  const phantoms = held.filter((h) => !told.has(Number(h.id)));
  const units = phantoms.reduce((n, h) => n + Number(h.quantity), 0);
  ctx.note(
    `${held.length} holds unreleased ${STALL_PHANTOM_BOUND_SECONDS} s after the last answer, ${told.size} told 201`,
  );
  ctx.expect(
    phantoms.length === 0,
    `product ${productId}: ${units} units held by ${phantoms.length} holds no buyer was told of: ${phantoms.map((h) => h.id).join(', ')}`,
  );
}

/**
 * A stall past the call deadline on a product of exactly BUYERS units (`stall`, the buyers asking meanwhile, on the
 * holds' longer TTL), then no unit held for nobody.
 */
function stallPhantom(name: string, title: string, stall: (ctx: Ctx, productId: number) => Promise<void>): Scenario {
  return {
    name,
    load: false,
    phantomBoundSeconds: STALL_PHANTOM_BOUND_SECONDS,
    settings: { HOLD_TTL_SECONDS: String(STALL_TTL_SECONDS) },
    title: `HOLD_TTL_SECONDS=${STALL_TTL_SECONDS}: ${title}`,
    async run(ctx) {
      const [p] = await ctx.createProducts(1, BUYERS);
      await stall(ctx, p);
      await noUnitHeldForNobody(ctx, p);
      await finish(ctx, undefined, STALL_TTL_SECONDS * 1000);
    },
  };
}

export const temporalStallPhantom = stallPhantom(
  'temporal-stall-phantom',
  `Temporal dev server SIGSTOPped ${STALL_MS / 1000} s (past the API's ${CALL_DEADLINE_MS / 1000} s call deadline) while ${BUYERS} unkeyed buyers ask for 1 unit each (again after each 503), then SIGCONT: no phantom hold (every unit still held is a 201's; the others back within ${STALL_PHANTOM_BOUND_SECONDS} s of the 503)`,
  (ctx, p) =>
    buyersDuring(ctx, p, async () => {
      // Mid-arrival: some buyers' calls are on their way through Temporal, others reach it frozen.
      await sleep(BUYERS_ARRIVE_MS / 2);
      const fault = `Temporal dev server SIGSTOPped with ${ctx.api.tally.inFlight} hold requests in flight`;
      await freeze(ctx, ctx.stack.temporal!, STALL_MS, fault);
      log('  SIGCONT Temporal');
    }),
);

/**
 * The reservation stalls past the deadline: a FAULT_POINTS pause at reserve.beforeCommit (where holds reserve: the API's
 * hold worker and the worker), and, since a paused attempt alone is retried around by its activity's own timeout, the
 * product's row lock held by the harness for as long, so every reservation of the product waits inside its transaction.
 */
export const reserveStallPhantom = stallPhantom(
  'reserve-stall-phantom',
  `the reservation itself stalled ${STALL_MS / 1000} s before its COMMIT (a reserve.beforeCommit pause in the API's hold worker and the worker, and the product's row lock held as long), past the ${CALL_DEADLINE_MS / 1000} s call deadline, while ${BUYERS} unkeyed buyers ask for 1 unit each (again after each 503): no phantom hold`,
  async (ctx, p) => {
    const stall = `reserve.beforeCommit=pause:${STALL_MS}`;
    await Promise.all([ctx.stack.restartApi(stall), restartWorker(ctx, stall)]);
    const since = Date.now();
    const lock = await createConnection({ uri: ctx.stack.directDbUrl });
    try {
      await lock.query('START TRANSACTION');
      await lock.query('SELECT available_stock FROM products WHERE id = ? FOR UPDATE', [p]);
      await buyersDuring(ctx, p, async () => {
        ctx.fault(`product ${p}'s row lock held ${STALL_MS / 1000} s: every reservation of it waits before its COMMIT`);
        await sleep(STALL_MS);
        await lock.query('COMMIT');
        log('  row lock released');
        await expectFired(ctx, 'reserve.beforeCommit', since, 15_000);
      });
    } finally {
      await lock.end();
    }
  },
);
