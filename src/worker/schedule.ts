import type { Duration } from '@temporalio/common';
import {
  ScheduleAlreadyRunning,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleHandle,
  type ScheduleOptions,
} from '@temporalio/client';
import { SWEEP_OVERTIME_SECONDS } from '../activities/sweep';
import { sweepTaskQueue, type Config } from '../config';
import type { Logger } from '../logger';
import type { PurgeInput } from '../shared/retention';
import type { SweepInput } from '../shared/types';

interface ScheduleSettings<Input> {
  scheduleId: string;
  taskQueue: string;
  intervalSeconds: number;
  input: Input;
}

export type SweepScheduleSettings = ScheduleSettings<SweepInput>;
export type PurgeScheduleSettings = ScheduleSettings<PurgeInput>;

/** Created; updated in place; or updated, and its run on another task queue ended (`endRunsElsewhere`). */
export type ScheduleOutcome = 'created' | 'updated' | 'moved';

/**
 * Creates a Schedule that starts `workflowType` every interval, or brings an existing one up to date; safe from any
 * number of workers starting at once.
 */
async function ensureSchedule(
  client: Client,
  s: ScheduleSettings<unknown>,
  workflowType: string,
  purpose: string,
  runTimeout?: Duration,
): Promise<ScheduleOutcome> {
  const options = {
    scheduleId: s.scheduleId,
    spec: { intervals: [{ every: `${s.intervalSeconds}s` }] },
    action: {
      type: 'startWorkflow' as const,
      workflowType,
      workflowId: `${s.scheduleId}-run`,
      taskQueue: s.taskQueue,
      args: [s.input],
      ...(runTimeout ? { workflowExecutionTimeout: runTimeout } : {}),
    },
    policies: {
      // One run at a time, and after an outage one catch-up run rather than a burst of them.
      overlap: ScheduleOverlapPolicy.SKIP,
      catchupWindow: `${Math.max(s.intervalSeconds * 2, 10)}s`,
    },
    memo: { purpose },
  } satisfies ScheduleOptions;
  try {
    await client.schedule.create(options);
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    const handle = client.schedule.getHandle(s.scheduleId);
    await handle.update((prev) => ({
      ...prev,
      spec: options.spec,
      action: options.action,
      policies: { ...prev.policies, ...options.policies },
    }));
    return (await endRunsElsewhere(client, handle, s.taskQueue)) > 0 ? 'moved' : 'updated';
  }
}

/**
 * Ends the Schedule's running run when it sits on another task queue than the one it now starts on (TASK_QUEUE or
 * SWEEP_TASK_QUEUE changed, or another deployment's workers pointed the Schedule at theirs): once no worker polls that
 * queue, the run would never end, and with overlap SKIP every later tick would be skipped behind it. The next tick
 * starts a run on this queue. Ending a run on a queue still polled costs nothing: each run's work is idempotent.
 * Answers how many runs it ended; a run that closes meanwhile is left alone, and nothing here stops a worker's start.
 */
async function endRunsElsewhere(client: Client, schedule: ScheduleHandle, taskQueue: string): Promise<number> {
  let ended = 0;
  try {
    for (const { workflow } of (await schedule.describe()).info.runningActions) {
      const run = client.workflow.getHandle(workflow.workflowId, workflow.firstExecutionRunId);
      const { taskQueue: its, status } = await run.describe();
      if (status.name !== 'RUNNING' || its === taskQueue) continue;
      await run.terminate(
        `the Schedule ${schedule.scheduleId} now starts its runs on task queue ${taskQueue}, not ${its}`,
      );
      ended++;
    }
  } catch {
    // A run that closed between the two reads, or Temporal unreachable: the run timeout is the backstop.
  }
  return ended;
}

/** The backup sweep's Schedule: releases holds and cancels unpaid orders whose own timers did not. */
export const ensureSweepSchedule = (client: Client, s: SweepScheduleSettings) =>
  // A run lasts its watch, plus overtime while a storm lasts (src/activities/sweep.ts); a run that cannot end (its
  // queue no longer polled, and not ended by endRunsElsewhere) times out a little later: ticks are not skipped for
  // ever.
  ensureSchedule(
    client,
    s,
    'sweepWorkflow',
    'Backup release of expired holds and unpaid orders',
    `${(s.input.watchSeconds ?? 0) + SWEEP_OVERTIME_SECONDS + 120}s`,
  );

/** Retention's Schedule: deletes expired idempotency keys, delivered events, and closed holds and orders. */
export const ensurePurgeSchedule = (client: Client, s: PurgeScheduleSettings) =>
  // A run stranded on a task queue no worker polls any more (TASK_QUEUE renamed) would hold back every later run
  // (overlap SKIP): it times out instead, and the next tick goes on where it stopped.
  ensureSchedule(client, s, 'purgeWorkflow', 'Retention: deletes records past their keep time', '6h');

/** The purge's settings from the configuration; it runs on the sweep's task queue (small, never behind a storm). */
export const purgeScheduleSettings = (config: Config): PurgeScheduleSettings => ({
  scheduleId: config.PURGE_SCHEDULE_ID,
  taskQueue: sweepTaskQueue(config),
  intervalSeconds: config.PURGE_INTERVAL_SECONDS,
  input: {
    retentionDays: config.RETENTION_DAYS,
    deliveryRetentionDays: config.DELIVERY_RETENTION_DAYS,
    batchSize: config.PURGE_BATCH_SIZE,
  },
});

/** Both Schedules, created or updated at every worker's start. */
export async function ensureSchedules(client: Client, config: Config, log: Logger): Promise<void> {
  const sweep = await ensureSweepSchedule(client, {
    scheduleId: config.SWEEP_SCHEDULE_ID,
    taskQueue: sweepTaskQueue(config),
    intervalSeconds: config.SWEEP_INTERVAL_SECONDS,
    input: {
      graceSeconds: config.SWEEP_GRACE_SECONDS,
      paymentTimeoutSeconds: config.PAYMENT_TIMEOUT_SECONDS,
      batchSize: 500,
      // Each run keeps watching until just before the next tick (at most 10 minutes, inside the activity's
      // 30-minute timeout), and longer while holds are lapsing: a sweeper is nearly always running.
      watchSeconds: Math.min(Math.max(config.SWEEP_INTERVAL_SECONDS - 2, 0), 600),
    },
  });
  log.info({ schedule_id: config.SWEEP_SCHEDULE_ID, outcome: sweep }, 'sweep schedule ready');
  const purge = await ensurePurgeSchedule(client, purgeScheduleSettings(config));
  log.info(
    { schedule_id: config.PURGE_SCHEDULE_ID, outcome: purge, retention_days: config.RETENTION_DAYS },
    'purge schedule ready',
  );
}
