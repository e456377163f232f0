import { toClientOptions, type ClientConfigProfile, type ClientConfigTLS } from '@temporalio/envconfig';
import type { TLSConfig } from '@temporalio/common/lib/internal-non-workflow';
import type { Config } from '../config';

export interface TemporalConnectionSettings {
  address: string;
  /** `true`: TLS with the system's CAs; an object: mTLS, a CA or a server name; absent: plain gRPC. */
  tls?: TLSConfig | boolean;
  apiKey?: string;
}

const source = (path: string | undefined, data: string | undefined) =>
  path ? { path } : data !== undefined ? { data } : undefined;

/**
 * How to reach Temporal, from the standard TEMPORAL_* settings (src/config.ts has already merged the temporal CLI's
 * profile into them): plain gRPC for the local dev server; TLS when any TLS setting or an API key is given, unless
 * TEMPORAL_TLS=false. @temporalio/envconfig turns them into connection options exactly as for any Temporal SDK
 * client. The same settings serve the API's client and the worker's native connection.
 */
export function temporalConnectionSettings(c: Config): TemporalConnectionSettings {
  const tls: ClientConfigTLS = {
    ...(c.TEMPORAL_TLS === false ? { disabled: true } : {}),
    serverName: c.TEMPORAL_TLS_SERVER_NAME,
    clientCert: source(c.TEMPORAL_TLS_CLIENT_CERT_PATH, c.TEMPORAL_TLS_CLIENT_CERT_DATA),
    clientKey: source(c.TEMPORAL_TLS_CLIENT_KEY_PATH, c.TEMPORAL_TLS_CLIENT_KEY_DATA),
    serverCACert: source(c.TEMPORAL_TLS_SERVER_CA_CERT_PATH, c.TEMPORAL_TLS_SERVER_CA_CERT_DATA),
  };
  const anyTls = c.TEMPORAL_TLS !== undefined || Object.values(tls).some((v) => v !== undefined);
  const profile: ClientConfigProfile = {
    address: c.TEMPORAL_ADDRESS,
    ...(c.TEMPORAL_API_KEY ? { apiKey: c.TEMPORAL_API_KEY } : {}),
    ...(anyTls ? { tls } : {}),
  };
  const { connectionOptions } = toClientOptions(profile);
  const tlsOptions =
    typeof connectionOptions.tls === 'object' && connectionOptions.tls !== null
      ? withoutUndefined(connectionOptions.tls as Record<string, unknown>)
      : connectionOptions.tls;
  return {
    address: c.TEMPORAL_ADDRESS,
    ...(tlsOptions !== undefined && tlsOptions !== null && tlsOptions !== false ? { tls: tlsOptions } : {}),
    ...(connectionOptions.apiKey ? { apiKey: connectionOptions.apiKey as string } : {}),
  };
}

function withoutUndefined<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
