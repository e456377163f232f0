import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { temporalConnectionSettings } from '../../src/temporal/options';

const dir = mkdtempSync(path.join(tmpdir(), 'temporal-tls-'));
const file = (name: string, content: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
};
const cert = file('client.pem', 'CERT');
const key = file('client.key', 'KEY');
const ca = file('ca.pem', 'CA');

describe('Temporal connection settings', () => {
  test('the local dev server: plain gRPC, no credentials', () => {
    expect(temporalConnectionSettings(loadConfig({}))).toEqual({ address: '127.0.0.1:7233' });
  });

  test('mTLS reads the certificate pair, CA and server name from the configured paths', () => {
    const s = temporalConnectionSettings(
      loadConfig({
        TEMPORAL_ADDRESS: 'shop.a1b2c.tmprl.cloud:7233',
        TEMPORAL_TLS_CERT_PATH: cert,
        TEMPORAL_TLS_KEY_PATH: key,
        TEMPORAL_TLS_CA_PATH: ca,
        TEMPORAL_TLS_SERVER_NAME: 'frontend.internal',
      }),
    );
    expect(s.address).toBe('shop.a1b2c.tmprl.cloud:7233');
    expect(s.tls?.clientCertPair?.crt.toString()).toBe('CERT');
    expect(s.tls?.clientCertPair?.key.toString()).toBe('KEY');
    expect(s.tls?.serverRootCACertificate?.toString()).toBe('CA');
    expect(s.tls?.serverNameOverride).toBe('frontend.internal');
    expect(s.apiKey).toBeUndefined();
  });

  test('an API key (Temporal Cloud) turns TLS on without a client certificate', () => {
    const s = temporalConnectionSettings(loadConfig({ TEMPORAL_API_KEY: 'key-123' }));
    expect(s.apiKey).toBe('key-123');
    expect(s.tls).toEqual({});
  });

  test('a certificate without its key, or a missing file, stops start-up naming the variable', () => {
    expect(() => loadConfig({ TEMPORAL_TLS_CERT_PATH: cert })).toThrow(/TEMPORAL_TLS_KEY_PATH/);
    expect(() =>
      loadConfig({ TEMPORAL_TLS_CERT_PATH: path.join(dir, 'nope.pem'), TEMPORAL_TLS_KEY_PATH: key }),
    ).toThrow(/TEMPORAL_TLS_CERT_PATH: file not found/);
  });
});
