import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { SweepInput, SweepResult } from '../shared/types';

const { sweepExpired } = proxyActivities<Activities>({
  // A run watches for up to its interval, plus overtime while a storm lasts (src/activities/sweep.ts).
  startToCloseTimeout: '30m',
  // A watcher lost with its worker is retried this soon; meanwhile the Schedule skips its ticks (overlap SKIP).
  heartbeatTimeout: '10s',
  retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 5 },
});

/** Run by the Schedule: releases holds and cancels orders whose own timers did not (yet) settle them. */
export async function sweepWorkflow(input: SweepInput): Promise<SweepResult> {
  return sweepExpired(input);
}
