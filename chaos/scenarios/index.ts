import type { Scenario } from '../scenario';
import { baseline } from './baseline';
import { expiryRace, webhookRaces } from './flows';
import { nemesisSoak } from './soak';
import { replicas } from './replicas';
import { shardedStampede } from './shards';
import { mariadbDown, mariadbHang, mariadbLongOutage, poisonedCache, redisOutage } from './stores';
import { sweepMissedTick, temporalRestart, webhookTemporalDown } from './temporal';
import {
  releaseKillAfterCommit,
  releaseKillBeforeCommit,
  reserveKillAfterCommit,
  reserveKillBeforeCommit,
  timersWorkerDown,
  workerSigstop,
  workerSigterm,
} from './worker';

export interface ScenarioOptions {
  soakSeconds: number;
}

/** Every scenario, in the order `npm run chaos` runs them. */
export function scenarios(opts: ScenarioOptions): Scenario[] {
  return [
    baseline,
    reserveKillBeforeCommit,
    reserveKillAfterCommit,
    releaseKillBeforeCommit,
    releaseKillAfterCommit,
    timersWorkerDown,
    workerSigstop,
    workerSigterm,
    temporalRestart,
    sweepMissedTick,
    webhookTemporalDown,
    mariadbDown,
    mariadbHang,
    mariadbLongOutage,
    redisOutage,
    poisonedCache,
    shardedStampede,
    webhookRaces,
    expiryRace,
    replicas,
    nemesisSoak(opts.soakSeconds),
  ];
}
