import {
  ActivityFailure,
  ApplicationFailure,
  ParentClosePolicy,
  WorkflowIdReusePolicy,
  allHandlersFinished,
  condition,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../activities';
import { outboundEvent } from '../shared/events';
import {
  extendHoldUpdate,
  holdEventsDeliveredSignal,
  holdStatusQuery,
  placeOrderUpdate,
  releaseHoldUpdate,
  reserveUpdate,
} from '../shared/messages';
import { orderRefusal, releaseRefusal } from '../shared/refusals';
import {
  CustomerIdKey,
  HoldExpiresAtKey,
  HoldStatusKey,
  OrderStatusKey,
  ProductIdKey,
} from '../shared/search-attributes';
import {
  FailureType,
  type ExtendRequest,
  type HoldState,
  type HoldStatus,
  type HoldWorkflowInput,
} from '../shared/types';
import type { HoldView } from '../shared/views';
import { orderWorkflowId } from '../shared/workflow-ids';
import { DB_STEP_OPTIONS, RESERVATION_OPTIONS } from './activity-options';
import { orderWorkflow } from './order';
import { Outbox } from './outbox';

// The reservation runs as a local activity: it answers the waiting HTTP caller within one workflow task.
const { reserveStock } = proxyLocalActivities<Activities>(RESERVATION_OPTIONS);
// A client's order, release or extension is a scheduled activity: the update is accepted and the activity recorded
// in history before it commits, so a worker killed right after the commit leaves a retry that finds its own change.
// (As local activities they would commit inside an unfinished workflow task: a crash then loses the update while
// the database keeps the change, and the workflow no longer knows its hold.) Each retries without a cap on attempts.
const { releaseHold, createOrder, extendHold } = proxyActivities<Activities>(DB_STEP_OPTIONS);
// Expiry gives the stock back in the timer's own workflow task (an expiry storm is bound by workflow tasks); it
// changes nothing a client waits on, and the backup sweep covers a worker that dies meanwhile.
const { releaseHold: releaseExpiredHold } = proxyLocalActivities<Activities>(DB_STEP_OPTIONS);

/** States a hold does not leave; HoldStatus in the Web UI is written only when the hold reaches one. */
const FINAL: HoldState[] = ['ORDERED', 'RELEASED', 'EXPIRED', 'REJECTED'];

/**
 * A hold's life: reserve (answering the API's Update-with-Start; when the API started it eagerly on its own worker,
 * the reservation's outcome goes back to the API in-process instead), then wait for its expiry, an order or a release.
 *
 * The successor of `holdWorkflow` (v1, retired: docs/development.md, "Workflow versions"). The API starts it with
 * every search attribute already set (HoldStatus=HELD, ProductId, HoldExpiresAt), so the happy path writes no
 * visibility record of its own: only a final state (ordered, released, expired, refused) is upserted, once.
 */
export async function holdWorkflowV2(input: HoldWorkflowInput): Promise<HoldStatus> {
  let state: HoldState = 'RESERVING';
  let hold: HoldView | null = null;
  let rejection: ApplicationFailure | null = null;
  let orderId: number | null = null;
  const outbox = new Outbox(input.events, () => describe());

  const facts = () => ({
    expiresAtMs: hold ? Date.parse(hold.hold_expires_at) : 0,
    released: state === 'RELEASED' || state === 'RELEASING' || state === 'EXPIRED',
    used: state === 'ORDERED' || state === 'ORDERING',
  });
  const refuse = (type: FailureType) => ApplicationFailure.create({ type, message: type, nonRetryable: true });
  const describe = () => {
    const until = hold ? `, expires ${hold.hold_expires_at}` : '';
    const order = orderId ? `, order ${orderId}` : '';
    setCurrentDetails(
      `hold ${input.holdId}: ${input.quantity} × product ${input.productId} — ${state}${until}${order}${outbox.describe()}`,
    );
  };
  const enter = (next: HoldState) => {
    state = next;
    if (FINAL.includes(next)) upsertSearchAttributes([{ key: HoldStatusKey, value: next }]);
    describe();
  };
  // One change at a time: an order, a release or an extension arriving while an extension is in flight, or while the
  // reservation itself still runs, waits for it to settle, then is checked again against the hold as it is now. The
  // reservation case is eager start's: the API answers 201 in-process before the first workflow task completes, and
  // when that task is retried (its worker died) the client's next request arrives with the start itself.
  const unsettled = () => state === 'EXTENDING' || state === 'RESERVING';
  /** The check of validators and settled handlers; while the reservation runs there is nothing to check yet. */
  const validate = (refusalOf: typeof orderRefusal) => {
    if (state === 'REJECTED') throw refuse(FailureType.HoldMissing);
    if (state === 'RESERVING') return;
    const refusal = refusalOf(facts(), Date.now());
    if (refusal) throw refuse(refusal);
  };
  const whenSettled = async (refusalOf: typeof orderRefusal) => {
    await condition(() => !unsettled());
    validate(refusalOf);
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
      if (unsettled()) await whenSettled(orderRefusal);
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
      outbox.push(outboundEvent('order.created', order, order.created_at));
      // The order's workflow is started by the main loop, in the same workflow task: the update answers now.
      return order;
    },
    {
      validator: () => validate(orderRefusal),
    },
  );

  setHandler(
    releaseHoldUpdate,
    async () => {
      if (unsettled()) await whenSettled(releaseRefusal);
      enter('RELEASING');
      const result = await releaseHold(input.holdId, 'released');
      hold = result.hold;
      if (result.released) {
        enter('RELEASED');
        outbox.push(outboundEvent('hold.released', hold, hold.released_at ?? hold.updated_at));
        return hold;
      }
      enter('HELD');
      throw refuse(hold.used_at ? FailureType.HoldUsed : FailureType.HoldReleased);
    },
    {
      validator: () => validate(releaseRefusal),
    },
  );

  setHandler(
    extendHoldUpdate,
    async ({ seconds, maxTotalSeconds }) => {
      if (unsettled()) await whenSettled(orderRefusal);
      enter('EXTENDING');
      let extended: HoldView;
      try {
        extended = await extendHold({
          holdId: input.holdId,
          seconds,
          maxTotalSeconds,
          fromExpiresAt: hold!.hold_expires_at,
        });
      } catch (err) {
        // Refused: the timer loop takes over again with the expiry the hold still has.
        enter('HELD');
        throw businessFailure(err) ?? err;
      }
      hold = extended;
      upsertSearchAttributes([{ key: HoldExpiresAtKey, value: new Date(extended.hold_expires_at) }]);
      enter('HELD');
      return extended;
    },
    {
      // Refused here, before anything is written to history, when the hold is not held any more (same order of
      // reasons as an order: expired first); the activity decides the rest under the row lock.
      validator: (_request: ExtendRequest) => validate(orderRefusal),
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
  // A reservation that ran late starts the hold's life later than the API announced at the start: the Web UI's
  // expiry follows (one upsert, only then).
  if (input.expiresAt && hold.hold_expires_at !== input.expiresAt) {
    upsertSearchAttributes([{ key: HoldExpiresAtKey, value: new Date(hold.hold_expires_at) }]);
  }
  enter('HELD');
  outbox.push(outboundEvent('hold.created', hold, hold.created_at));

  for (;;) {
    // Read again each time round: an extension moves it.
    const remaining = Date.parse(hold.hold_expires_at) - Date.now();
    const moved =
      remaining > 0 &&
      (await condition(() => state !== 'HELD', remaining, {
        summary: `hold ${input.holdId} expires at ${hold.hold_expires_at}`,
      }));
    if (!moved) {
      // Marked before the release runs, so a late order is refused by the validator instead of racing it.
      enter('EXPIRED');
      hold = (await releaseExpiredHold(input.holdId, 'expired')).hold;
      // Expired, whoever gave the stock back (this timer or the backup sweep).
      outbox.push(outboundEvent('hold.expired', hold, hold.released_at ?? hold.updated_at));
      break;
    }
    await condition(() => state !== 'ORDERING' && state !== 'RELEASING' && state !== 'EXTENDING');
    if (FINAL.includes(state)) break;
  }
  // `state` moves in the handlers, which the compiler does not follow.
  if ((state as HoldState) === 'ORDERED' && orderId !== null) await startOrderWorkflow(input, orderId, hold.used_at!);
  await condition(allHandlersFinished);
  if (outbox.enabled) {
    await outbox.drained();
    // The order's events follow the hold's: its workflow delivers them once told these are out.
    if (orderId !== null) await tellOrderHoldEventsAreOut(orderId);
  }
  return { state, hold, orderId, rejection: null };
}

async function tellOrderHoldEventsAreOut(orderId: number) {
  try {
    await getExternalWorkflowHandle(orderWorkflowId(orderId)).signal(holdEventsDeliveredSignal);
  } catch (err) {
    log.error('order workflow not told that the hold events are out', { orderId, error: (err as Error).message });
  }
}

/** The activity's own refusal, whether it arrives bare (local activity) or wrapped in an ActivityFailure. */
export function businessFailure(err: unknown): ApplicationFailure | null {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) return err.cause;
  return null;
}

/** Starts the order's own workflow, which outlives the hold's. */
export async function startOrderWorkflow(input: HoldWorkflowInput, orderId: number, createdAt: string) {
  try {
    await startChild(orderWorkflow, {
      workflowId: orderWorkflowId(orderId),
      args: [
        {
          orderId,
          holdId: input.holdId,
          productId: input.productId,
          quantity: input.quantity,
          createdAt,
          paymentTimeoutSeconds: input.paymentTimeoutSeconds,
          ...(input.events ? { events: { ...input.events, afterHold: true } } : {}),
        },
      ],
      // The order outlives its hold's workflow, which ends once the order exists.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: [
        { key: OrderStatusKey, value: 'pending' },
        { key: ProductIdKey, value: input.productId },
        ...(input.customerId === undefined ? [] : [{ key: CustomerIdKey, value: input.customerId }]),
      ],
      staticSummary: `order ${orderId}: hold ${input.holdId}, ${input.quantity} × product ${input.productId}`,
    });
  } catch (err) {
    // Already started means a webhook got there first (signal-with-start): the same order. Anything else
    // leaves the order to the backup sweep, which cancels unpaid orders past their payment timeout.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) {
      log.error('order workflow not started', { orderId, error: (err as Error).message });
    }
  }
}
