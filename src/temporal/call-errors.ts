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
/** Temporal (or a worker) did not answer within the deadline. */
export class TemporalUnavailable extends Error {}

/** The in-process reservation outcome, or a TemporalUnavailable once the call's deadline has passed. */
export async function beforeDeadline<T>(outcome: Promise<T>, deadline: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new TemporalUnavailable('no reservation within the call deadline')),
      deadline - Date.now(),
    );
  });
  try {
    return await Promise.race([outcome, late]);
  } finally {
    clearTimeout(timer);
  }
}

export function translate(err: unknown): Error {
  if (err instanceof WorkflowRefusal || err instanceof WorkflowClosed || err instanceof TemporalUnavailable) return err;
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
