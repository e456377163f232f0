import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TLSConfig } from '@temporalio/common/lib/internal-non-workflow';
import { configWarnings, loadConfig } from '../../src/config';
import { configFailure } from '../support/config';
import { temporalConnectionSettings } from '../../src/temporal/options';

const dir = mkdtempSync(path.join(tmpdir(), 'temporal-tls-'));
const file = (name: string, content: string) => {
  const p = path.join(dir, name);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, content);
  return p;
};
const cert = file('client.pem', 'CERT');
const key = file('client.key', 'KEY');
const ca = file('ca.pem', 'CA');

/** envconfig reads certificates as bytes (Uint8Array); the SDK's connections copy them into Buffers. */
const text = (bytes: Uint8Array | undefined) => bytes && Buffer.from(bytes).toString();
/** A clean environment each time: only what the test passes, so neither the shell nor ~/.config leaks in. */
const settings = (env: Record<string, string>) => temporalConnectionSettings(loadConfig(env));
const tlsOf = (env: Record<string, string>) => settings(env).tls as TLSConfig;
describe('Temporal connection settings (standard TEMPORAL_* names)', () => {
  test('the local dev server: plain gRPC, no credentials', () => {
    expect(settings({})).toEqual({ address: '127.0.0.1:7233' });
  });

  test('mTLS reads the certificate pair, CA and server name from the configured paths', () => {
    const s = settings({
      TEMPORAL_ADDRESS: 'shop.a1b2c.tmprl.cloud:7233',
      TEMPORAL_TLS_CLIENT_CERT_PATH: cert,
      TEMPORAL_TLS_CLIENT_KEY_PATH: key,
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca,
      TEMPORAL_TLS_SERVER_NAME: 'frontend.internal',
    });
    expect(s.address).toBe('shop.a1b2c.tmprl.cloud:7233');
    const tls = s.tls as TLSConfig;
    expect(text(tls.clientCertPair?.crt)).toBe('CERT');
    expect(text(tls.clientCertPair?.key)).toBe('KEY');
    expect(text(tls.serverRootCACertificate)).toBe('CA');
    expect(tls.serverNameOverride).toBe('frontend.internal');
    expect(s.apiKey).toBeUndefined();
  });

  test('certificates can be given as PEM text instead of files', () => {
    const tls = tlsOf({
      TEMPORAL_TLS_CLIENT_CERT_DATA: 'CERT TEXT',
      TEMPORAL_TLS_CLIENT_KEY_DATA: 'KEY TEXT',
      TEMPORAL_TLS_SERVER_CA_CERT_DATA: 'CA TEXT',
    });
    expect(text(tls.clientCertPair?.crt)).toBe('CERT TEXT');
    expect(text(tls.clientCertPair?.key)).toBe('KEY TEXT');
    expect(text(tls.serverRootCACertificate)).toBe('CA TEXT');
  });

  test('an API key (Temporal Cloud) turns TLS on without a client certificate', () => {
    expect(settings({ TEMPORAL_API_KEY: 'key-123' })).toEqual({
      address: '127.0.0.1:7233',
      tls: true,
      apiKey: 'key-123',
    });
  });

  test('TEMPORAL_TLS turns TLS on alone, and off even with an API key', () => {
    expect(settings({ TEMPORAL_TLS: 'true' }).tls).toEqual({});
    expect(settings({ TEMPORAL_TLS: '1' }).tls).toEqual({});
    expect(settings({ TEMPORAL_TLS: 'false', TEMPORAL_API_KEY: 'key-123' })).toEqual({
      address: '127.0.0.1:7233',
      apiKey: 'key-123',
    });
    expect(configFailure({ TEMPORAL_TLS: 'yes' })).toMatch(/TEMPORAL_TLS: must be true or false/);
  });

  test('a certificate without its key, both forms of one file, or a missing file stop start-up naming the variable', () => {
    expect(configFailure({ TEMPORAL_TLS_CLIENT_CERT_PATH: cert })).toMatch(
      /TEMPORAL_TLS_CLIENT_KEY_PATH: .*go together/,
    );
    expect(configFailure({ TEMPORAL_TLS_CLIENT_KEY_DATA: 'KEY' })).toMatch(
      /TEMPORAL_TLS_CLIENT_CERT_PATH: .*go together/,
    );
    expect(
      configFailure({ TEMPORAL_TLS_CLIENT_CERT_PATH: path.join(dir, 'nope.pem'), TEMPORAL_TLS_CLIENT_KEY_PATH: key }),
    ).toMatch(/TEMPORAL_TLS_CLIENT_CERT_PATH: file not found/);
    expect(configFailure({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca, TEMPORAL_TLS_SERVER_CA_CERT_DATA: 'CA' })).toMatch(
      /TEMPORAL_TLS_SERVER_CA_CERT_DATA: give TEMPORAL_TLS_SERVER_CA_CERT_PATH or TEMPORAL_TLS_SERVER_CA_CERT_DATA/,
    );
  });
});

describe('earlier names, kept for one release', () => {
  const old = { TEMPORAL_TLS_CERT_PATH: cert, TEMPORAL_TLS_KEY_PATH: key, TEMPORAL_TLS_CA_PATH: ca };

  test('still configure mTLS, under the standard names, with a warning each', () => {
    const config = loadConfig(old);
    expect(config).toMatchObject({
      TEMPORAL_TLS_CLIENT_CERT_PATH: cert,
      TEMPORAL_TLS_CLIENT_KEY_PATH: key,
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca,
    });
    const tls = temporalConnectionSettings(config).tls as TLSConfig;
    expect(text(tls.clientCertPair?.crt)).toBe('CERT');
    expect(text(tls.serverRootCACertificate)).toBe('CA');
    expect(configWarnings(old)).toEqual([
      'TEMPORAL_TLS_CERT_PATH is deprecated and will be removed in the next release: use TEMPORAL_TLS_CLIENT_CERT_PATH',
      'TEMPORAL_TLS_KEY_PATH is deprecated and will be removed in the next release: use TEMPORAL_TLS_CLIENT_KEY_PATH',
      'TEMPORAL_TLS_CA_PATH is deprecated and will be removed in the next release: use TEMPORAL_TLS_SERVER_CA_CERT_PATH',
    ]);
    expect(configWarnings({})).toEqual([]);
  });

  test('give way to the standard name when both are set, and say so', () => {
    const other = file('other.pem', 'OTHER CA');
    const env = { TEMPORAL_TLS_CA_PATH: ca, TEMPORAL_TLS_SERVER_CA_CERT_PATH: other };
    expect(loadConfig(env).TEMPORAL_TLS_SERVER_CA_CERT_PATH).toBe(other);
    expect(configWarnings(env)).toEqual([
      'TEMPORAL_TLS_CA_PATH is ignored: TEMPORAL_TLS_SERVER_CA_CERT_PATH is set (and TEMPORAL_TLS_CA_PATH will be removed in the next release)',
    ]);
  });

  test('errors name the variable the value was given as', () => {
    expect(configFailure({ TEMPORAL_TLS_CERT_PATH: path.join(dir, 'nope.pem'), TEMPORAL_TLS_KEY_PATH: key })).toMatch(
      /TEMPORAL_TLS_CLIENT_CERT_PATH \(set as TEMPORAL_TLS_CERT_PATH\): file not found/,
    );
  });
});

describe('profiles of the temporal CLI config file', () => {
  const toml = file(
    'temporal.toml',
    `[profile.default]
address = "default.example:7233"
namespace = "shop-dev"

[profile.prod]
address = "shop.a1b2c.tmprl.cloud:7233"
namespace = "shop.a1b2c"
api_key = "from-the-file"

[profile.mtls]
address = "temporal.internal:7233"
[profile.mtls.tls]
client_cert_path = "${cert}"
client_key_path = "${key}"
server_name = "frontend.internal"

[profile.broken]
address = "no port here"
`,
  );

  test('TEMPORAL_CONFIG_FILE and TEMPORAL_PROFILE pick the address, namespace and credentials', () => {
    const config = loadConfig({ TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'prod' });
    expect(config).toMatchObject({ TEMPORAL_ADDRESS: 'shop.a1b2c.tmprl.cloud:7233', TEMPORAL_NAMESPACE: 'shop.a1b2c' });
    expect(temporalConnectionSettings(config)).toEqual({
      address: 'shop.a1b2c.tmprl.cloud:7233',
      tls: true,
      apiKey: 'from-the-file',
    });
  });

  test('without TEMPORAL_PROFILE the "default" profile applies', () => {
    expect(loadConfig({ TEMPORAL_CONFIG_FILE: toml })).toMatchObject({
      TEMPORAL_ADDRESS: 'default.example:7233',
      TEMPORAL_NAMESPACE: 'shop-dev',
    });
  });

  test("a profile's [tls] table configures mTLS", () => {
    const tls = tlsOf({ TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'mtls' });
    expect(text(tls.clientCertPair?.crt)).toBe('CERT');
    expect(tls.serverNameOverride).toBe('frontend.internal');
  });

  test('the environment overrides the profile, setting by setting', () => {
    const config = loadConfig({ TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'prod', TEMPORAL_NAMESPACE: 'other' });
    expect(config).toMatchObject({ TEMPORAL_ADDRESS: 'shop.a1b2c.tmprl.cloud:7233', TEMPORAL_NAMESPACE: 'other' });
    const plain = settings({ TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'prod', TEMPORAL_TLS: 'false' });
    expect(plain.tls).toBeUndefined();
  });

  test('the default location is where the temporal CLI keeps it', () => {
    const home = path.join(dir, 'home');
    file('home/.config/temporalio/temporal.toml', '[profile.default]\naddress = "from-home:7233"\n');
    expect(loadConfig({ HOME: home }).TEMPORAL_ADDRESS).toBe('from-home:7233');
    const xdg = path.join(dir, 'xdg');
    file('xdg/temporalio/temporal.toml', '[profile.default]\naddress = "from-xdg:7233"\n');
    expect(loadConfig({ HOME: home, XDG_CONFIG_HOME: xdg }).TEMPORAL_ADDRESS).toBe('from-xdg:7233');
    // No file there: the built-in defaults.
    expect(loadConfig({ HOME: path.join(dir, 'nobody') }).TEMPORAL_ADDRESS).toBe('127.0.0.1:7233');
  });

  test('a missing file, an unknown profile or a bad value in the file stop start-up naming the variable', () => {
    expect(configFailure({ TEMPORAL_CONFIG_FILE: path.join(dir, 'missing.toml') })).toMatch(
      /TEMPORAL_CONFIG_FILE: file not found/,
    );
    expect(configFailure({ TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'staging' })).toMatch(
      /TEMPORAL_PROFILE: Profile 'staging' not found/,
    );
    expect(configFailure({ TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'broken' })).toMatch(
      /TEMPORAL_ADDRESS \(from profile "broken" of the Temporal config file\): must be host:port/,
    );
    expect(configFailure({ TEMPORAL_CONFIG_FILE: file('bad.toml', 'this is = not [toml') })).toMatch(
      /TEMPORAL_CONFIG_FILE: cannot read the Temporal config file/,
    );
  });
});
