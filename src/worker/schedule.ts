import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import type { SweepInput } from '../shared/types';

export interface SweepScheduleSettings {
  scheduleId: string;
  taskQueue: string;
  intervalSeconds: number;
  input: SweepInput;
}

/** Creates the backup sweep's Schedule, or brings an existing one up to date; safe from any number of workers. */
export async function ensureSweepSchedule(client: Client, s: SweepScheduleSettings): Promise<'created' | 'updated'> {
  const options = {
    scheduleId: s.scheduleId,
    spec: { intervals: [{ every: `${s.intervalSeconds}s` }] },
    action: {
      type: 'startWorkflow' as const,
      workflowType: 'sweepWorkflow',
      workflowId: `${s.scheduleId}-run`,
      taskQueue: s.taskQueue,
      args: [s.input],
    },
    policies: {
      // One sweep at a time, and after an outage one catch-up run rather than a burst of them.
      overlap: ScheduleOverlapPolicy.SKIP,
      catchupWindow: `${Math.max(s.intervalSeconds * 2, 10)}s`,
    },
    memo: { purpose: 'Backup release of expired holds and unpaid orders' },
  } satisfies ScheduleOptions;
  try {
    await client.schedule.create(options);
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(s.scheduleId).update((prev) => ({
      ...prev,
      spec: options.spec,
      action: options.action,
      policies: { ...prev.policies, ...options.policies },
    }));
    return 'updated';
  }
}
