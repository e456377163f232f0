import { readFileSync } from 'node:fs';
import type { Config } from '../config';

export interface TemporalConnectionSettings {
  address: string;
  tls?: {
    serverNameOverride?: string;
    serverRootCACertificate?: Buffer;
    clientCertPair?: { crt: Buffer; key: Buffer };
  };
  apiKey?: string;
}

/**
 * How to reach Temporal: plain gRPC for the local dev server; mTLS (self-hosted cluster or Temporal Cloud
 * with certificates) or an API key (Temporal Cloud) when configured. The same settings serve the API's client
 * and the worker's native connection.
 */
export function temporalConnectionSettings(c: Config): TemporalConnectionSettings {
  const mtls = c.TEMPORAL_TLS_CERT_PATH && c.TEMPORAL_TLS_KEY_PATH;
  const useTls = Boolean(mtls || c.TEMPORAL_TLS_CA_PATH || c.TEMPORAL_API_KEY);
  return {
    address: c.TEMPORAL_ADDRESS,
    ...(useTls
      ? {
          tls: {
            ...(c.TEMPORAL_TLS_SERVER_NAME ? { serverNameOverride: c.TEMPORAL_TLS_SERVER_NAME } : {}),
            ...(c.TEMPORAL_TLS_CA_PATH ? { serverRootCACertificate: readFileSync(c.TEMPORAL_TLS_CA_PATH) } : {}),
            ...(mtls
              ? {
                  clientCertPair: {
                    crt: readFileSync(c.TEMPORAL_TLS_CERT_PATH!),
                    key: readFileSync(c.TEMPORAL_TLS_KEY_PATH!),
                  },
                }
              : {}),
          },
        }
      : {}),
    ...(c.TEMPORAL_API_KEY ? { apiKey: c.TEMPORAL_API_KEY } : {}),
  };
}
