import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';

/** The reservation's local activity: short attempts (a lock wait is bounded at 3 s), retried for up to 30 s. */
export const RESERVATION_OPTIONS: LocalActivityOptions = {
  startToCloseTimeout: '5s',
  scheduleToCloseTimeout: '30s',
  retry: { initialInterval: '50ms', maximumInterval: '1s' },
};

/**
 * One database step of a workflow (an order, a release, an extension, an expiry, a cancellation, a read), scheduled
 * or local: short attempts, retried without a cap, because giving stock back must eventually happen.
 */
export const DB_STEP_OPTIONS: ActivityOptions & LocalActivityOptions = {
  startToCloseTimeout: '10s',
  retry: { initialInterval: '200ms', maximumInterval: '10s' },
};
