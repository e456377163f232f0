import { Connection } from '@temporalio/client';
import { parseArgs } from 'node:util';
import { configWarnings, loadConfig } from '../config';
import { NAMESPACE_RETENTION_DAYS } from '../shared/retention';
import { searchAttributeDefinitions } from '../shared/search-attributes';
import { setUpNamespace } from '../temporal/namespace';
import { temporalConnectionSettings } from '../temporal/options';

/**
 * `npm run setup-temporal`: the one-time set-up of a Temporal cluster (or Temporal Cloud namespace) for this
 * service, with the same TEMPORAL_* settings the API and the worker use (address, namespace, mTLS or API key).
 * Creates the namespace when it does not exist (Temporal Cloud namespaces are created in Cloud, so there it must
 * exist already), gives it the one retention every set-up path uses, and registers the search attributes the service
 * writes (src/temporal/namespace.ts). Running it again changes nothing.
 */

const USAGE = `Usage: npm run setup-temporal [-- --retention-days N]

Creates TEMPORAL_NAMESPACE unless it exists, sets its retention to N days (default ${NAMESPACE_RETENTION_DAYS}, the value every
set-up path uses), and registers the search attributes
${Object.entries(searchAttributeDefinitions)
  .map(([name, type]) => `${name} (${type})`)
  .join(', ')}.
Connection settings come from the environment and the temporal CLI's config file (TEMPORAL_PROFILE), as for the
API and the worker (docs/configuration.md).`;

const say = (line: string) => process.stdout.write(`${line}\n`);

async function main() {
  const { values } = parseArgs({
    options: {
      'retention-days': { type: 'string', default: String(NAMESPACE_RETENTION_DAYS) },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return say(USAGE);
  const retentionDays = Number(values['retention-days']);
  if (!Number.isInteger(retentionDays) || retentionDays < 1 || retentionDays > 3650) {
    process.stderr.write(`--retention-days must be a whole number of days (1-3650)\n\n${USAGE}\n`);
    process.exit(2);
  }
  const config = loadConfig();
  for (const warning of configWarnings()) process.stderr.write(`warning: ${warning}\n`);
  const connection = await Connection.connect({ ...temporalConnectionSettings(config), connectTimeout: 10_000 });
  try {
    say(`Temporal at ${config.TEMPORAL_ADDRESS}`);
    await setUpNamespace(connection, config.TEMPORAL_NAMESPACE, { retentionDays, say });
    say('ready: start the workers (they create the sweep and purge Schedules) and the API');
  } finally {
    await connection.close();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`setup-temporal failed: ${err.message}\n`);
  process.exit(1);
});
