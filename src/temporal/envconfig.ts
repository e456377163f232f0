import { loadClientConfigProfile, type ClientConfigProfile } from '@temporalio/envconfig';
import { existsSync } from 'node:fs';

/**
 * Temporal's own connection settings, as the `temporal` CLI and every Temporal SDK read them (@temporalio/envconfig):
 * the standard TEMPORAL_* environment variables, over a profile of the TOML file the CLI writes
 * (`temporal config set ...`; `TEMPORAL_CONFIG_FILE`, default ~/.config/temporalio/temporal.toml, profile
 * `TEMPORAL_PROFILE` or "default").
 *
 * The service's configuration (src/config.ts) validates the result, so this step only turns the profile into the
 * standard variable names, for those the environment does not set.
 */

/**
 * Earlier names of this service, read for one more release when the standard name is not set (src/config.ts
 * configWarnings says so at start-up).
 */
export const TEMPORAL_ALIASES: Readonly<Record<string, string>> = {
  TEMPORAL_TLS_CERT_PATH: 'TEMPORAL_TLS_CLIENT_CERT_PATH',
  TEMPORAL_TLS_KEY_PATH: 'TEMPORAL_TLS_CLIENT_KEY_PATH',
  TEMPORAL_TLS_CA_PATH: 'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
};

export interface ResolvedTemporalEnv {
  /** The environment with aliases and the profile's values filled in under the standard names. */
  env: Record<string, string>;
  /** Where a value that was not set under its own name came from, for messages: variable to origin. */
  origins: Record<string, string>;
}

export class TemporalProfileError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
  }
}

/** The profile's fields under the environment variable each one stands for. */
function profileAsEnv(profile: ClientConfigProfile): Record<string, string | undefined> {
  const tls = profile.tls;
  const data = (source: { path: string } | { data: string | Uint8Array } | undefined, kind: 'path' | 'data') => {
    if (!source) return undefined;
    if (kind === 'path') return 'path' in source ? source.path : undefined;
    return 'data' in source
      ? typeof source.data === 'string'
        ? source.data
        : Buffer.from(source.data).toString()
      : undefined;
  };
  return {
    TEMPORAL_ADDRESS: profile.address,
    TEMPORAL_NAMESPACE: profile.namespace,
    TEMPORAL_API_KEY: profile.apiKey,
    // A [tls] table turns TLS on (as for the CLI) unless it says disabled = true.
    TEMPORAL_TLS: tls ? String(tls.disabled !== true) : undefined,
    TEMPORAL_TLS_SERVER_NAME: tls?.serverName,
    TEMPORAL_TLS_CLIENT_CERT_PATH: data(tls?.clientCert, 'path'),
    TEMPORAL_TLS_CLIENT_CERT_DATA: data(tls?.clientCert, 'data'),
    TEMPORAL_TLS_CLIENT_KEY_PATH: data(tls?.clientKey, 'path'),
    TEMPORAL_TLS_CLIENT_KEY_DATA: data(tls?.clientKey, 'data'),
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: data(tls?.serverCACert, 'path'),
    TEMPORAL_TLS_SERVER_CA_CERT_DATA: data(tls?.serverCACert, 'data'),
  };
}

/**
 * Standard names first, then this service's earlier names, then the profile file; an empty variable counts as
 * unset. The file is read only when it exists (an explicit TEMPORAL_CONFIG_FILE that does not is reported by the
 * configuration's own check); an explicit TEMPORAL_PROFILE must exist in it.
 */
export function resolveTemporalEnv(given: Record<string, string>): ResolvedTemporalEnv {
  const env = { ...given };
  const origins: Record<string, string> = {};
  for (const [alias, standard] of Object.entries(TEMPORAL_ALIASES)) {
    if (env[alias] === undefined) continue;
    if (env[standard] === undefined) {
      env[standard] = env[alias];
      origins[standard] = `set as ${alias}`;
    }
    delete env[alias];
  }

  // A named file that does not exist is reported by the configuration's own check, naming the variable.
  if (env.TEMPORAL_CONFIG_FILE && !existsSync(env.TEMPORAL_CONFIG_FILE)) return { env, origins };
  let profile: ClientConfigProfile;
  try {
    profile = loadClientConfigProfile({
      ...(env.TEMPORAL_PROFILE ? { profile: env.TEMPORAL_PROFILE } : {}),
      ...(env.TEMPORAL_CONFIG_FILE ? { configSource: { path: env.TEMPORAL_CONFIG_FILE } } : {}),
      // The environment is applied here, with the service's own checks; the file's location still follows it.
      disableEnv: true,
      overrideEnvVars: env,
    });
  } catch (err) {
    const message = (err as Error).message;
    throw new TemporalProfileError(
      /Profile '/.test(message) ? 'TEMPORAL_PROFILE' : 'TEMPORAL_CONFIG_FILE',
      /Profile '/.test(message) ? message : `cannot read the Temporal config file: ${message}`,
    );
  }
  const name = env.TEMPORAL_PROFILE ?? 'default';
  for (const [variable, value] of Object.entries(profileAsEnv(profile))) {
    if (value === undefined || value === '' || env[variable] !== undefined) continue;
    // A certificate, key or CA given in the environment (as a path or as data) replaces the file's, in either form.
    if (
      /_(PATH|DATA)$/.test(variable) &&
      env[variable.replace(/_(PATH|DATA)$/, (m) => (m === '_PATH' ? '_DATA' : '_PATH'))] !== undefined
    ) {
      continue;
    }
    env[variable] = value;
    origins[variable] = `from profile "${name}" of the Temporal config file`;
  }
  return { env, origins };
}
