import { execFile } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { createConnection } from 'mysql2/promise';
import { FaultProxy } from '../harness/fault-proxy';
import type { Proc } from '../harness/process';
import { MariaDbServer, RedisServer } from '../harness/servers';
import { startDevServer } from '../harness/temporal';
import { Outages } from './outages';
import { ServiceProcesses } from './service';
import { LOG_DIR, ROOT, RUN_DIR, SETTINGS, runPids, stackPorts } from './settings';

const run = promisify(execFile);

/**
 * The service as separate processes (`ServiceProcesses`), with the harness in the middle: a Temporal dev server of
 * our own (file-backed, so it can be killed and restarted), and fault proxies in front of a MariaDB and a Redis of
 * our own. Nothing shared is ever stopped.
 */
export class Stack extends ServiceProcesses {
  temporal: Proc | null = null;
  /** Fault proxies between the service and the suite's own MariaDB and Redis. */
  db!: FaultProxy;
  redis!: FaultProxy;
  /**
   * The suite's own servers, SIGKILLed by the crash scenarios: MariaDB restarts with InnoDB crash recovery on the same
   * data directory, Redis comes back empty (no persistence: every cached entry and counter is gone).
   */
  mariadb!: MariaDbServer;
  redisServer!: RedisServer;
  /** When the system was down (no Temporal, no running worker, no database): stretches the lateness bound. */
  readonly outages = new Outages(() => this.downBecause());
  private client: Client | null = null;

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

  /** Direct (unproxied) URL of the chaos database: for the checker and the harness's own set-up. */
  get directDbUrl(): string {
    return `${this.mariadb.url}/${SETTINGS.database}`;
  }

  get directRedisUrl(): string {
    return this.redisServer.url(SETTINGS.redisDb);
  }

  /** A client of the stack's Temporal, for the checks; it connects on first use. */
  temporalClient(): Client {
    this.client ??= new Client({
      connection: Connection.lazy({ address: this.temporalAddress, connectTimeout: 5_000 }),
      namespace: SETTINGS.namespace,
    });
    return this.client;
  }

  async start(): Promise<void> {
    runPids().reapLeftovers();
    rmSync(LOG_DIR, { recursive: true, force: true });
    mkdirSync(LOG_DIR, { recursive: true });
    for (const f of ['temporal.db', 'temporal.db-wal', 'temporal.db-shm'])
      rmSync(path.join(RUN_DIR, f), { force: true });
    this.ports = await stackPorts();
    const dir = (name: string) => path.join(RUN_DIR, name);
    const logFile = (name: string) => path.join(LOG_DIR, `${name}.log`);
    this.mariadb = new MariaDbServer(dir('mariadb'), this.ports.mariadb, logFile('mariadb'), runPids());
    this.redisServer = new RedisServer(dir('redis'), this.ports.redis, logFile('redis'), runPids());
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
      dbFile: path.join(RUN_DIR, 'temporal.db'),
      logFile: path.join(LOG_DIR, 'temporal.log'),
      registry: runPids(),
      env: { PATH: process.env.PATH },
    });
    this.temporal = server.proc;
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

  private async migrate(): Promise<void> {
    const env = this.env({ DATABASE_URL: this.directDbUrl });
    await run('node', [path.join(this.dist, 'db', 'cli.js'), 'migrate'], { env, cwd: ROOT, timeout: 60_000 });
  }

  async stop(): Promise<void> {
    await this.client?.connection.close().catch(() => undefined);
    this.client = null;
    this.outages.stop();
    await this.stopProcesses();
    await this.temporal?.stop(5_000);
    await this.db?.close();
    await this.redis?.close();
    await this.mariadb?.stop();
    await this.redisServer?.stop();
  }
}
