import { ApplicationFailure } from '@temporalio/common';
import { Client } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Sequelize } from 'sequelize';
import type { Activities } from '../activities';
import type { ProductCache } from '../cache/product-cache';
import { tracingConfigured } from '../telemetry';
import type { Config } from '../config';
import type { FaultPoints } from '../faults';
import type { Logger } from '../logger';
import { temporalClientInterceptors } from '../telemetry';
import { TemporalUnavailable } from '../temporal/call-errors';
import type { TemporalLink } from '../temporal/connection';
import { eagerStart, type HoldStart, type HoldStartCounts } from '../temporal/holds';
import { temporalConnectionSettings } from '../temporal/options';
import { ReservationWaiters } from '../temporal/reservation-waiters';
import { holdWorkerOptions, workerActivities, workflowBundleOf } from './worker';

export type WorkflowBundleOption = WorkerOptions['workflowBundle'];

/** Back-off between restarts of the hold worker (and reconnects): doubling from the first, up to the last. */
export const RESTART_BACKOFF_MS = { first: 1_000, max: 30_000 };

/** The reservation activity, also settling the HTTP call that waits for it in this process (eager start). */
export function handingBackReservations(activities: Activities, waiters: ReservationWaiters): Activities {
  return {
    ...activities,
    async reserveStock(input) {
      try {
        const hold = await activities.reserveStock(input);
        waiters.settle(input.holdId, { kind: 'held', hold });
        return hold;
      } catch (err) {
        if (err instanceof ApplicationFailure && err.nonRetryable) {
          waiters.settle(input.holdId, { kind: 'refused', failure: err });
        }
        throw err;
      }
    },
  };
}

/**
 * An API process's link to Temporal with HOLD_EAGER_START: ONE NativeConnection serves both this process's client
 * (holds, orders, releases, signals) and its hold worker, on which holds start eagerly. The worker is supervised:
 * connected in the background (the API serves at once and answers 503 until Temporal answers), restarted with
 * back-off whenever it stops, and reported by `holdWorker.running()` (the /ready probe and the metric).
 *
 * Its scope: workflow tasks of the holds' task queue and local activities only (the reservation, an expiry's
 * release). A client's order, release or extension and the outbound events are scheduled activities that only the
 * worker processes run; the holds this process started stay in its cache, so their timers come back to it.
 */
export class SupervisedHoldWorker implements TemporalLink {
  readonly counts: HoldStartCounts = { eager: 0, update_with_start: 0 };
  readonly start: HoldStart;
  readonly holdWorker = { running: () => this.running, restarts: () => this.restarts };
  private readonly waiters = new ReservationWaiters();
  private connection: NativeConnection | null = null;
  private current: Client | null = null;
  private worker: Worker | null = null;
  private running = false;
  private closing = false;
  private restarts = 0;
  private wake: (() => void) | null = null;
  private readonly life: Promise<void>;

  constructor(
    private readonly config: Config,
    private readonly deps: { db: Sequelize; cache: ProductCache; log: Logger; faults?: FaultPoints },
    private readonly prebuilt?: WorkflowBundleOption,
  ) {
    this.start = eagerStart(this.client, this.waiters, config.TASK_QUEUE, this.counts);
    this.life = this.supervise();
  }

  /** This process's client; TemporalUnavailable (nothing sent) until the connection is up. */
  client = (): Client => {
    if (!this.current) throw new TemporalUnavailable('not connected to Temporal yet', false);
    return this.current;
  };

  async close(): Promise<void> {
    this.closing = true;
    this.wake?.();
    try {
      this.worker?.shutdown();
    } catch {
      // Not running (never started, or already stopping): nothing to stop.
    }
    await this.life;
    await this.connection?.close().catch(() => undefined);
  }

  /** Runs the worker, again and again, until the process closes. */
  private async supervise() {
    const { log } = this.deps;
    const activities = handingBackReservations(workerActivities(this.config, this.deps), this.waiters);
    let bundle: NonNullable<WorkflowBundleOption> | null = null;
    let delay = RESTART_BACKOFF_MS.first;
    while (!this.closing) {
      const began = Date.now();
      try {
        bundle ??= await workflowBundleOf(tracingConfigured(this.config), this.prebuilt, quietBundler);
        await this.runOnce(activities, bundle);
        if (!this.closing) log.error('hold worker stopped: restarting it');
      } catch (err) {
        log.error({ err: (err as Error).message, retry_ms: delay }, 'hold worker down: holds wait for it (503)');
      }
      if (this.closing) break;
      this.restarts++;
      // A life that ran a good while earns a quick restart; one that failed at once backs off further.
      if (Date.now() - began > RESTART_BACKOFF_MS.max) delay = RESTART_BACKOFF_MS.first;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, delay);
      });
      delay = Math.min(delay * 2, RESTART_BACKOFF_MS.max);
    }
  }

  /** One life of the worker: connects if needed, runs until the worker stops. */
  private async runOnce(activities: Activities, bundle: NonNullable<WorkflowBundleOption>) {
    const { config } = this;
    this.connection ??= await NativeConnection.connect(temporalConnectionSettings(config));
    this.current ??= new Client({
      connection: this.connection,
      namespace: config.TEMPORAL_NAMESPACE,
      interceptors: temporalClientInterceptors(),
    });
    this.worker = await Worker.create({
      ...holdWorkerOptions(config, this.connection, bundle, activities),
      enableNonLocalActivities: false,
    });
    const done = this.worker.run();
    if (this.closing) this.worker.shutdown();
    else {
      this.running = true;
      this.deps.log.info(
        { task_queue: config.TASK_QUEUE, restarts: this.restarts },
        'hold worker running: holds start eagerly',
      );
    }
    try {
      await done;
    } finally {
      this.running = false;
    }
  }
}

const quietBundler = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
