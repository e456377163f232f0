import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import { temporalClientInterceptors } from '../telemetry';
import { updateWithStart, type HoldStart, type HoldStartCounts } from './holds';
import type { TemporalConnectionSettings } from './options';

export interface TemporalOptions extends TemporalConnectionSettings {
  namespace: string;
}

/** An API process's one link to Temporal: its client, its hold start strategy, and (eager start) its hold worker. */
export interface TemporalLink {
  /** This process's client; throws TemporalUnavailable while there is none yet. */
  client: () => Client;
  start: HoldStart;
  /** How holds actually started (flash_sale_hold_starts_total). */
  counts: HoldStartCounts;
  /** The supervised hold worker of eager start; absent with Update-with-Start. */
  holdWorker?: { running: () => boolean; restarts: () => number };
  close: () => Promise<void>;
}

/**
 * Connects lazily-tolerant: the API starts even when Temporal is down and answers 503 until it is back.
 * An unreachable server fails a call after a few quick retries (about a second) rather than the SDK's
 * default ten with backoff, which would hold every request for the whole call deadline before its 503.
 */
export async function connectClient({ namespace, ...settings }: TemporalOptions): Promise<Client> {
  const connection = Connection.lazy({
    ...settings,
    connectTimeout: 5_000,
    interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 4 }))],
  });
  return new Client({ connection, namespace, interceptors: temporalClientInterceptors() });
}

/** The link of an API process that only calls Temporal (HOLD_EAGER_START=false): holds use Update-with-Start. */
export async function clientOnlyLink(options: TemporalOptions, taskQueue: string): Promise<TemporalLink> {
  const client = await connectClient(options);
  const counts: HoldStartCounts = { eager: 0, update_with_start: 0 };
  return {
    client: () => client,
    start: updateWithStart(() => client, taskQueue, counts),
    counts,
    close: () => client.connection.close().catch(() => undefined),
  };
}
