import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import { sleep } from './wait';

/**
 * The one process launcher of test/, chaos/ and bench/: a child process with its output in a log file, line
 * listeners, SIGTERM-then-SIGKILL stop, and (optionally) a pid registry so a later run can reap what a killed run
 * left behind (its own processes only: recorded by pid and still running a command under that run's directory).
 */

/** Pids of the processes a harness run started, in a file, so the next run can reap the leftovers of a killed one. */
export class PidRegistry {
  private live = new Set<number>();
  constructor(
    private readonly file: string,
    /** Only processes whose command line contains this are ever reaped. */
    private readonly marker: string,
  ) {}

  reapLeftovers(): void {
    let pids: number[] = [];
    try {
      pids = JSON.parse(readFileSync(this.file, 'utf8')) as number[];
    } catch {
      return;
    }
    for (const pid of pids) {
      try {
        if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(this.marker)) process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    rmSync(this.file, { force: true });
  }

  record(pid: number, alive: boolean): void {
    if (alive) this.live.add(pid);
    else this.live.delete(pid);
    try {
      writeFileSync(this.file, JSON.stringify([...this.live]));
    } catch {
      // the run directory is gone: nothing to record
    }
  }
}

export interface ProcOptions {
  cwd?: string;
  registry?: PidRegistry;
}

/** A child process, its output appended to `logFile`; `onLine` sees every output line. */
export class Proc {
  child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private out: WriteStream;
  private listeners = new Set<(line: string) => void>();
  stopped = false;
  /** Free-form tag of how it was started (chaos: the fault points it was armed with, '' for none). */
  armed = '';
  /** Up and serving (set by whoever knows its ready signal: a worker's "worker running" line). */
  ready = false;
  /** SIGSTOPped (by `signal`, or marked so by whoever saw it stop itself) and not yet SIGCONTinued. */
  paused = false;

  constructor(
    readonly name: string,
    command: string,
    args: string[],
    env: NodeJS.ProcessEnv,
    readonly logFile: string,
    opts: ProcOptions = {},
  ) {
    this.out = createWriteStream(logFile, { flags: 'a' });
    this.out.write(`\n==== ${new Date().toISOString()} start ${command} ${args.join(' ')}\n`);
    this.child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'], cwd: opts.cwd });
    const pid = this.child.pid;
    if (pid) opts.registry?.record(pid, true);
    this.child.once('error', () => undefined);
    this.exited = new Promise((resolve) =>
      this.child.once('close', (code, signal) => {
        this.out.write(`==== ${new Date().toISOString()} exit code=${code} signal=${signal}\n`);
        if (pid) opts.registry?.record(pid, false);
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

  /** Resolves once `answers()` is true (a throw: not yet); fails as soon as the process exits, or after `ms`. */
  async untilAnswering(answers: () => Promise<boolean>, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (!this.alive) throw new Error(`${this.name} exited during start-up (see ${this.logFile})`);
      if (await answers().catch(() => false)) return;
      await sleep(200);
    }
    throw new Error(`${this.name} did not answer within ${ms / 1000} s (see ${this.logFile})`);
  }

  signal(sig: NodeJS.Signals): void {
    if (sig === 'SIGSTOP') this.paused = true;
    if (sig === 'SIGCONT') this.paused = false;
    if (this.alive) this.child.kill(sig);
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    this.stopped = true;
    if (!this.alive) return;
    this.child.kill('SIGCONT');
    this.paused = false;
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
