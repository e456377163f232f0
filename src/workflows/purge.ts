import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { PurgeInput, PurgeResult } from '../shared/retention';

const { purgeExpired } = proxyActivities<Activities>({
  // A backlog (the first run on a year of data) takes a while in small batches; each batch heartbeats.
  startToCloseTimeout: '1h',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '5s', maximumInterval: '1m', maximumAttempts: 5 },
});

/** Run by the purge Schedule: deletes idempotency keys, delivered events, and closed holds and orders past retention. */
export async function purgeWorkflow(input: PurgeInput): Promise<PurgeResult> {
  return purgeExpired(input);
}
