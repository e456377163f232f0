import {
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import { reserveUpdate } from '../shared/messages';
import { FailureType, type HoldRequest, type HoldStatus, type HoldWorkflowInput } from '../shared/types';
import type { HoldView } from '../shared/views';
import { holdWorkflowId } from '../shared/workflow-ids';
import type { holdWorkflowV2 } from '../workflows/hold';
import { beforeDeadline, WorkflowRefusal } from './call-errors';
import { HOLD_WORKFLOW_TYPE, holdStartOptions } from './hold-options';
import type { ReservationWaiters } from './reservation-waiters';
import { WorkflowCalls, type HoldSettings } from './workflow-calls';

export { CallerGone, TemporalUnavailable, WorkflowClosed, WorkflowRefusal } from './call-errors';
export type { HoldSettings } from './workflow-calls';

export interface ReserveOptions {
  /** Aborted when the HTTP client hangs up: the call stops waiting (CallerGone). */
  gone?: AbortSignal;
  /**
   * Run when the call had to queue for a slot, before anything starts: it may refuse (throw), or hand back a newer
   * sold-out gate epoch (the gate read again after the wait).
   */
  afterQueue?: () => Promise<string | undefined>;
}

/**
 * A hold's start, the way the sale asks for it: the workflow input built from the request and this process's
 * settings, started by the strategy chosen at boot (below), its reservation's answer awaited under the call's bound
 * and deadline (WorkflowCalls, which also carries the calls to running holds and orders).
 */
export class HoldGateway extends WorkflowCalls {
  constructor(
    client: () => Client,
    settings: HoldSettings,
    readonly start: HoldStart,
  ) {
    super(client, settings);
  }

  /** Starts the hold's workflow and waits for its reservation, the strategy's way. */
  reserve(request: HoldRequest, { gone, afterQueue }: ReserveOptions = {}): Promise<HoldView> {
    let gateEpoch = request.gateEpoch;
    const recheck = afterQueue && (async () => void (gateEpoch = (await afterQueue()) ?? gateEpoch));
    const reserve = async (deadline: number) => {
      try {
        return await this.start.start(this.holdInput({ ...request, gateEpoch }, deadline), deadline, gone);
      } catch (err) {
        // A retry (same Idempotency-Key, so same hold id) after the first run has finished, or a run that finished
        // while the call waited: that run's outcome is the answer, never a second run.
        if (err instanceof WorkflowExecutionAlreadyStartedError || closedMeanwhile(err)) {
          return beforeDeadline(this.reserveOutcome(request.holdId), deadline, gone);
        }
        throw err;
      }
    };
    return this.bounded(reserve, gone, recheck);
  }

  /** What a finished (or running) hold run made of its reservation: the hold, or its refusal as a WorkflowRefusal. */
  private async reserveOutcome(holdId: number): Promise<HoldView> {
    const hold = this.client().workflow.getHandle(holdWorkflowId(holdId));
    try {
      return await hold.getUpdateHandle<HoldView>('reserve').result();
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) throw err;
      // The update itself never ran (only the start went through): the run's own result says what became of it.
      const status: HoldStatus = await hold.result();
      if (status.hold) return status.hold;
      throw new WorkflowRefusal(status.rejection ?? FailureType.ReservationFailed, []);
    }
  }

  private holdInput(request: HoldRequest, deadline: number): HoldWorkflowInput {
    const { ttlSeconds, paymentTimeoutSeconds, events } = this.settings;
    return {
      ...request,
      ttlSeconds,
      paymentTimeoutSeconds,
      // Fixed once the call has its slot (a wait in the queue never shortens a hold), so every search attribute is
      // given at the start.
      expiresAt: new Date(Date.now() + ttlSeconds * 1000).toISOString(),
      // The caller is answered by then, one way or the other: a reservation that runs later refuses.
      answerBy: new Date(deadline).toISOString(),
      ...(events ? { events } : {}),
    };
  }
}

/** The run finished while the reserve update waited (Update-with-Start), or before it was sent (after a start). */
function closedMeanwhile(err: unknown): boolean {
  if (err instanceof WorkflowNotFoundError) return true;
  return /aborted by closing workflow|workflow execution already completed/i.test(String(err));
}

/**
 * How a hold's workflow is started and its reservation's answer obtained: one of the two below, chosen once when the
 * API process boots (HOLD_EAGER_START). Both answer with the reserved hold or throw: a WorkflowRefusal (the
 * workflow's business refusal), a TemporalUnavailable at `deadline`, a CallerGone when `gone` aborts. Giving up
 * does not cancel what was sent: the caller then abandons the hold in the database (sale/holds.ts).
 */
export interface HoldStart {
  readonly how: 'eager' | 'update_with_start';
  start(input: HoldWorkflowInput, deadline: number, gone?: AbortSignal): Promise<HoldView>;
}

/** Counts of the ways holds actually started (an eager start the server declines is answered by the update). */
export type HoldStartCounts = Record<'eager' | 'update_with_start', number>;

/** Update-with-Start: one call starts the workflow and waits for its `reserve` update, which the workflow answers. */
export function updateWithStart(client: () => Client, taskQueue: string, counts: HoldStartCounts): HoldStart {
  return {
    how: 'update_with_start',
    start(input, deadline, gone) {
      counts.update_with_start++;
      const c = client();
      const call = c.withDeadline(deadline, () =>
        c.workflow.executeUpdateWithStart(reserveUpdate, {
          startWorkflowOperation: new WithStartWorkflowOperation<typeof holdWorkflowV2>(
            HOLD_WORKFLOW_TYPE,
            holdStartOptions(input, taskQueue),
          ),
          updateId: 'reserve',
        }),
      );
      return beforeDeadline(call, deadline, gone);
    },
  };
}

/** How long the start's own round trip may take: Temporal down is a quick 503, not the whole call deadline. */
export const EAGER_START_ROUND_TRIP_MS = 2_000;

/**
 * Eager start: a plain start asking the server to hand the first workflow task straight back to this process's hold
 * worker (on the same NativeConnection), whose local activity reserves and settles `waiters` in-process. When the
 * server runs the start elsewhere (no free slot here, or a retry attaching to a run already started), the
 * workflow's `reserve` update answers, as after Update-with-Start.
 */
export function eagerStart(
  client: () => Client,
  waiters: ReservationWaiters,
  taskQueue: string,
  counts: HoldStartCounts,
): HoldStart {
  return {
    how: 'eager',
    async start(input, deadline, gone) {
      const { outcome, done } = waiters.expect(input.holdId);
      try {
        const c = client();
        const startBy = Math.min(deadline, Date.now() + EAGER_START_ROUND_TRIP_MS);
        const starting = c.withDeadline(startBy, () =>
          c.workflow.start<typeof holdWorkflowV2>(HOLD_WORKFLOW_TYPE, {
            ...holdStartOptions(input, taskQueue),
            requestEagerStart: true,
          }),
        );
        const handle = await beforeDeadline(starting, startBy, gone);
        if (!handle.eagerlyStarted) {
          counts.update_with_start++;
          const answer = c.withDeadline(deadline, () => handle.executeUpdate(reserveUpdate, { updateId: 'reserve' }));
          return await beforeDeadline(answer, deadline, gone);
        }
        counts.eager++;
        const reserved = await beforeDeadline(outcome, deadline, gone);
        if (reserved.kind === 'held') return reserved.hold;
        throw new WorkflowRefusal(reserved.failure.type ?? 'Unknown', (reserved.failure.details as unknown[]) ?? []);
      } finally {
        done();
      }
    },
  };
}
