import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';

import type { TemporalConnectionSettings } from './options';

export interface TemporalOptions extends TemporalConnectionSettings {
  namespace: string;
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
  return new Client({ connection, namespace });
}
