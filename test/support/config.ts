import { ConfigError, loadConfig } from '../../src/config';

/** The message start-up refuses `env` with (a ConfigError); fails the test when the configuration is accepted. */
export function configFailure(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error(`configuration ${JSON.stringify(env)} was accepted`);
}
