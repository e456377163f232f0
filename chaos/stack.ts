import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { PidRegistry, Proc, freePort, portOpen } from '../harness/process';
import { MariaDbServer, RedisServer } from '../harness/servers';
import { createConnection } from 'mysql2/promise';
import { Outages } from './outages';
import { FaultProxy } from '../harness/fault-proxy';
import { log } from './util';
import { sleep } from '../harness/wait';
import { startDevServer } from '../harness/temporal';

export { Proc, freePort };

const run = promisify(execFile);

export const ROOT = path.resolve(__dirname, '..');
export const RUN_DIR = path.join(ROOT, '.run', 'chaos');
export const LOG_DIR = path.join(RUN_DIR, 'logs');
export const DIST = process.env.CHAOS_DIST ? path.resolve(process.env.CHAOS_DIST) : path.join(RUN_DIR, 'dist');

/** The service's settings for the whole run: short timers so expiry, sweep and payment timeouts happen often. */
export const SETTINGS = {
  database: process.env.CHAOS_DATABASE ?? 'flash_sale_chaos',
  redisDb: 0,
  taskQueue: 'flash-sale-chaos',
  holdTtlSeconds: 5,
  paymentTimeoutSeconds: 10,
  sweepIntervalSeconds: 10,
  sweepGraceSeconds: 3,
  webhookSecret: 'chaos-webhook-secret',
  adminToken: 'chaos-admin-token',
};

/**
 * The suite's ports: CHAOS_PORT_BASE (default 7500) + offsets, so concurrent runs of other suites (tests on 73xx,
 * APIs on 84xx) never collide; a port already taken falls back to a free one.
 */
export const PORT_BASE = Number(process.env.CHAOS_PORT_BASE ?? 7500);
const PORT_OFFSETS = { temporal: 0, api: 10, loadApi: 11, mariadb: 20, redis: 30, dbProxy: 40, redisProxy: 41 };

export const SWEEP_SCHEDULE_ID = 'flash-sale-chaos-sweep';
export const PURGE_SCHEDULE_ID = 'flash-sale-chaos-purge';

const registry = () => new PidRegistry(path.join(RUN_DIR, 'pids.json'), RUN_DIR);
let pids: PidRegistry | null = null;
/** The pid registry of this run (a later run reaps what a killed one left behind). */
export function runPids(): PidRegistry {
  pids ??= registry();
  return pids;
}

export interface StackPorts {
  temporal: number;
  api: number;
  loadApi: number;
  mariadb: number;
  redis: number;
  dbProxy: number;
  redisProxy: number;
}

/**
 * The service as separate processes, with the harness in the middle: the API and worker(s) from the built `dist`,
 * a Temporal dev server of our own (file-backed, so it can be killed and restarted), and fault proxies in front of
 * the shared MariaDB and Redis. Nothing shared is ever stopped.
 */
export class Stack {
  /** The build the API and worker processes run (its api/main.js, worker/main.js and workflow-bundle.js). */
  dist: string;
  temporal: Proc | null = null;
  api: Proc | null = null;
  /** A second API process, same code and settings, that only the background load talks to. */
  loadApi: Proc | null = null;
  workers = new Map<string, Proc>();
  /** Fault proxies between the service and the suite's own MariaDB and Redis. */
  db!: FaultProxy;
  redis!: FaultProxy;
  /** The suite's own servers: SIGKILLed by the crash scenarios. */
  mariadb!: MariaDbServer;
  redisServer!: RedisServer;
  ports!: StackPorts;
  /** Fault points that fired, by worker and point (from the workers' own log lines). */
  firedPoints: { worker: string; point: string; at: number }[] = [];
  private workerSeq = 0;
  /** Settings a scenario turns on for the processes it (re)starts, e.g. EVENTS_URL; cleared when it ends. */
  extraEnv: Record<string, string> = {};
  /**
   * HOLD_EAGER_START of the API processes: true (the service's default) makes them hold workers; a scenario whose
   * fault points sit in the hold path of the worker process runs with false (`Scenario.holdsOn`).
   */
  eager = true;
  /** When the system was down (no Temporal, no running worker, no database): stretches the lateness bound. */
  readonly outages = new Outages(() => this.downBecause());
  private temporalDb = path.join(RUN_DIR, 'temporal.db');

  /** `dist`: the build to run (harness/variants.ts makes others, e.g. a mutant's); the suite's own build by default. */
  constructor(opts: { dist?: string } = {}) {
    this.dist = opts.dist ?? DIST;
  }

  /**
   * Runs another build from now on: every worker but w1 stops, and both APIs and w1 restart on it (a mutant's build, or
   * back to the suite's own). Holds still running finish on the new build: the suite's workflows replay on each.
   */
  async useBuild(dist: string): Promise<void> {
    if (dist === this.dist) return;
    this.dist = dist;
    log(`  the service's processes restart on the build in ${path.relative(ROOT, dist)}`);
    for (const [name, w] of [...this.workers]) {
      if (name === 'w1') continue;
      await w.stop();
      this.workers.delete(name);
    }
    await this.withSettings(this.extraEnv);
  }

  /** Why releases cannot happen right now, or null when the system is up. */
  downBecause(): string | null {
    if (!this.temporal?.alive) return 'Temporal down';
    if (this.temporal.paused) return 'Temporal frozen';
    if (this.api && !this.api.alive) return 'API down';
    if (this.api?.paused) return 'API frozen';
    if (!this.mariadb?.alive) return 'MariaDB down';
    if (this.db && this.db.current !== 'pass') return `MariaDB ${this.db.current}`;
    const workers = [...this.workers.values()];
    if (workers.some((w) => w.alive && w.paused)) return 'a worker frozen';
    // A worker asked to stop drains and no longer polls: it counts as gone from that moment.
    if (!workers.some((w) => w.alive && w.ready && !w.stopped)) return 'no worker';
    return null;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.ports.api}`;
  }

  get loadBaseUrl(): string {
    return `http://127.0.0.1:${this.ports.loadApi}`;
  }

  /**
   * The background load's own API process: its Temporal admission slots are its own, so the scenario's requests (to
   * the main API) are not starved by hundreds of load operations, while both share Temporal, the worker and the stores
   * (where the faults land).
   */
  async startLoadApi(): Promise<void> {
    if (this.loadApi?.alive) return;
    const api = new Proc(
      'api-load',
      'node',
      [path.join(this.distOf('api-load'), 'api', 'main.js')],
      this.env({ PORT: String(this.ports.loadApi) }, this.distOf('api-load')),
      path.join(LOG_DIR, 'api-load.log'),
      { cwd: ROOT, registry: runPids() },
    );
    this.loadApi = api;
    await this.untilServing(api, this.ports.loadApi, 'the load API', 'api-load.log');
  }

  get temporalAddress(): string {
    return `127.0.0.1:${this.ports.temporal}`;
  }

  /** Direct (unproxied) URL of the chaos database: for the checker and the harness's own set-up. */
  get directDbUrl(): string {
    return `${this.mariadb.url}/${SETTINGS.database}`;
  }

  get directRedisUrl(): string {
    return this.redisServer.url(SETTINGS.redisDb);
  }

  /**
   * The build each process runs, by process name ('api', 'api-load', a worker's name): the stack's build unless a rolling upgrade
   * (`replace`) moved it to another; cleared by `backToToday`.
   */
  readonly builds = new Map<string, string>();

  distOf(name: string): string {
    return this.builds.get(name) ?? this.dist;
  }

  env(extra: Record<string, string> = {}, dist = this.dist): NodeJS.ProcessEnv {
    const keep = ['PATH', 'HOME', 'LANG', 'NODE_EXTRA_CA_CERTS', 'TMPDIR'];
    const base = Object.fromEntries(keep.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]]));
    return {
      ...base,
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      PORT: String(this.ports.api),
      DATABASE_URL: `mysql://root@127.0.0.1:${this.ports.dbProxy}/${SETTINGS.database}`,
      REDIS_URL: `redis://127.0.0.1:${this.ports.redisProxy}/${SETTINGS.redisDb}`,
      TEMPORAL_ADDRESS: this.temporalAddress,
      TEMPORAL_NAMESPACE: 'default',
      TASK_QUEUE: SETTINGS.taskQueue,
      HOLD_TTL_SECONDS: String(SETTINGS.holdTtlSeconds),
      PAYMENT_TIMEOUT_SECONDS: String(SETTINGS.paymentTimeoutSeconds),
      SWEEP_INTERVAL_SECONDS: String(SETTINGS.sweepIntervalSeconds),
      SWEEP_GRACE_SECONDS: String(SETTINGS.sweepGraceSeconds),
      SWEEP_SCHEDULE_ID,
      PURGE_SCHEDULE_ID,
      WEBHOOK_SECRET: SETTINGS.webhookSecret,
      ADMIN_TOKEN: SETTINGS.adminToken,
      WORKER_METRICS_ADDRESS: '',
      ...(existsSync(path.join(dist, 'workflow-bundle.js'))
        ? { WORKFLOW_BUNDLE_PATH: path.join(dist, 'workflow-bundle.js') }
        : {}),
      // Everything else is the service's default (src/config.ts: the pool, the Temporal in-flight bound and its queue,
      // the call deadline): the suite tests what ships. A scenario about another setting names it (Scenario.settings).
      // The rate limiter stays in the path (its Redis use is under test too) with limits the load never reaches: every
      // buyer of the suite comes from one address, which no real sale has.
      RATE_LIMIT_HOLDS_PER_WINDOW: '1000000',
      RATE_LIMIT_ORDERS_PER_WINDOW: '1000000',
      RATE_LIMIT_WEBHOOKS_PER_WINDOW: '1000000',
      RATE_LIMIT_ADMIN_PER_WINDOW: '1000000',
      HOLD_EAGER_START: String(this.eager),
      ...this.extraEnv,
      ...extra,
    };
  }

  async start(): Promise<void> {
    runPids().reapLeftovers();
    rmSync(LOG_DIR, { recursive: true, force: true });
    mkdirSync(LOG_DIR, { recursive: true });
    for (const f of ['temporal.db', 'temporal.db-wal', 'temporal.db-shm'])
      rmSync(path.join(RUN_DIR, f), { force: true });
    const port = (k: keyof typeof PORT_OFFSETS) => freePort(PORT_BASE + PORT_OFFSETS[k]);
    this.ports = {
      temporal: await port('temporal'),
      api: await port('api'),
      loadApi: await port('loadApi'),
      mariadb: await port('mariadb'),
      redis: await port('redis'),
      dbProxy: await port('dbProxy'),
      redisProxy: await port('redisProxy'),
    };
    this.mariadb = new MariaDbServer(
      path.join(RUN_DIR, 'mariadb'),
      this.ports.mariadb,
      path.join(LOG_DIR, 'mariadb.log'),
      runPids(),
    );
    this.redisServer = new RedisServer(
      path.join(RUN_DIR, 'redis'),
      this.ports.redis,
      path.join(LOG_DIR, 'redis.log'),
      runPids(),
    );
    await Promise.all([this.mariadb.startFresh(), this.redisServer.start()]);
    this.db = new FaultProxy('mariadb', { host: '127.0.0.1', port: this.ports.mariadb });
    this.redis = new FaultProxy('redis', { host: '127.0.0.1', port: this.ports.redis });
    await this.db.start(this.ports.dbProxy);
    await this.redis.start(this.ports.redisProxy);
    await this.createDatabase();
    await this.startTemporal();
    await this.migrate();
    await this.startWorker();
    await this.startApi();
    await this.startLoadApi();
    this.outages.start();
  }

  /** The harness's dev-server launcher, on this stack's port and SQLite file (a restart keeps what it acknowledged). */
  async startTemporal(): Promise<void> {
    if (this.temporal?.alive) return;
    const server = await startDevServer({
      port: this.ports.temporal,
      dbFile: this.temporalDb,
      logFile: path.join(LOG_DIR, 'temporal.log'),
      registry: runPids(),
      env: { PATH: process.env.PATH },
    });
    this.temporal = server.proc;
  }

  /** SIGKILL: the file-backed server loses nothing it acknowledged. */
  async killTemporal(): Promise<void> {
    await this.temporal?.kill();
  }

  private async createDatabase(): Promise<void> {
    const conn = await createConnection({ uri: this.mariadb.url });
    try {
      await conn.query(
        `CREATE DATABASE IF NOT EXISTS \`${SETTINGS.database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
      );
    } finally {
      await conn.end();
    }
  }

  /** SIGKILL of the suite's own MariaDB; `restartMariadb` runs InnoDB crash recovery on the same data directory. */
  async killMariadb(): Promise<void> {
    await this.mariadb.kill();
  }

  async restartMariadb(): Promise<number> {
    return this.mariadb.start();
  }

  /** SIGKILL of the suite's own Redis; it comes back empty (no persistence): every cached entry and counter is gone. */
  async killRedis(): Promise<void> {
    await this.redisServer.kill();
  }

  async restartRedis(): Promise<void> {
    await this.redisServer.start();
  }

  private async migrate(): Promise<void> {
    const env = this.env({ DATABASE_URL: this.directDbUrl });
    await run('node', [path.join(this.dist, 'db', 'cli.js'), 'migrate'], { env, cwd: ROOT, timeout: 60_000 });
  }

  /** Starts a worker; `faults` arms fault points in it (FAULT_POINTS). Resolves once it polls. */
  async startWorker(name = 'w1', faults = ''): Promise<Proc> {
    const existing = this.workers.get(name);
    if (existing?.alive) throw new Error(`worker ${name} is already running`);
    const p = new Proc(
      `worker ${name}`,
      'node',
      [path.join(this.distOf(name), 'worker', 'main.js')],
      this.env(faults ? { FAULT_POINTS: faults } : {}, this.distOf(name)),
      path.join(LOG_DIR, `worker-${name}.log`),
      { cwd: ROOT, registry: runPids() },
    );
    p.armed = faults;
    this.workerSeq++;
    this.workers.set(name, p);
    p.onLine((line) => {
      if (line.includes('fault point fired')) {
        const point = /"point":"([^"]+)"/.exec(line)?.[1] ?? '?';
        if (line.includes('"kind":"stop"')) p.paused = true;
        this.firedPoints.push({ worker: name, point, at: Date.now() });
      }
    });
    void p.exited.then((exit) => this.restartAfterCrash(name, p, exit));
    const ready = await p.waitForLine(/worker running/, 90_000);
    p.ready = ready !== null;
    if (!ready) {
      const why = p.alive ? 'did not start polling within 90 s' : 'exited during start-up';
      throw new Error(`worker ${name} ${why} (see .run/chaos/logs/worker-${name}.log)`);
    }
    return p;
  }

  worker(name = 'w1'): Proc | undefined {
    return this.workers.get(name);
  }

  async stopWorker(name = 'w1'): Promise<void> {
    await this.workers.get(name)?.stop();
  }

  async killWorker(name = 'w1'): Promise<void> {
    await this.workers.get(name)?.kill();
  }

  /** Starts the API; `faults` arms fault points in it (FAULT_POINTS). Resolves once it listens. */
  async startApi(faults = ''): Promise<Proc> {
    if (this.api?.alive) return this.api;
    const api = new Proc(
      'api',
      'node',
      [path.join(this.distOf('api'), 'api', 'main.js')],
      this.env(faults ? { FAULT_POINTS: faults } : {}, this.distOf('api')),
      path.join(LOG_DIR, 'api.log'),
      { cwd: ROOT, registry: runPids() },
    );
    api.armed = faults;
    this.api = api;
    api.onLine((line) => {
      if (line.includes('fault point fired')) {
        const point = /"point":"([^"]+)"/.exec(line)?.[1] ?? '?';
        if (line.includes('"kind":"stop"')) api.paused = true;
        this.firedPoints.push({ worker: 'api', point, at: Date.now() });
      }
    });
    await this.untilServing(api, this.ports.api, 'the API', 'api.log');
    return api;
  }

  /**
   * Resolves once a just-spawned API listens and, with eager start, runs its hold worker: an API serves at once (with
   * Update-with-Start) and its hold worker comes up a few seconds later, and a scenario's holds must really start
   * eagerly. Planned outages of the API end two seconds after.
   */
  private async untilServing(api: Proc, port: number, what: string, logFile: string): Promise<void> {
    // Listened for at once, before the process can log it.
    const holdWorker = this.eager ? api.waitForLine(/hold worker running/, 90_000) : Promise.resolve('');
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (!api.alive) throw new Error(`${what} exited during start-up (see .run/chaos/logs/${logFile})`);
      if (await portOpen(port)) {
        if ((await holdWorker) === null) throw new Error(`${what}'s hold worker did not start within 90 s`);
        this.endApiOutage();
        return;
      }
      await sleep(200);
    }
    throw new Error(`${what} did not listen within 60 s`);
  }

  /** Where holds run: in the API processes (eager start) or only in the workers; restarts both APIs on a change. */
  async holdsInApi(eager: boolean): Promise<void> {
    if (this.eager === eager) return;
    this.eager = eager;
    log(`  API processes restarted with HOLD_EAGER_START=${eager}`);
    await this.loadApi?.stop(10_000);
    await this.restartApi(this.api?.armed ?? '');
    await this.startLoadApi();
  }

  /**
   * Settings other than the defaults for the processes (re)started from now on ({} for none): both APIs and the
   * worker w1 restart on them, with no fault point armed.
   */
  async withSettings(settings: Record<string, string>): Promise<void> {
    this.extraEnv = settings;
    log(`  API processes and the worker restarted with ${JSON.stringify(settings)}`);
    // All three at once: each takes seconds to start its hold worker on a busy machine.
    const loadApi = (async () => {
      await this.loadApi?.stop(10_000);
      await this.startLoadApi();
    })();
    const worker = (async () => {
      await this.workers.get('w1')?.stop();
      await this.startWorker('w1');
    })();
    await Promise.all([this.restartApi(''), loadApi, worker]);
  }

  /** Restarts the API (SIGTERM: it drains) with these fault points armed ('' for none). */
  async restartApi(faults = ''): Promise<Proc> {
    this.planApiOutage();
    await this.api?.stop(10_000);
    const api = await this.startApi(faults);
    if (/=kill/.test(faults)) this.planApiOutage();
    return api;
  }

  /** The running process by name: 'api', 'api-load' or a worker's name. */
  process(name: string): Proc | undefined {
    return name === 'api'
      ? (this.api ?? undefined)
      : name === 'api-load'
        ? (this.loadApi ?? undefined)
        : this.workers.get(name);
  }

  /**
   * One step of a rolling upgrade: process `name` ('api', 'api-load' or a worker's name) drains (SIGTERM; SIGKILL
   * after `drainMs`, as an orchestrator's grace period) and the same process of build `dist` starts in its place,
   * with no fault point armed. Resolves once it serves.
   */
  async replace(name: string, dist: string, drainMs = 30_000): Promise<Proc> {
    this.builds.set(name, dist);
    if (name === 'api' || name === 'api-load') this.planApiOutage();
    await this.process(name)?.stop(drainMs);
    if (name === 'api') return this.startApi('');
    if (name === 'api-load') {
      await this.startLoadApi();
      return this.loadApi!;
    }
    return this.startWorker(name);
  }

  /**
   * Every process a rolling upgrade moved to another build back on today's (DIST), all at once: the scenario has
   * settled, and each takes seconds to start its hold worker on a busy machine.
   */
  async backToToday(): Promise<void> {
    const moved = [...this.builds.keys()];
    await Promise.all(moved.map((name) => this.replace(name, this.dist)));
    this.builds.clear();
  }

  /** The planned outages of the API processes: from when the harness takes one down until it serves again + 2 s. */
  private readonly apiPlanned: { from: number; until: number }[] = [];
  /** The harness takes the API down (or armed it to die): clients finding it dead, until it is back + 2 s, is expected. */
  planApiOutage(): void {
    const last = this.apiPlanned.at(-1);
    if (last && Date.now() < last.until) last.until = Infinity;
    else this.apiPlanned.push({ from: Date.now(), until: Infinity });
  }

  /** A planned outage of the API ends: it serves again (SIGCONT after a freeze); clients settle within 2 s. */
  apiBack(): void {
    this.endApiOutage();
  }

  private endApiOutage(): void {
    const last = this.apiPlanned.at(-1);
    if (last?.until === Infinity) last.until = Date.now() + 2_000;
  }

  /**
   * Whether a request sent at `since` and failing now met a planned outage of the API: one sent before a freeze may
   * only fail once its server, continued, has closed the connections it could not serve.
   */
  apiDownOnPurpose(since = Date.now()): boolean {
    const now = Date.now();
    return this.apiPlanned.some((w) => w.from <= now && since < w.until);
  }

  /** Workers that crashed on their own (an error exit, a signal no one sent): findings, reported with the scenario. */
  crashes: { worker: string; how: string; at: number }[] = [];

  /**
   * A worker that crashes on its own (an error exit, SIGSEGV, SIGABRT…) is started again, as compose's
   * `restart: unless-stopped` would: after a second, or after five when it crashed within the last ten seconds.
   * SIGKILL is always the harness's own or a fault point's (the scenario decides when that worker comes back).
   */
  private restartAfterCrash(name: string, p: Proc, exit: { code: number | null; signal: NodeJS.Signals | null }): void {
    const { code, signal } = exit;
    if (p.stopped || signal === 'SIGKILL' || signal === 'SIGTERM' || (signal === null && code === 0)) return;
    const how = signal ?? `exit code ${code}`;
    const last = this.crashes.filter((c) => c.worker === name).at(-1);
    const delay = last && Date.now() - last.at < 10_000 ? 5_000 : 1_000;
    this.crashes.push({ worker: name, how, at: Date.now() });
    log(`  worker ${name} crashed on its own (${how}); restarting it in ${delay / 1000} s, as a supervisor would`);
    setTimeout(() => {
      if (this.workers.get(name) !== p || this.stopping) return;
      this.startWorker(name).catch((err: Error) => log(`  could not restart worker ${name}: ${err.message}`));
    }, delay);
  }

  /** Every worker that died without being asked to is started again (what a supervisor would do). */
  async superviseWorkers(): Promise<number> {
    let restarted = 0;
    for (const [name, p] of this.workers) {
      if (!p.alive && !p.stopped) {
        log(`  worker ${name} died on its own (${JSON.stringify(await p.exited)}); restarting it`);
        await this.startWorker(name);
        restarted++;
      }
    }
    return restarted;
  }

  private stopping = false;

  async stop(): Promise<void> {
    this.stopping = true;
    this.outages.stop();
    await this.api?.stop(5_000);
    await this.loadApi?.stop(5_000);
    await Promise.all([...this.workers.values()].map((w) => w.stop(12_000)));
    await this.temporal?.stop(5_000);
    await this.db?.close();
    await this.redis?.close();
    await this.mariadb?.stop();
    await this.redisServer?.stop();
  }

  static distReady(): boolean {
    return existsSync(path.join(DIST, 'api', 'main.js')) && existsSync(path.join(DIST, 'worker', 'main.js'));
  }
}
