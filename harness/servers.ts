import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import Redis from 'ioredis';
import { createConnection } from 'mysql2/promise';
import { PidRegistry, Proc } from './process';

const run = promisify(execFile);

/**
 * Database servers of a harness's own, from the machine's binaries: a MariaDB (`mariadbd`, its own data directory,
 * port and socket) and a Redis (`redis-server`, its own port, no persistence), so a suite can SIGKILL them under load.
 * The machine's shared servers (3306, 6379) are never touched.
 */

const bin = (name: string, fallbacks: string[]) =>
  [process.env[`${name.toUpperCase().replace(/-/g, '_')}_BIN`], ...fallbacks].find((p) => p && existsSync(p)) ?? name;

/** A server of a harness's own: its directory, port and log; SIGKILL, or SIGTERM then SIGKILL after `graceMs`. */
abstract class OwnServer {
  proc: Proc | null = null;

  constructor(
    readonly dir: string,
    readonly port: number,
    protected readonly logFile: string,
    protected readonly registry: PidRegistry | undefined,
    private readonly graceMs: number,
  ) {}

  get alive(): boolean {
    return this.proc?.alive ?? false;
  }

  async kill(): Promise<void> {
    await this.proc?.kill();
  }

  async stop(): Promise<void> {
    await this.proc?.stop(this.graceMs);
  }
}

export class MariaDbServer extends OwnServer {
  readonly dataDir = path.join(this.dir, 'data');
  readonly socket = path.join(this.dir, 'mysqld.sock');

  constructor(dir: string, port: number, logFile: string, registry?: PidRegistry) {
    super(dir, port, logFile, registry, 30_000);
  }

  get url(): string {
    return `mysql://root@127.0.0.1:${this.port}`;
  }

  /**
   * A fresh data directory, then the server; resolves once it answers SQL. mariadb-install-db runs once into
   * `<dir>-template` (kept between runs); each run starts from a copy of it.
   */
  async startFresh(): Promise<void> {
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir, { recursive: true });
    const template = `${this.dir}-template`;
    if (!existsSync(path.join(template, 'mysql'))) {
      rmSync(template, { recursive: true, force: true });
      const root = process.getuid?.() === 0 ? ['--user=root'] : [];
      await run(
        bin('mariadb-install-db', ['/usr/bin/mariadb-install-db', '/usr/bin/mysql_install_db']),
        [
          '--no-defaults',
          `--datadir=${template}`,
          '--auth-root-authentication-method=normal',
          '--skip-test-db',
          ...root,
        ],
        { timeout: 120_000 },
      );
    }
    cpSync(template, this.dataDir, { recursive: true });
    await this.start();
    // root over TCP from 127.0.0.1, with no password, like the shared server the service is configured for.
    const conn = await createConnection({ socketPath: this.socket, user: 'root' });
    try {
      await conn.query("CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY ''");
      await conn.query("GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION");
    } finally {
      await conn.end();
    }
  }

  /** Starts the server on the existing data directory (after a SIGKILL: InnoDB crash recovery runs first). */
  async start(timeoutMs = 120_000): Promise<number> {
    if (this.proc?.alive) return 0;
    const t = Date.now();
    const root = process.getuid?.() === 0 ? ['--user=root'] : [];
    this.proc = new Proc(
      'mariadb',
      bin('mariadbd', ['/usr/sbin/mariadbd', '/usr/sbin/mysqld']),
      [
        '--no-defaults',
        `--datadir=${this.dataDir}`,
        `--port=${this.port}`,
        '--bind-address=127.0.0.1',
        `--socket=${this.socket}`,
        `--pid-file=${path.join(this.dir, 'mysqld.pid')}`,
        '--innodb-buffer-pool-size=64M',
        '--innodb-log-file-size=32M',
        // Durable commits (the default), so a SIGKILL loses nothing a COMMIT acknowledged.
        '--innodb-flush-log-at-trx-commit=1',
        '--max-connections=600',
        '--skip-log-bin',
        '--character-set-server=utf8mb4',
        '--collation-server=utf8mb4_unicode_ci',
        ...root,
      ],
      { PATH: process.env.PATH },
      this.logFile,
      { registry: this.registry },
    );
    await this.proc.untilAnswering(async () => {
      const conn = await createConnection({ socketPath: this.socket, user: 'root', connectTimeout: 2_000 });
      await conn.query('SELECT 1');
      await conn.end();
      return true;
    }, timeoutMs);
    return Date.now() - t;
  }
}

export class RedisServer extends OwnServer {
  constructor(dir: string, port: number, logFile: string, registry?: PidRegistry) {
    super(dir, port, logFile, registry, 10_000);
  }

  url(db = 0): string {
    return `redis://127.0.0.1:${this.port}/${db}`;
  }

  /** Starts an empty server (no snapshot, no append-only file: a restart after SIGKILL has lost everything). */
  async start(timeoutMs = 30_000): Promise<void> {
    if (this.proc?.alive) return;
    mkdirSync(this.dir, { recursive: true });
    this.proc = new Proc(
      'redis',
      bin('redis-server', ['/usr/bin/redis-server']),
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir],
      { PATH: process.env.PATH },
      this.logFile,
      { registry: this.registry },
    );
    await this.proc.untilAnswering(async () => {
      const r = new Redis(this.url(), { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      r.on('error', () => undefined);
      try {
        await r.connect();
        return (await r.ping()) === 'PONG';
      } finally {
        r.disconnect();
      }
    }, timeoutMs);
  }
}
