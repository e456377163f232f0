import { spawn, execFile, type ChildProcess } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  type WriteStream,
} from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { FaultProxy } from './proxy';
import { sleep, log } from './util';
import { devServerFlags } from '../bench/lib/dev-server-flags';

const run = promisify(execFile);

export const ROOT = path.resolve(__dirname, '..');
export const RUN_DIR = path.join(ROOT, '.run', 'chaos');
export const LOG_DIR = path.join(RUN_DIR, 'logs');
export const DIST = process.env.CHAOS_DIST ? path.resolve(process.env.CHAOS_DIST) : path.join(RUN_DIR, 'dist');
export const TEMPORAL_BIN = process.env.TEMPORAL_CLI ?? path.join(ROOT, '.run', 'tools', 'bin', 'temporal');

/** The service's settings for the whole run: short timers so expiry, sweep and payment timeouts happen often. */
export const SETTINGS = {
  database: process.env.CHAOS_DATABASE ?? 'flash_sale_chaos',
  redisDb: Number(process.env.CHAOS_REDIS_DB ?? 11),
  taskQueue: 'flash-sale-chaos',
  holdTtlSeconds: 5,
  paymentTimeoutSeconds: 10,
  sweepIntervalSeconds: 10,
  sweepGraceSeconds: 3,
  webhookSecret: 'chaos-webhook-secret',
  adminToken: 'chaos-admin-token',
  mariadb: { host: '127.0.0.1', port: 3306 },
  redis: { host: '127.0.0.1', port: 6379 },
};

export const SEARCH_ATTRIBUTES = [
  'HoldStatus=Keyword',
  'OrderStatus=Keyword',
  'ProductId=Int',
  'HoldExpiresAt=Datetime',
  'CustomerId=Keyword',
];

export function freePort(preferred?: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', (err: NodeJS.ErrnoException) => {
      if (preferred !== undefined && err.code === 'EADDRINUSE') freePort().then(resolve, reject);
      else reject(err);
    });
    srv.listen(preferred ?? 0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

/** A child process of the harness, its output in a log file; `lines` sees every output line. */
const PID_FILE = path.join(RUN_DIR, 'pids.json');

/** Processes a killed earlier run left behind: ours only (recorded by pid, and still running our command). */
export function reapLeftovers(): void {
  let pids: number[] = [];
  try {
    pids = JSON.parse(readFileSync(PID_FILE, 'utf8')) as number[];
  } catch {
    return;
  }
  for (const pid of pids) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmd.includes(RUN_DIR)) process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  rmSync(PID_FILE, { force: true });
}

const livePids = new Set<number>();
function recordPid(pid: number, alive: boolean): void {
  if (alive) livePids.add(pid);
  else livePids.delete(pid);
  try {
    writeFileSync(PID_FILE, JSON.stringify([...livePids]));
  } catch {
    // the run directory is gone: nothing to record
  }
}

export class Proc {
  child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private out: WriteStream;
  private listeners = new Set<(line: string) => void>();
  stopped = false;
  /** The fault points this process was started with ('' for none). */
  armed = '';

  constructor(
    readonly name: string,
    command: string,
    args: string[],
    env: NodeJS.ProcessEnv,
    logFile: string,
  ) {
    this.out = createWriteStream(logFile, { flags: 'a' });
    this.out.write(`\n==== ${new Date().toISOString()} start ${command} ${args.join(' ')}\n`);
    this.child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT });
    if (this.child.pid) recordPid(this.child.pid, true);
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        this.out.write(`==== ${new Date().toISOString()} exit code=${code} signal=${signal}\n`);
        if (this.child.pid) recordPid(this.child.pid, false);
        resolve({ code, signal });
      }),
    );
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      let buf = '';
      stream.on('data', (chunk: Buffer) => {
        this.out.write(chunk);
        buf += chunk.toString('utf8');
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          for (const l of this.listeners) l(line);
        }
      });
    }
  }

  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  onLine(fn: (line: string) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Resolves with the first line matching, or null after `ms` (or at exit). */
  waitForLine(re: RegExp, ms: number): Promise<string | null> {
    return new Promise((resolve) => {
      const done = (v: string | null) => {
        off();
        clearTimeout(timer);
        resolve(v);
      };
      const off = this.onLine((line) => re.test(line) && done(line));
      const timer = setTimeout(() => done(null), ms);
      void this.exited.then(() => done(null));
    });
  }

  signal(sig: NodeJS.Signals): void {
    if (this.alive) this.child.kill(sig);
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    this.stopped = true;
    if (!this.alive) return;
    this.child.kill('SIGCONT');
    this.child.kill('SIGTERM');
    const done = await Promise.race([this.exited.then(() => true), sleep(graceMs).then(() => false)]);
    if (!done) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }

  async kill(): Promise<void> {
    this.stopped = true;
    if (!this.alive) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

export interface StackPorts {
  temporal: number;
  api: number;
  dbProxy: number;
  redisProxy: number;
}

/**
 * The service as separate processes, with the harness in the middle: the API and worker(s) from the built `dist`,
 * a Temporal dev server of our own (file-backed, so it can be killed and restarted), and fault proxies in front of
 * the shared MariaDB and Redis. Nothing shared is ever stopped.
 */
export class Stack {
  temporal: Proc | null = null;
  api: Proc | null = null;
  workers = new Map<string, Proc>();
  readonly db: FaultProxy;
  readonly redis: FaultProxy;
  ports!: StackPorts;
  /** Fault points that fired, by worker and point (from the workers' own log lines). */
  firedPoints: { worker: string; point: string; at: number }[] = [];
  private workerSeq = 0;
  private temporalDb = path.join(RUN_DIR, 'temporal.db');

  constructor() {
    this.db = new FaultProxy('mariadb', SETTINGS.mariadb);
    this.redis = new FaultProxy('redis', SETTINGS.redis);
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.ports.api}`;
  }

  get temporalAddress(): string {
    return `127.0.0.1:${this.ports.temporal}`;
  }

  /** Direct (unproxied) URL of the chaos database: for the checker and the harness's own set-up. */
  get directDbUrl(): string {
    return `mysql://root@${SETTINGS.mariadb.host}:${SETTINGS.mariadb.port}/${SETTINGS.database}`;
  }

  get directRedisUrl(): string {
    return `redis://${SETTINGS.redis.host}:${SETTINGS.redis.port}/${SETTINGS.redisDb}`;
  }

  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const keep = ['PATH', 'HOME', 'LANG', 'NODE_EXTRA_CA_CERTS', 'TMPDIR'];
    const base = Object.fromEntries(keep.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]]));
    return {
      ...base,
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      PORT: String(this.ports.api),
      DATABASE_URL: `mysql://root@127.0.0.1:${this.ports.dbProxy}/${SETTINGS.database}`,
      DATABASE_POOL_MAX: '10',
      REDIS_URL: `redis://127.0.0.1:${this.ports.redisProxy}/${SETTINGS.redisDb}`,
      TEMPORAL_ADDRESS: this.temporalAddress,
      TEMPORAL_NAMESPACE: 'default',
      TASK_QUEUE: SETTINGS.taskQueue,
      HOLD_TTL_SECONDS: String(SETTINGS.holdTtlSeconds),
      PAYMENT_TIMEOUT_SECONDS: String(SETTINGS.paymentTimeoutSeconds),
      SWEEP_INTERVAL_SECONDS: String(SETTINGS.sweepIntervalSeconds),
      SWEEP_GRACE_SECONDS: String(SETTINGS.sweepGraceSeconds),
      SWEEP_SCHEDULE_ID: 'flash-sale-chaos-sweep',
      WEBHOOK_SECRET: SETTINGS.webhookSecret,
      ADMIN_TOKEN: SETTINGS.adminToken,
      WORKER_METRICS_ADDRESS: '',
      // The rate limiter stays in the path (its Redis use is under test too) with limits the load never reaches.
      RATE_LIMIT_HOLDS_PER_WINDOW: '1000000',
      RATE_LIMIT_ORDERS_PER_WINDOW: '1000000',
      RATE_LIMIT_WEBHOOKS_PER_WINDOW: '1000000',
      RATE_LIMIT_ADMIN_PER_WINDOW: '1000000',
      ...extra,
    };
  }

  async start(): Promise<void> {
    reapLeftovers();
    rmSync(LOG_DIR, { recursive: true, force: true });
    mkdirSync(LOG_DIR, { recursive: true });
    for (const f of ['temporal.db', 'temporal.db-wal', 'temporal.db-shm'])
      rmSync(path.join(RUN_DIR, f), { force: true });
    this.ports = {
      temporal: await freePort(Number(process.env.CHAOS_TEMPORAL_PORT ?? 7300)),
      api: await freePort(Number(process.env.CHAOS_API_PORT ?? 7310)),
      dbProxy: 0,
      redisProxy: 0,
    };
    this.ports.dbProxy = await this.db.start();
    this.ports.redisProxy = await this.redis.start();
    await this.startTemporal();
    await this.migrate();
    await this.startWorker();
    await this.startApi();
  }

  async startTemporal(): Promise<void> {
    if (this.temporal?.alive) return;
    const args = [
      'server',
      'start-dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(this.ports.temporal),
      '--headless',
      '--db-filename',
      this.temporalDb,
      '--log-level',
      'warn',
      ...devServerFlags('file'),
      ...SEARCH_ATTRIBUTES.flatMap((sa) => ['--search-attribute', sa]),
    ];
    this.temporal = new Proc(
      'temporal',
      TEMPORAL_BIN,
      args,
      { PATH: process.env.PATH },
      path.join(LOG_DIR, 'temporal.log'),
    );
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (!this.temporal.alive)
        throw new Error('the Temporal dev server exited during start-up (see .run/chaos/logs/temporal.log)');
      try {
        await run(
          TEMPORAL_BIN,
          ['operator', 'namespace', 'describe', '--address', this.temporalAddress, '-n', 'default'],
          {
            timeout: 5_000,
          },
        );
        return;
      } catch {
        await sleep(300);
      }
    }
    throw new Error('the Temporal dev server did not become ready within 60 s');
  }

  /** SIGKILL: the file-backed server loses nothing it acknowledged. */
  async killTemporal(): Promise<void> {
    await this.temporal?.kill();
  }

  private async migrate(): Promise<void> {
    const env = this.env({ DATABASE_URL: this.directDbUrl });
    await run('node', [path.join(DIST, 'db', 'cli.js'), 'migrate'], { env, cwd: ROOT, timeout: 60_000 });
  }

  /** Starts a worker; `faults` arms fault points in it (FAULT_POINTS). Resolves once it polls. */
  async startWorker(name = 'w1', faults = ''): Promise<Proc> {
    const existing = this.workers.get(name);
    if (existing?.alive) throw new Error(`worker ${name} is already running`);
    const p = new Proc(
      `worker ${name}`,
      'node',
      [path.join(DIST, 'worker', 'main.js')],
      this.env(faults ? { FAULT_POINTS: faults } : {}),
      path.join(LOG_DIR, `worker-${name}.log`),
    );
    p.armed = faults;
    this.workerSeq++;
    this.workers.set(name, p);
    p.onLine((line) => {
      if (line.includes('fault point fired')) {
        const point = /"point":"([^"]+)"/.exec(line)?.[1] ?? '?';
        this.firedPoints.push({ worker: name, point, at: Date.now() });
      }
    });
    const ready = await p.waitForLine(/worker running/, 90_000);
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

  async startApi(): Promise<void> {
    if (this.api?.alive) return;
    this.api = new Proc('api', 'node', [path.join(DIST, 'api', 'main.js')], this.env(), path.join(LOG_DIR, 'api.log'));
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (!this.api.alive) throw new Error('the API exited during start-up (see .run/chaos/logs/api.log)');
      if (await portOpen(this.ports.api)) return;
      await sleep(200);
    }
    throw new Error('the API did not listen within 60 s');
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

  async stop(): Promise<void> {
    await this.api?.stop(5_000);
    await Promise.all([...this.workers.values()].map((w) => w.stop(12_000)));
    await this.temporal?.stop(5_000);
    await this.db.close();
    await this.redis.close();
  }

  static distReady(): boolean {
    return existsSync(path.join(DIST, 'api', 'main.js')) && existsSync(path.join(DIST, 'worker', 'main.js'));
  }
}
