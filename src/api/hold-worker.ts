import { Client } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Sequelize } from 'sequelize';
import type { ProductCache } from '../cache/product-cache';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { handingBackReservations, ReservationWaiters, type EagerStarter } from '../temporal/eager-start';
import { temporalConnectionSettings } from '../temporal/options';
import { holdWorkerOptions, workerActivities, workflowBundleOf } from '../worker/worker';

export interface ApiHoldWorker {
  /** The eager starter once this process's hold worker runs; null before, and after it stopped. */
  starter: () => EagerStarter | null;
  close: () => Promise<void>;
}

export type WorkflowBundleOption = WorkerOptions['workflowBundle'];

const RECONNECT_MS = 2_000;

/**
 * The hold worker of an API process with HOLD_EAGER_START (temporal/eager-start.ts). It starts in the background: the
 * API serves at once, with Update-with-Start until this worker runs, and again if it ever stops. Temporal down at
 * start-up: it retries the connection every two seconds. It runs workflow tasks of the holds' task queue like any
 * worker (the holds it starts stay in its cache, so their timers come back to it) and local activities, but no
 * scheduled activities: those stay with the worker processes.
 */
export function startApiHoldWorker(
  config: Config,
  deps: { db: Sequelize; cache: ProductCache; log: Logger },
  prebuilt?: WorkflowBundleOption,
) {
  const { db, cache, log } = deps;
  let starter: EagerStarter | null = null;
  let closing = false;
  let worker: Worker | null = null;

  const connect = async (): Promise<NativeConnection | null> => {
    while (!closing) {
      try {
        return await NativeConnection.connect(temporalConnectionSettings(config));
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'hold worker: Temporal unreachable, holds use Update-with-Start');
        await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
      }
    }
    return null;
  };

  const run = async () => {
    const connection = await connect();
    if (!connection) return;
    try {
      const workflowBundle = await workflowBundleOf(prebuilt, quietBundler);
      const waiters = new ReservationWaiters();
      const activities = workerActivities(config, { db, cache, log });
      worker = await Worker.create({
        ...holdWorkerOptions(config, connection, workflowBundle, handingBackReservations(activities, waiters)),
        // Workflow tasks and local activities (the reservation, the expiry's release) only: a client's order, release
        // or extension and the outbound events stay scheduled activities of the worker processes, which scale apart.
        enableNonLocalActivities: false,
      });
      const done = worker.run();
      // Closed while this worker was being made: it still has to run to be shut down and let the process exit.
      if (closing) {
        worker.shutdown();
        return await done;
      }
      const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
      starter = { client, waiters };
      log.info({ task_queue: config.TASK_QUEUE }, 'hold worker running: holds start eagerly');
      await done;
    } catch (err) {
      log.error({ err: (err as Error).message }, 'hold worker stopped: holds use Update-with-Start');
    } finally {
      starter = null;
      await connection.close().catch(() => undefined);
    }
  };
  const running = run();

  return {
    starter: () => starter,
    close: async () => {
      closing = true;
      starter = null;
      try {
        worker?.shutdown();
      } catch {
        // Not running (never started, or already stopping): nothing to stop.
      }
      await running;
    },
  } satisfies ApiHoldWorker;
}

const quietBundler = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
