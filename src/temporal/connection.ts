import { Client, Connection } from '@temporalio/client';

export interface TemporalOptions {
  address: string;
  namespace: string;
}

/** Connects lazily-tolerant: the API starts even when Temporal is down and answers 503 until it is back. */
export async function connectClient({ address, namespace }: TemporalOptions): Promise<Client> {
  const connection = Connection.lazy({ address, connectTimeout: 5_000 });
  return new Client({ connection, namespace });
}
