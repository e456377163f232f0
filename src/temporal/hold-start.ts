import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { reserveUpdate } from '../shared/messages';
import type { HoldWorkflowInput } from '../shared/types';
import type { HoldView } from '../shared/views';
import type { holdWorkflowV2 } from '../workflows/hold';
import { beforeDeadline, WorkflowRefusal } from './call-errors';
import { HOLD_WORKFLOW_TYPE, holdStartOptions } from './hold-options';
import type { ReservationWaiters } from './reservation-waiters';

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
