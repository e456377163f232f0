import {
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import {
  extendHoldUpdate,
  paymentSettledSignal,
  placeOrderUpdate,
  releaseHoldUpdate,
  reserveUpdate,
} from '../shared/messages';
import type { LatePaymentPolicy } from '../db/late-payments';
import type { EventSettings } from '../shared/events';
import { CustomerIdKey, HoldExpiresAtKey, HoldStatusKey, ProductIdKey } from '../shared/search-attributes';
import { FailureType, type ExtendRequest, type HoldWorkflowInput, type PaymentSettled } from '../shared/types';
import type { HoldView, OrderView } from '../shared/views';
import { holdWorkflowId, orderWorkflowId } from '../shared/workflow-ids';
import type { holdWorkflowV2 } from '../workflows/hold';
import { Admission, AdmissionAbandoned, AdmissionTimeout } from './admission';
import { callerGone } from './caller';
import type { EagerStarter } from './eager-start';
import { beforeDeadline, TemporalUnavailable, translate, WorkflowClosed, WorkflowRefusal } from './call-errors';
import { createOrderLifeGateway } from './order-life';

export { TemporalUnavailable, WorkflowClosed, WorkflowRefusal } from './call-errors';

export interface HoldSettings {
  taskQueue: string;
  ttlSeconds: number;
  paymentTimeoutSeconds: number;
  callTimeoutMs: number;
  /** Hold ids the API takes from the database sequence per round trip (HOLD_ID_BLOCK_SIZE; default 100). */
  holdIdBlockSize?: number;
  /** Temporal calls in flight from this process (TEMPORAL_MAX_IN_FLIGHT); unset: no bound. */
  maxInFlight?: number;
  /** How long a call may wait for a slot before its 503 (TEMPORAL_QUEUE_TIMEOUT_MS). */
  queueTimeoutMs?: number;
  /** Outbound events (EVENTS_URL set); absent: holds are started without any event work. */
  events?: EventSettings;
  /** LATE_PAYMENT_POLICY (default refund). */
  latePaymentPolicy?: LatePaymentPolicy;
  /** HOLD_MAX_EXTENSION_SECONDS; 0 or absent: extension is disabled. */
  maxExtensionSeconds?: number;
}

/** How long an eager start (one round trip to the frontend) may take before its call answers 503. */
const EAGER_START_TIMEOUT_MS = 2_000;

/**
 * The typed calls the API makes to Temporal; every call is bounded by a deadline. With `eager` (HOLD_EAGER_START and
 * this process's hold worker running), a hold starts eagerly on that worker (temporal/eager-start.ts); without it,
 * with Update-with-Start.
 */
export function createHoldGateway(client: Client, settings: HoldSettings, eager?: () => EagerStarter | null) {
  const admission = settings.maxInFlight
    ? new Admission(settings.maxInFlight, settings.queueTimeoutMs ?? settings.callTimeoutMs)
    : null;
  const deadlined = async <T>(fn: () => Promise<T>, timeoutMs = settings.callTimeoutMs): Promise<T> => {
    try {
      return await client.withDeadline(Date.now() + timeoutMs, fn);
    } catch (err) {
      throw translate(err);
    }
  };
  // The deadline starts once the call has its slot: waiting for one never eats into the call's own time. A call that
  // had to queue runs `afterQueue` first (it may refuse: the world moved on while it waited).
  const bounded = async <T>(fn: () => Promise<T>, afterQueue?: () => Promise<void>): Promise<T> => {
    if (!admission) return deadlined(fn);
    try {
      return await admission.run(async (waited) => {
        if (waited && afterQueue) await afterQueue();
        return deadlined(fn);
      }, callerGone.getStore());
    } catch (err) {
      if (err instanceof AdmissionTimeout || err instanceof AdmissionAbandoned)
        throw new TemporalUnavailable(err.message);
      throw err;
    }
  };

  // How holds were started: eagerly on this process's worker (answered in-process), or answered by the workflow's
  // update (Update-with-Start, or a start the server did not run here).
  const starts = { eager: 0, updateWithStart: 0 };

  /** What a finished hold run made of its reservation: the hold, or the refusal (then a WorkflowRefusal). */
  const reserveOutcome = async (holdId: number): Promise<HoldView> => {
    const handle = client.workflow.getHandle<typeof holdWorkflowV2>(holdWorkflowId(holdId));
    try {
      return await handle.getUpdateHandle<HoldView>('reserve').result();
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) throw err;
      // The update itself never ran (only the start went through): the run's own result says what became of it.
      const status = await handle.result();
      if (status.hold) return status.hold;
      throw new WorkflowRefusal(status.rejection ?? FailureType.ReservationFailed, []);
    }
  };

  return {
    settings,
    admission,
    starts,
    ...createOrderLifeGateway(client, settings),
    /** Starts the hold's workflow and waits for its reservation: eagerly on this process's worker, or Update-with-Start. */
    reserve(
      holdId: number,
      productId: number,
      quantity: number,
      gateEpoch?: string,
      customerId?: string,
      /**
       * Run when the call had to queue for a slot, before anything starts: it may refuse (throw), or hand back a
       * newer gate epoch (the sold-out gate read again after the wait).
       */
      afterQueue?: () => Promise<string | undefined>,
    ): Promise<HoldView> {
      // gateEpoch: the sold-out gate's epoch read before this start; the reservation hands it back with the stock
      // it saw, so the gate never keeps a figure from before stock came back (see cache/product-cache.ts).
      const startOptions = () => {
        // The expiry is fixed here, once the call has its slot (a wait in the queue never shortens a hold), so that
        // every search attribute is given at start: the workflow's happy path writes no visibility record of its own.
        const expiresAt = new Date(Date.now() + settings.ttlSeconds * 1000);
        const input: HoldWorkflowInput = {
          holdId,
          productId,
          quantity,
          ttlSeconds: settings.ttlSeconds,
          paymentTimeoutSeconds: settings.paymentTimeoutSeconds,
          expiresAt: expiresAt.toISOString(),
          ...(gateEpoch === undefined ? {} : { gateEpoch }),
          ...(settings.events ? { events: settings.events } : {}),
          ...(customerId === undefined ? {} : { customerId }),
        };
        return {
          workflowId: holdWorkflowId(holdId),
          taskQueue: settings.taskQueue,
          args: [input] as [HoldWorkflowInput],
          // A retried request (same Idempotency-Key, so same hold id) attaches to the first run...
          workflowIdConflictPolicy: 'USE_EXISTING' as const,
          // ...and never starts a second one after the first has finished.
          workflowIdReusePolicy: 'REJECT_DUPLICATE' as const,
          typedSearchAttributes: [
            { key: HoldStatusKey, value: 'HELD' },
            { key: ProductIdKey, value: productId },
            { key: HoldExpiresAtKey, value: expiresAt },
            ...(customerId === undefined ? [] : [{ key: CustomerIdKey, value: customerId }]),
          ],
          staticSummary: `hold ${holdId}: ${quantity} × product ${productId}`,
        };
      };
      const withUpdate = () => {
        starts.updateWithStart++;
        return client.workflow.executeUpdateWithStart(reserveUpdate, {
          startWorkflowOperation: new WithStartWorkflowOperation<typeof holdWorkflowV2>(
            'holdWorkflowV2',
            startOptions(),
          ),
          updateId: 'reserve',
        });
      };
      const eagerly = async ({ client: local, waiters }: EagerStarter): Promise<HoldView> => {
        const { outcome, done } = waiters.expect(holdId);
        try {
          const deadline = Date.now() + settings.callTimeoutMs;
          // The worker's connection retries an unreachable server for about ten seconds, where the API's client gives
          // up in about one: a start, one round trip, gets a short deadline of its own, so that Temporal down is a
          // quick 503 on this path too. (A start that still lands later is a hold the client's retry finds by key.)
          const startDeadline = Math.min(deadline, Date.now() + EAGER_START_TIMEOUT_MS);
          const starting = local.withDeadline(startDeadline, () =>
            local.workflow.start<typeof holdWorkflowV2>('holdWorkflowV2', {
              ...startOptions(),
              requestEagerStart: true,
            }),
          );
          // Raced as well: the deadline bounds each of the connection's attempts, not its retries.
          starting.catch(() => undefined);
          const handle = await beforeDeadline(starting, startDeadline);
          if (handle.eagerlyStarted) {
            starts.eager++;
            const reserved = await beforeDeadline(outcome, deadline);
            if (reserved.kind === 'held') return reserved.hold;
            throw new WorkflowRefusal(
              reserved.failure.type ?? 'Unknown',
              (reserved.failure.details as unknown[]) ?? [],
            );
          }
          // Not started here (no free workflow slot in this process, or a retry attaching to a run already started):
          // the workflow answers, as after Update-with-Start.
          starts.updateWithStart++;
          return await local.withDeadline(deadline, () => handle.executeUpdate(reserveUpdate, { updateId: 'reserve' }));
        } finally {
          done();
        }
      };
      const recheck = afterQueue && (async () => void (gateEpoch = (await afterQueue()) ?? gateEpoch));
      return bounded(async () => {
        try {
          const starter = eager?.();
          return await (starter ? eagerly(starter) : withUpdate());
        } catch (err) {
          // A retry (same Idempotency-Key, so same hold id) after the first run has finished (its first attempt was
          // answered 503), or a run that finished while this update waited: that run's outcome is the answer, never
          // a second run.
          if (err instanceof WorkflowExecutionAlreadyStartedError || closedMeanwhile(err))
            return reserveOutcome(holdId);
          throw err;
        }
      }, recheck);
    },

    placeOrder(holdId: number, updateId: string): Promise<OrderView> {
      return bounded(() =>
        client.workflow.getHandle(holdWorkflowId(holdId)).executeUpdate(placeOrderUpdate, { updateId }),
      );
    },

    /**
     * The order an earlier placeOrder update with this id created, or null when that update never ran. A retry whose
     * first attempt timed out after the order was committed finds the hold used: this is how it learns its order.
     */
    async orderPlacedBy(holdId: number, updateId: string): Promise<OrderView | null> {
      try {
        return await bounded(() =>
          client.workflow.getHandle(holdWorkflowId(holdId)).getUpdateHandle<OrderView>(updateId).result(),
        );
      } catch (err) {
        if (err instanceof WorkflowClosed || err instanceof WorkflowRefusal) return null;
        throw err;
      }
    },

    release(holdId: number): Promise<HoldView> {
      return bounded(() => client.workflow.getHandle(holdWorkflowId(holdId)).executeUpdate(releaseHoldUpdate));
    },

    /** Moves the hold's expiry later; the workflow's validator and the database refuse with a FailureType. */
    extend(holdId: number, request: ExtendRequest): Promise<HoldView> {
      return bounded(() =>
        client.workflow.getHandle(holdWorkflowId(holdId)).executeUpdate(extendHoldUpdate, { args: [request] }),
      );
    },

    /** Tells the order's workflow its payment is settled; the database already holds the outcome. */
    notifyPayment(orderId: number, settled: PaymentSettled): Promise<void> {
      // Not queued behind holds: the database already has the outcome and a signal is cheap.
      return deadlined(
        () => client.workflow.getHandle(orderWorkflowId(orderId)).signal(paymentSettledSignal, settled),
        Math.min(settings.callTimeoutMs, 2_000),
      );
    },
  };
}

export type HoldGateway = ReturnType<typeof createHoldGateway>;

/** The run finished while the reserve update waited (Update-with-Start), or before it was sent (after a start). */
function closedMeanwhile(err: unknown): boolean {
  if (err instanceof WorkflowNotFoundError) return true;
  return /aborted by closing workflow|workflow execution already completed/i.test(String(err));
}
