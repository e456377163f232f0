import type { Client } from '@temporalio/client';
import { extendHoldUpdate, paymentSettledSignal, placeOrderUpdate, releaseHoldUpdate } from '../shared/messages';
import type { EventSettings } from '../shared/events';
import type { ExtendRequest, LatePaymentPolicy, PaymentSettled } from '../shared/types';
import type { HoldView, OrderView } from '../shared/views';
import { orderRun, type OrderFacts } from '../shared/order-run';
import { holdWorkflowId } from '../shared/workflow-ids';
import type { orderWorkflow } from '../workflows/order';
import { Admission, AdmissionAbandoned, AdmissionTimeout } from './admission';
import {
  beforeDeadline,
  CallerGone,
  TemporalUnavailable,
  translate,
  WorkflowClosed,
  WorkflowRefusal,
} from './call-errors';
import { Reachability } from './reachability';
import { createOrderLifeGateway, type OrderLifeGateway } from './order-life';

export interface HoldSettings {
  taskQueue: string;
  ttlSeconds: number;
  paymentTimeoutSeconds: number;
  /** A call's deadline, counted from when it has its slot; a hold's reservation refuses once it has passed. */
  callTimeoutMs: number;
  /** Hold ids the API takes from the database sequence per round trip (HOLD_ID_BLOCK_SIZE; default 100). */
  holdIdBlockSize?: number;
  /** Temporal calls in flight from this process (TEMPORAL_MAX_IN_FLIGHT); unset: no bound. */
  maxInFlight?: number;
  /** How long a call may wait for a slot before its 503 (TEMPORAL_QUEUE_TIMEOUT_MS). */
  queueTimeoutMs?: number;
  /** Temporal's frontend (TEMPORAL_ADDRESS): a call waiting while it refuses connections is answered 503 at once. */
  address?: string;
  /** Outbound events (EVENTS_URL set); absent: holds are started without any event work. */
  events?: EventSettings;
  /** LATE_PAYMENT_POLICY (default refund). */
  latePaymentPolicy?: LatePaymentPolicy;
  /** HOLD_MAX_EXTENSION_SECONDS; 0 or absent: extension is disabled. */
  maxExtensionSeconds?: number;
}

/**
 * The sale's calls to running workflows (an order, a release, an extension, a payment), and the bound every call
 * to Temporal runs under: the in-flight bound's queue, then the call's deadline. `client` is this process's one
 * client (it throws TemporalUnavailable while not connected). A hold's own start is HoldGateway's (holds.ts).
 */
export class WorkflowCalls {
  readonly admission: Admission | null;
  private readonly reachability: Reachability | null;
  readonly notifyLatePayment: OrderLifeGateway['notifyLatePayment'];
  readonly closeRefund: OrderLifeGateway['closeRefund'];

  constructor(
    protected readonly client: () => Client,
    readonly settings: HoldSettings,
  ) {
    this.reachability = settings.address ? Reachability.of(settings.address) : null;
    this.admission = settings.maxInFlight
      ? new Admission(settings.maxInFlight, settings.queueTimeoutMs ?? settings.callTimeoutMs)
      : null;
    ({ notifyLatePayment: this.notifyLatePayment, closeRefund: this.closeRefund } = createOrderLifeGateway(
      client,
      settings,
    ));
  }

  placeOrder(holdId: number, updateId: string): Promise<OrderView> {
    return this.deadlined((c) =>
      c.workflow.getHandle(holdWorkflowId(holdId)).executeUpdate(placeOrderUpdate, { updateId }),
    );
  }

  /**
   * The order an earlier placeOrder update with this id created, or null when that update never ran. A retry whose
   * first attempt timed out after the order was committed finds the hold used: this is how it learns its order.
   */
  async orderPlacedBy(holdId: number, updateId: string): Promise<OrderView | null> {
    try {
      return await this.deadlined((c) =>
        c.workflow.getHandle(holdWorkflowId(holdId)).getUpdateHandle<OrderView>(updateId).result(),
      );
    } catch (err) {
      if (err instanceof WorkflowRefusal || err instanceof WorkflowClosed) return null;
      throw err;
    }
  }

  release(holdId: number): Promise<HoldView> {
    return this.deadlined((c) => c.workflow.getHandle(holdWorkflowId(holdId)).executeUpdate(releaseHoldUpdate));
  }

  /** Moves the hold's expiry later; the workflow's validator and the database refuse with a FailureType. */
  extend(holdId: number, request: ExtendRequest): Promise<HoldView> {
    return this.deadlined((c) =>
      c.workflow.getHandle(holdWorkflowId(holdId)).executeUpdate(extendHoldUpdate, { args: [request] }),
    );
  }

  /**
   * Tells the order's workflow that its payment is settled (the database already says so). Signal-with-start: the
   * hold's workflow starts the order's run at ORDER_PRIORITY, behind a burst's hold work, so a payment may get there
   * first; it then starts the run the hold's workflow would have (shared/order-run.ts), which finds it started.
   */
  async notifyPayment(order: OrderFacts, settled: PaymentSettled): Promise<void> {
    // Not queued behind holds: the database already has the outcome and a signal is cheap.
    const c = this.client();
    const { paymentTimeoutSeconds, events, taskQueue } = this.settings;
    try {
      const deadline = Date.now() + Math.min(this.settings.callTimeoutMs, 2_000);
      const sent = c.withDeadline(deadline, () =>
        c.workflow.signalWithStart<typeof orderWorkflow, [PaymentSettled]>('orderWorkflow', {
          ...orderRun(order, paymentTimeoutSeconds, events),
          taskQueue,
          signal: paymentSettledSignal,
          signalArgs: [settled],
        }),
      );
      // Raced as well: the NativeConnection's deadline bounds each attempt, not its retries.
      await beforeDeadline(this.reachability ? this.reachability.guard(sent) : sent, deadline);
    } catch (err) {
      throw translate(err);
    }
  }

  /**
   * Runs `fn` with its deadline once the call has a slot: waiting for one never eats into the call's own time. A
   * call that had to queue runs `afterQueue` first (it may refuse: the world moved on while it waited).
   */
  protected async bounded<T>(
    fn: (deadline: number) => Promise<T>,
    gone?: AbortSignal,
    afterQueue?: () => Promise<void>,
  ): Promise<T> {
    const call = async (waited: boolean) => {
      if (waited && afterQueue) await afterQueue();
      try {
        const answer = fn(Date.now() + this.settings.callTimeoutMs);
        return await (this.reachability ? this.reachability.guard(answer) : answer);
      } catch (err) {
        throw translate(err);
      }
    };
    if (!this.admission) return call(false);
    try {
      return await this.admission.run(call, gone);
    } catch (err) {
      if (err instanceof AdmissionTimeout) throw new TemporalUnavailable(err.message, false);
      if (err instanceof AdmissionAbandoned) throw new CallerGone(err.message, false);
      throw err;
    }
  }

  private deadlined<T>(fn: (c: Client) => Promise<T>): Promise<T> {
    return this.bounded((deadline) => {
      const c = this.client();
      return c.withDeadline(deadline, () => fn(c));
    });
  }
}
