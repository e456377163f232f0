import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { parseArgs } from 'node:util';
import { configWarnings, loadConfig } from '../config';
import { searchAttributeDefinitions } from '../shared/search-attributes';
import { temporalConnectionSettings } from '../temporal/options';

/**
 * `npm run setup-temporal`: the one-time set-up of a Temporal cluster (or Temporal Cloud namespace) for this
 * service, with the same TEMPORAL_* settings the API and the worker use (address, namespace, mTLS or API key).
 * Creates the namespace when it does not exist (Temporal Cloud namespaces are created in Cloud, so there it must
 * exist already) and registers the search attributes the service writes. Running it again changes nothing.
 */

const IndexedValueType = temporal.api.enums.v1.IndexedValueType;
const TYPES = {
  Keyword: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Int: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  Datetime: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
} as const;
const NOT_FOUND = 5;
const USAGE = `Usage: npm run setup-temporal [-- --retention-days N]

Creates TEMPORAL_NAMESPACE (retention N days, default 3) unless it exists, and registers the search attributes
${Object.entries(searchAttributeDefinitions)
  .map(([name, type]) => `${name} (${type})`)
  .join(', ')}.
Connection settings come from the environment and the temporal CLI's config file (TEMPORAL_PROFILE), as for the
API and the worker (docs/configuration.md).`;

const say = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function ensureNamespace(connection: Connection, namespace: string, retentionDays: number) {
  try {
    await connection.workflowService.describeNamespace({ namespace });
    say(`namespace ${namespace}: exists`);
    return;
  } catch (err) {
    if ((err as { code?: number }).code !== NOT_FOUND) throw err;
  }
  await connection.workflowService.registerNamespace({
    namespace,
    workflowExecutionRetentionPeriod: msToTs(retentionDays * 86_400_000),
    description: 'Flash-sale stock reservation service',
  });
  say(`namespace ${namespace}: created (retention ${retentionDays} days)`);
}

/** A new namespace takes a moment to reach every frontend: retried until it answers, for at most a minute. */
async function ensureSearchAttributes(connection: Connection, namespace: string) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
      const missing = Object.entries(searchAttributeDefinitions).filter(
        ([name]) => !(name in (customAttributes ?? {})),
      );
      for (const [name] of Object.entries(searchAttributeDefinitions).filter(([n]) => n in (customAttributes ?? {}))) {
        say(`search attribute ${name}: exists`);
      }
      if (missing.length === 0) return;
      await connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, TYPES[type]])),
      });
      for (const [name, type] of missing) say(`search attribute ${name}: created (${type})`);
      return;
    } catch (err) {
      if ((err as { code?: number }).code !== NOT_FOUND || Date.now() > deadline) throw err;
      await sleep(500);
    }
  }
}

async function main() {
  const { values } = parseArgs({
    options: { 'retention-days': { type: 'string', default: '3' }, help: { type: 'boolean', short: 'h' } },
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
    await ensureNamespace(connection, config.TEMPORAL_NAMESPACE, retentionDays);
    await ensureSearchAttributes(connection, config.TEMPORAL_NAMESPACE);
    say('ready: start the workers (they create the sweep Schedule) and the API');
  } finally {
    await connection.close();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`setup-temporal failed: ${err.message}\n`);
  process.exit(1);
});
