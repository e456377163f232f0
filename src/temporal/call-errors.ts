import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { isFailureType, type FailureType } from '../shared/types';

/**
 * The workflow refused with a business reason (its ApplicationFailure's type), e.g. InsufficientStock. `type` is null
 * for a failure type that is not a FailureType: a bug, which the routes answer as an internal error.
 */
export class WorkflowRefusal extends Error {
  readonly type: FailureType | null;
  constructor(
    type: string,
    readonly details: unknown[],
  ) {
    super(`refused: ${type}`);
    this.type = isFailureType(type) ? type : null;
  }
}
/** The workflow has already finished: the database holds the answer. */
export class WorkflowClosed extends Error {}
/**
 * Temporal (or a worker) did not answer within the deadline. `sent: false` when nothing reached Temporal (no call
 * slot in time): no hold can exist for the call.
 */
export class TemporalUnavailable extends Error {
  constructor(
    message: string,
    readonly sent = true,
  ) {
    super(message);
  }
}
/** The HTTP client hung up while its call waited: nobody will read the answer (`sent` as above). */
export class CallerGone extends Error {
  constructor(
    message: string,
    readonly sent = true,
  ) {
    super(message);
  }
}

/**
 * `outcome`, or a TemporalUnavailable once `deadline` has passed, or a CallerGone when `gone` aborts first. Raced, not
 * cancelled: what was sent may still land, which is why a caller that gives up abandons its hold in the database.
 */
export async function beforeDeadline<T>(outcome: Promise<T>, deadline: number, gone?: AbortSignal): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new TemporalUnavailable('no answer within the call deadline')),
      deadline - Date.now(),
    );
    onAbort = () => reject(new CallerGone('the caller went away'));
    if (gone?.aborted) onAbort();
    else gone?.addEventListener('abort', onAbort, { once: true });
  });
  outcome.catch(() => undefined);
  try {
    return await Promise.race([outcome, late]);
  } finally {
    clearTimeout(timer);
    if (onAbort) gone?.removeEventListener('abort', onAbort);
  }
}

export function translate(err: unknown): Error {
  if (
    err instanceof WorkflowRefusal ||
    err instanceof WorkflowClosed ||
    err instanceof TemporalUnavailable ||
    err instanceof CallerGone
  )
    return err;
  if (err instanceof WorkflowUpdateFailedError) {
    if (err.cause instanceof ApplicationFailure) {
      return new WorkflowRefusal(err.cause.type ?? 'Unknown', (err.cause.details as unknown[]) ?? []);
    }
    return err;
  }
  if (err instanceof WorkflowNotFoundError || err instanceof WorkflowExecutionAlreadyStartedError) {
    return new WorkflowClosed((err as Error).message);
  }
  const e = err as { code?: number; name?: string; message?: string };
  // gRPC NOT_FOUND for an update to a completed workflow.
  if (e.code === 5 || /workflow execution already completed/i.test(e.message ?? '')) {
    return new WorkflowClosed(e.message ?? 'closed');
  }
  return new TemporalUnavailable(e.message ?? String(err));
}
