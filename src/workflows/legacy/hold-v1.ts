/**
 * holdWorkflow (v1), frozen for the holds started before holdWorkflowV2: its commands must stay as they were, and
 * the replay test runs recorded v1 histories against it. It shares with V2 only what issues the same commands
 * (activity-options.ts; hold-parts.ts: the order's start, which now also carries events and CustomerId).
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  setCurrentDetails,
} from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { holdStatusQuery, placeOrderUpdate, releaseHoldUpdate, reserveUpdate } from '../../shared/messages';
import { orderRefusal, releaseRefusal } from '../../shared/refusals';
import { HoldExpiresAtKey, HoldStatusKey } from '../../shared/search-attributes';
import { FailureType, type HoldState, type HoldStatus, type HoldWorkflowInput } from '../../shared/types';
import type { HoldView } from '../../shared/views';
import { DB_STEP_OPTIONS, RESERVATION_OPTIONS } from '../activity-options';
import { businessFailure, startOrderWorkflow } from '../hold-parts';

// The reservation runs as a local activity: it answers the waiting HTTP caller within one workflow task.
const { reserveStock } = proxyLocalActivities<Activities>(RESERVATION_OPTIONS);
// Giving stock back must eventually happen, so it retries without a cap on attempts.
const { releaseHold, createOrder } = proxyActivities<Activities>(DB_STEP_OPTIONS);

// Expiry gives the stock back as a local activity: the timer's own workflow task runs it and finishes the
// workflow, instead of a scheduled activity and a second workflow task (an expiry storm is bound by those tasks).
// Same unbounded retries as above; the backup sweep covers a worker that dies meanwhile.
const { releaseHold: releaseHoldLocally } = proxyLocalActivities<Activities>(DB_STEP_OPTIONS);
/** Holds started before this change replay their expiry as a scheduled activity. */
export const LOCAL_EXPIRY_PATCH = 'expiry-release-local-activity';

const FINAL: HoldState[] = ['ORDERED', 'RELEASED', 'EXPIRED', 'REJECTED'];

export async function holdWorkflow(input: HoldWorkflowInput): Promise<HoldStatus> {
  let state: HoldState = 'RESERVING';
  let hold: HoldView | null = null;
  let rejection: ApplicationFailure | null = null;
  let orderId: number | null = null;

  const facts = () => ({
    expiresAtMs: hold ? Date.parse(hold.hold_expires_at) : 0,
    released: state === 'RELEASED' || state === 'RELEASING' || state === 'EXPIRED',
    used: state === 'ORDERED' || state === 'ORDERING',
  });
  const refuse = (type: FailureType) => ApplicationFailure.create({ type, message: type, nonRetryable: true });
  const enter = (next: HoldState) => {
    state = next;
    upsertSearchAttributes([{ key: HoldStatusKey, value: next }]);
    const base = `hold ${input.holdId}: ${input.quantity} × product ${input.productId}`;
    const until = hold ? `, expires ${hold.hold_expires_at}` : '';
    setCurrentDetails(`${base} — ${next}${until}${orderId ? `, order ${orderId}` : ''}`);
  };

  setHandler(holdStatusQuery, () => ({ state, hold, orderId, rejection: rejection?.type ?? null }));

  setHandler(reserveUpdate, async () => {
    await condition(() => state !== 'RESERVING');
    if (rejection) throw rejection;
    return hold!;
  });

  setHandler(
    placeOrderUpdate,
    async () => {
      enter('ORDERING');
      let order;
      try {
        order = await createOrder(input.holdId);
      } catch (err) {
        // The database refused (expired or released meanwhile): keep waiting for the timer, which settles it.
        enter('HELD');
        throw businessFailure(err) ?? err;
      }
      orderId = order.id;
      hold = { ...hold!, used_at: order.created_at, updated_at: order.created_at };
      enter('ORDERED');
      await startOrderWorkflow(input, order.id, order.created_at);
      return order;
    },
    {
      validator: () => {
        if (state === 'RESERVING' || state === 'REJECTED') throw refuse(FailureType.HoldMissing);
        const refusal = orderRefusal(facts(), Date.now());
        if (refusal) throw refuse(refusal);
      },
    },
  );

  setHandler(
    releaseHoldUpdate,
    async () => {
      enter('RELEASING');
      const result = await releaseHold(input.holdId, 'released');
      hold = result.hold;
      if (result.released) {
        enter('RELEASED');
        return hold;
      }
      enter('HELD');
      throw refuse(hold.used_at ? FailureType.HoldUsed : FailureType.HoldReleased);
    },
    {
      validator: () => {
        if (state === 'RESERVING' || state === 'REJECTED') throw refuse(FailureType.HoldMissing);
        const refusal = releaseRefusal(facts(), Date.now());
        if (refusal) throw refuse(refusal);
      },
    },
  );

  try {
    hold = await reserveStock(input);
  } catch (err) {
    rejection =
      businessFailure(err) ?? ApplicationFailure.nonRetryable('reservation failed', FailureType.ReservationFailed);
    enter('REJECTED');
    await condition(allHandlersFinished);
    return { state, hold, orderId, rejection: rejection.type ?? null };
  }
  upsertSearchAttributes([{ key: HoldExpiresAtKey, value: new Date(hold.hold_expires_at) }]);
  enter('HELD');

  const expiresAtMs = Date.parse(hold.hold_expires_at);
  for (;;) {
    const remaining = expiresAtMs - Date.now();
    const moved =
      remaining > 0 &&
      (await condition(() => state !== 'HELD', remaining, {
        summary: `hold ${input.holdId} expires at ${hold.hold_expires_at}`,
      }));
    if (!moved) {
      // Marked before the activity runs, so a late order is refused by the validator instead of racing it.
      enter('EXPIRED');
      const result = patched(LOCAL_EXPIRY_PATCH)
        ? await releaseHoldLocally(input.holdId, 'expired')
        : await releaseHold(input.holdId, 'expired');
      hold = result.hold;
      log.info('hold expired', { holdId: input.holdId, released: result.released });
      break;
    }
    await condition(() => state !== 'ORDERING' && state !== 'RELEASING');
    if (FINAL.includes(state)) break;
  }
  await condition(allHandlersFinished);
  return { state, hold, orderId, rejection: null };
}
