/** The bench's command line: which scenarios, how long, how big. */
import path from 'node:path';
import { parseArgs } from 'node:util';

export const usage = `npm run bench -- [flags]
  --quick               short run (3 s per load scenario, small sale, storm and open-holds counts)
  --only a,b            run only these scenarios: SCENARIO_LIST (levers: only on its own)
  --skip a,b            run all but these
  --duration S          seconds per load scenario (default 10, quick 3)
  --rounds N            how often the floor/service hold comparison repeats (default 2, quick 1)
  --connections a,b     connection counts of that comparison and of the knee (default 50,200,1000)
  --in-flight a,b       the knee's bounds on Temporal calls in flight per API process (default 8,16,32,100)
  --holds N             open hold workflows for the "open" scenario (default 10000, quick 500)
  --storm N             holds in the expiry storm (default 10000, quick 300)
  --buyers N --units N  realistic sale (default 20000 buyers for 1000 units; quick 2000 for 100)
  --profile             run API and worker under node --cpu-prof (profiles in .run/bench/profiles, summaries
                        in bench/results/NAME-profiles.txt)
  --shards N            stock shards for the sharded variants of the limit and holds scenarios (default 8; 1: none)
  --sweep-interval S    the backup sweep's interval for this run (SWEEP_INTERVAL_SECONDS, default 10: a sale's setting)
  --sweep-grace S       its grace past expiry (SWEEP_GRACE_SECONDS, default 2)
  --out NAME            results in bench/results/NAME.json (default "latest", whose plot is docs/performance.png)
  --own-temporal KIND   a private Temporal dev server for this run: "memory" or "file" (SQLite file, what npm start
                        runs), instead of the one at TEMPORAL_ADDRESS
  --before-dist DIR     the "levers" scenario's build of the code before this work (default .run/bench/dist-before)`;

/** What a plain `npm run bench` runs; "levers" and "knee" are asked for by name (--only). */
const DEFAULT_SCENARIOS = ['limit', 'plain', 'reads', 'soldout', 'holds', 'sale', 'storm', 'open'] as const;
export const SCENARIOS = [...DEFAULT_SCENARIOS, 'levers', 'knee'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

const { values } = parseArgs({
  options: {
    help: { type: 'boolean' },
    quick: { type: 'boolean' },
    only: { type: 'string' },
    skip: { type: 'string' },
    duration: { type: 'string' },
    rounds: { type: 'string' },
    connections: { type: 'string' },
    'in-flight': { type: 'string' },
    holds: { type: 'string' },
    storm: { type: 'string' },
    buyers: { type: 'string' },
    units: { type: 'string' },
    profile: { type: 'boolean' },
    shards: { type: 'string' },
    'sweep-interval': { type: 'string' },
    'sweep-grace': { type: 'string' },
    out: { type: 'string' },
    'own-temporal': { type: 'string' },
    'before-dist': { type: 'string' },
  },
  strict: true,
});

const quick = values.quick ?? false;
const num = (name: string, v: string | undefined, full: number, short = full) => {
  const n = v === undefined ? (quick ? short : full) : Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
  return n;
};
const list = (v: string | undefined) => (v ? v.split(',').map((s) => s.trim()) : null);
const only = list(values.only);
const skip = list(values.skip) ?? [];
for (const n of [...(only ?? []), ...skip]) {
  if (!(SCENARIOS as readonly string[]).includes(n))
    throw new Error(`unknown scenario ${n}; known: ${SCENARIOS.join(' ')}`);
}
const out = values.out ?? 'latest';
if (!/^[\w.-]+$/.test(out)) throw new Error('--out must be a plain file name');
const ownTemporal = values['own-temporal'];
if (ownTemporal !== undefined && ownTemporal !== 'memory' && ownTemporal !== 'file') {
  throw new Error('--own-temporal must be memory or file');
}

export const ROOT = path.resolve(__dirname, '../..');
const RUN_ID = new Date()
  .toISOString()
  .replace(/[-:.TZ]/g, '')
  .slice(0, 14);

export const settings = {
  help: values.help ?? false,
  usage: usage.replace('SCENARIO_LIST', SCENARIOS.join(' ')),
  quick,
  argv: process.argv.slice(2),
  scenarios: ((only ?? DEFAULT_SCENARIOS) as ScenarioName[]).filter((n) => !skip.includes(n)),
  duration: num('duration', values.duration, 10, 3),
  rounds: num('rounds', values.rounds, 2, 1),
  connections: (list(values.connections) ?? ['50', '200', '1000']).map((c) => num('connections', c, 50)),
  inFlight: (list(values['in-flight']) ?? ['8', '16', '32', '100']).map((c) => num('in-flight', c, 16)),
  openHolds: num('holds', values.holds, 10_000, 500),
  storm: num('storm', values.storm, 10_000, 300),
  buyers: num('buyers', values.buyers, 20_000, 2_000),
  units: num('units', values.units, 1_000, 100),
  profile: values.profile ?? false,
  shards: num('shards', values.shards, 8),
  sweepInterval: num('sweep-interval', values['sweep-interval'], 10),
  sweepGrace: num('sweep-grace', values['sweep-grace'], 2),
  out,
  ownTemporal: ownTemporal as 'memory' | 'file' | undefined,
  beforeDist: path.resolve(values['before-dist'] ?? path.join(ROOT, '.run/bench/dist-before')),
  runId: RUN_ID,
  databaseUrl: process.env.BENCH_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/flash_sale_bench',
  redisUrl: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/14',
  namespace: process.env.BENCH_TEMPORAL_NAMESPACE ?? 'flash-sale-bench',
  taskQueue: `flash-sale-bench-${RUN_ID}`,
  sweepSchedule: `flash-sale-bench-sweep-${RUN_ID}`,
  purgeSchedule: `flash-sale-bench-purge-${RUN_ID}`,
  webhookSecret: 'bench-webhook-secret',
  adminToken: 'bench-admin-token',
  /** Holds outlive every load scenario: no expiry work runs while throughput is measured. */
  holdTtl: 3600,
  /** The compiled service to measure (another build's dist/ gives a before/after comparison on one machine). */
  serviceDist: path.resolve(process.env.BENCH_SERVICE_DIST ?? path.join(ROOT, 'dist')),
  results: path.join(ROOT, 'bench/results'),
  logDir: path.join(ROOT, '.run/bench'),
};
export type Settings = typeof settings;

export const wanted = (n: ScenarioName) => settings.scenarios.includes(n);
