import { Connection } from '@temporalio/client';
import { msToTs, tsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { NAMESPACE_RETENTION_DAYS } from '../shared/retention';
import { searchAttributeDefinitions } from '../shared/search-attributes';

/**
 * The service's Temporal namespace, set up the same way on every path (npm run setup-temporal, npm start, npm test,
 * Docker Compose, the bench, the chaos suite): it exists, keeps closed histories NAMESPACE_RETENTION_DAYS, and has the
 * search attributes the workflows write. Idempotent: a second call changes nothing.
 */

const IndexedValueType = temporal.api.enums.v1.IndexedValueType;
const TYPES = {
  Keyword: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Int: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  Datetime: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
} as const;
const NOT_FOUND = 5;
const PERMISSION_DENIED = 7;
const UNIMPLEMENTED = 12;
const DAY_MS = 86_400_000;

export interface NamespaceSetup {
  retentionDays?: number;
  /** One line per step taken or found done. */
  say?: (line: string) => void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const codeOf = (err: unknown) => (err as { code?: number }).code;

/**
 * Creates the namespace with the retention, or sets the retention of one that exists with another (a dev server
 * creates its namespaces with its own default). Where the namespace is managed elsewhere (Temporal Cloud refuses the
 * update), the retention is left as it is, with a line saying so.
 */
export async function ensureNamespace(
  connection: Connection,
  namespace: string,
  { retentionDays = NAMESPACE_RETENTION_DAYS, say = () => undefined }: NamespaceSetup = {},
): Promise<void> {
  const retention = msToTs(retentionDays * DAY_MS);
  let current: number | undefined;
  try {
    const described = await connection.workflowService.describeNamespace({ namespace });
    current = tsToMs(described.config?.workflowExecutionRetentionTtl);
  } catch (err) {
    if (codeOf(err) !== NOT_FOUND) throw err;
    await connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: retention,
      description: 'Flash-sale stock reservation service',
    });
    say(`namespace ${namespace}: created (retention ${retentionDays} days)`);
    return;
  }
  if (current === retentionDays * DAY_MS)
    return say(`namespace ${namespace}: exists (retention ${retentionDays} days)`);
  try {
    await connection.workflowService.updateNamespace({
      namespace,
      config: { workflowExecutionRetentionTtl: retention },
    });
    say(`namespace ${namespace}: retention set to ${retentionDays} days (was ${formatDays(current)})`);
  } catch (err) {
    if (codeOf(err) !== PERMISSION_DENIED && codeOf(err) !== UNIMPLEMENTED) throw err;
    say(`namespace ${namespace}: exists (retention ${formatDays(current)}, managed outside this service)`);
  }
}

const formatDays = (ms: number | undefined) => (ms === undefined ? 'unset' : `${+(ms / DAY_MS).toFixed(2)} days`);

/** Registers the search attributes the namespace lacks. A new namespace takes a moment to reach every frontend. */
export async function ensureSearchAttributes(
  connection: Connection,
  namespace: string,
  { say = () => undefined }: NamespaceSetup = {},
): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
      const present = (name: string) => name in (customAttributes ?? {});
      const all = Object.entries(searchAttributeDefinitions);
      for (const [name] of all.filter(([n]) => present(n))) say(`search attribute ${name}: exists`);
      const missing = all.filter(([name]) => !present(name));
      if (missing.length === 0) return;
      await connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, TYPES[type]])),
      });
      for (const [name, type] of missing) say(`search attribute ${name}: created (${type})`);
      return;
    } catch (err) {
      if (codeOf(err) !== NOT_FOUND || Date.now() > deadline) throw err;
      await sleep(500);
    }
  }
}

/** Both: what every set-up path runs. */
export async function setUpNamespace(connection: Connection, namespace: string, setup: NamespaceSetup = {}) {
  await ensureNamespace(connection, namespace, setup);
  await ensureSearchAttributes(connection, namespace, setup);
}

/** The same, on a plain connection to a local dev server (the bench's and the chaos suite's own servers). */
export async function setUpNamespaceAt(address: string, namespace: string, setup: NamespaceSetup = {}) {
  const connection = await Connection.connect({ address, connectTimeout: 10_000 });
  try {
    await setUpNamespace(connection, namespace, setup);
  } finally {
    await connection.close();
  }
}
