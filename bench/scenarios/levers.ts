/**
 * The levers, each measured before and after in one run: the service's holds at 50 connections on a private dev
 * server with a SQLite file (what `npm start` runs), adding one change at a time. "Before" is the build of the
 * commit before this work (`--before-dist`, built by scripts/bench.sh); the last step is today's build.
 */
import type { Pool } from 'mysql2/promise';
import { run } from '../lib/run-state';
import { settings } from '../lib/settings';
import { devServerFlags } from '../../harness/temporal';
import { LEGACY_FLAGS, startPrivateTemporal } from '../lib/temporal';
import { say } from '../lib/util';
import { contender, holdRun } from './holds';
import { startService } from './processes';

interface Lever {
  id: string;
  title: string;
  flags: string[];
  before: boolean;
  /** The service's own settings for this step. */
  env?: NodeJS.ProcessEnv;
}

const [pragmas, noRefresh, onePartition] = [
  devServerFlags('file').filter((f) => f.startsWith('--sqlite-pragma')),
  devServerFlags('memory').filter((f) => f.includes('forceSearchAttributesCacheRefreshOnRead')),
  devServerFlags('memory').filter((f) => f.includes('numTaskqueue')),
];

/** A step on the build before this work (`--before-dist`), with the flags the dev server started with then. */
const legacy = (...flags: string[]) => ({ flags: [...LEGACY_FLAGS, ...flags], before: true });
/** A step on today's build and dev server flags. */
const today = (env: NodeJS.ProcessEnv) => ({ flags: devServerFlags('file'), before: false, env });

export const LEVERS: Lever[] = [
  { id: 'shipped', title: 'as shipped: v1 workflow, old flags, plain SQLite file', ...legacy() },
  { id: 'wal', title: '+ WAL, synchronous=off', ...legacy(...pragmas) },
  { id: 'no-sa-refresh', title: '+ no forced search-attribute cache refresh', ...legacy(...pragmas, ...noRefresh) },
  { id: 'one-partition', title: '+ one task-queue partition', ...legacy(...pragmas, ...noRefresh, ...onePartition) },
  {
    id: 'no-legacy-flags',
    title: '− enableExecuteMultiOperation, enableEagerWorkflowStart',
    flags: [...pragmas, ...noRefresh, ...onePartition],
    before: true,
  },
  { id: 'workflow-v2', title: '+ holdWorkflowV2: search attributes at start', ...today({ HOLD_EAGER_START: 'false' }) },
  {
    id: 'eager-start',
    title: '+ eager start on the API’s own hold worker (today)',
    ...today({ HOLD_EAGER_START: 'true' }),
  },
];

export async function measureLevers(db: Pool) {
  for (let round = 1; round <= settings.rounds; round++) {
    for (const lever of LEVERS) {
      say(`Lever "${lever.title}" (round ${round})`);
      const temporal = await startPrivateTemporal('file', lever.flags, lever.id);
      const sharedAddress = run.temporalAddress;
      run.temporalAddress = temporal.address;
      const service = await startService({
        dist: lever.before ? settings.beforeDist : undefined,
        label: `lever-${lever.id}`,
        env: lever.env,
      });
      try {
        const c = await contender(db, 'service', service);
        c.running = { ...service, pids: { ...service.pids, temporal: temporal.proc.pid } as typeof service.pids };
        const r = await holdRun(db, c, 50, round, `-lever-${lever.id}`);
        r.title = `Lever: ${lever.title}`;
        r.extra = {
          ...r.extra,
          lever: lever.id,
          dev_server_flags: lever.flags,
          build: lever.before ? 'before' : 'today',
        };
      } finally {
        await service.stop();
        await temporal.proc.stop();
        run.temporalAddress = sharedAddress;
      }
    }
  }
}
