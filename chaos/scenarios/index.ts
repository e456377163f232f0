import type { Scenario } from '../scenario';
import { baseline } from './baseline';
import { eagerApiKill } from './eager';
import { eventsReceiverDown, eventsWorkerKill } from './events';
import { expiryRace, webhookRaces } from './flows';
import { latePaidVsTimeout } from './late-payments';
import { paymentKillAfterCommit, paymentKillBeforeCommit, paymentOutcomes } from './payments';
import { replicas } from './replicas';
import { shardedStampede } from './shards';
import { reserveStallPhantom, temporalStallPhantom } from './phantoms';
import { nemesisSoak, workerKillDuringDbStall } from './soak';
import { mariadbCrash, mariadbDown, mariadbHang, mariadbLongOutage } from './mariadb';
import { poisonedCache, redisCrash, redisOutage } from './redis';
import { sweepMissedTick, temporalRestart, webhookTemporalDown } from './temporal';
import { rollingUpgrade } from './upgrade';
import {
  releaseKillAfterCommit,
  releaseKillBeforeCommit,
  reserveKillAfterCommit,
  reserveKillBeforeCommit,
  timersWorkerDown,
  workerSigstop,
  workerKillUnderLoad,
  workerSigterm,
} from './worker';

export interface ScenarioOptions {
  soakSeconds: number;
  /** The CI smoke: fewer rounds where a scenario has rounds. */
  smoke?: boolean;
}

/**
 * `npm run chaos -- --smoke` (CI): worker SIGKILL under load, Temporal SIGKILL, MariaDB SIGKILL, the expiry-instant
 * race, and Temporal frozen past the API's deadline (no phantom hold).
 */
export const SMOKE = [
  'worker-kill-under-load',
  'temporal-restart',
  'temporal-stall-phantom',
  'mariadb-crash',
  'expiry-race',
];

/**
 * A scenario whose faults sit in the hold path runs twice: on the service's default (holds start eagerly in the API,
 * so its kill points, freezes and drains hit the API process and its hold worker under load) and, in a row of its own
 * named `-worker-holds`, with HOLD_EAGER_START=false (every hold in the worker processes).
 */
function bothModes(s: Scenario): Scenario[] {
  return [
    { ...s, holdsOn: undefined },
    {
      ...s,
      name: `${s.name}-worker-holds`,
      title: `HOLD_EAGER_START=false (holds in the worker only): ${s.title}`,
      holdsOn: 'worker',
    },
  ];
}

/**
 * Every scenario, in the order `npm run chaos` runs them. A new scenario is a `Scenario` (name, title, run(ctx)) in a
 * file of this directory, added here; the runner gives it the background load, the sampling checkers and the results
 * row.
 */
export function scenarios(opts: ScenarioOptions): Scenario[] {
  return [
    baseline,
    paymentOutcomes,
    ...bothModes(reserveKillBeforeCommit),
    ...bothModes(reserveKillAfterCommit),
    ...bothModes(releaseKillBeforeCommit),
    ...bothModes(releaseKillAfterCommit),
    workerKillUnderLoad,
    eagerApiKill,
    ...bothModes(timersWorkerDown),
    ...bothModes(workerSigstop),
    ...bothModes(workerSigterm),
    temporalRestart,
    temporalStallPhantom,
    reserveStallPhantom,
    sweepMissedTick,
    webhookTemporalDown,
    mariadbCrash,
    ...bothModes(mariadbDown),
    mariadbHang,
    ...bothModes(mariadbLongOutage),
    redisCrash,
    redisOutage,
    poisonedCache,
    paymentKillBeforeCommit,
    paymentKillAfterCommit,
    workerKillDuringDbStall,
    shardedStampede,
    webhookRaces,
    latePaidVsTimeout,
    eventsReceiverDown,
    eventsWorkerKill,
    expiryRace(opts.smoke ? 2 : 4),
    replicas,
    rollingUpgrade,
    nemesisSoak(opts.soakSeconds),
  ];
}
