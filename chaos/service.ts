import path from 'node:path';
import type { Proc } from '../harness/process';
import { partScript, startNode, untilPolling } from '../harness/service';
import { portOpen } from '../harness/wait';
import { PlannedOutages } from './outages';
import { DIST, LOG_DIR, ROOT, processEnv, runPids, type StackPorts } from './settings';
import { log } from './util';

/**
 * Marks a FAULT_POINTS spec whose points stay asleep until the process gets SIGUSR2 (`holdHost().arm` wakes them
 * once the load is back after the restart).
 */
export const ASLEEP = 'asleep:';
const faultEnv = (faults: string): Record<string, string> =>
  faults.startsWith(ASLEEP)
    ? { FAULT_POINTS: faults.slice(ASLEEP.length), FAULT_POINTS_ASLEEP: '1' }
    : { FAULT_POINTS: faults };

/**
 * The service's own processes in the chaos stack, from a build: the API the scenarios talk to, a second API that only
 * the background load talks to, and the workers; with what a supervisor does (a worker that crashed on its own starts
 * again), rolling upgrades between builds, and the fault points that fired in them. `Stack` adds what they run on.
 */
export class ServiceProcesses {
  api: Proc | null = null;
  /** A second API process, same code and settings, that only the background load talks to. */
  loadApi: Proc | null = null;
  workers = new Map<string, Proc>();
  ports!: StackPorts;
  /** Fault points that fired, by process and point (from the processes' own log lines). */
  firedPoints: { worker: string; point: string; at: number }[] = [];
  /** Settings a scenario turns on for the processes it (re)starts, e.g. EVENTS_URL; cleared when it ends. */
  extraEnv: Record<string, string> = {};
  /**
   * HOLD_EAGER_START of the API processes: true (the service's default) makes them hold workers; a scenario whose
   * fault points sit in the hold path of the worker process runs with false (`Scenario.holdsOn`).
   */
  eager = true;
  /**
   * The build each process runs, by process name ('api', 'api-load', a worker's name): the stack's build unless a
   * rolling upgrade (`replace`) moved it to another; cleared by `backToToday`.
   */
  readonly builds = new Map<string, string>();
  /** Workers that crashed on their own (an error exit, a signal no one sent): findings, reported with the scenario. */
  crashes: { worker: string; how: string; at: number }[] = [];
  /** When the harness took an API down on purpose. */
  readonly apiOutages = new PlannedOutages();
  private stopping = false;

  /** `dist`: the build they run (api/main.js, worker/main.js, workflow-bundle.js); harness/variants.ts makes others. */
  constructor(public dist = DIST) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.ports.api}`;
  }

  get loadBaseUrl(): string {
    return `http://127.0.0.1:${this.ports.loadApi}`;
  }

  get temporalAddress(): string {
    return `127.0.0.1:${this.ports.temporal}`;
  }

  /** The processes' environment: the suite's settings, through the fault proxies, and the scenario's own. */
  env(extra: Record<string, string> = {}, dist = this.dist): NodeJS.ProcessEnv {
    return processEnv(this.ports, dist, { HOLD_EAGER_START: String(this.eager), ...this.extraEnv, ...extra });
  }

  /** Process `name` of its build's `part`, with `faults` armed (FAULT_POINTS); the points that fire are recorded. */
  private launch(name: string, part: 'api' | 'worker', env: Record<string, string>, faults: string): Proc {
    const dist = this.builds.get(name) ?? this.dist;
    const [title, logName] = part === 'api' ? [name, name] : [`worker ${name}`, `worker-${name}`];
    const p = startNode(
      title,
      [partScript(dist, part)],
      this.env(faults ? { ...env, ...faultEnv(faults) } : env, dist),
      path.join(LOG_DIR, `${logName}.log`),
      { cwd: ROOT, registry: runPids() },
    );
    p.armed = faults.replace(ASLEEP, '');
    p.onLine((line) => {
      if (!line.includes('fault point fired')) return;
      if (line.includes('"kind":"stop"')) p.paused = true;
      this.firedPoints.push({ worker: name, point: /"point":"([^"]+)"/.exec(line)?.[1] ?? '?', at: Date.now() });
    });
    return p;
  }

  /**
   * The background load's own API process: its Temporal admission slots are its own, so the scenario's requests (to
   * the main API) are not starved by hundreds of load operations, while both share Temporal, the worker and the stores
   * (where the faults land).
   */
  async startLoadApi(): Promise<Proc> {
    if (this.loadApi?.alive) return this.loadApi;
    const api = (this.loadApi = this.launch('api-load', 'api', { PORT: String(this.ports.loadApi) }, ''));
    await this.untilServing(api, this.ports.loadApi);
    return api;
  }

  /** Starts the API; `faults` arms fault points in it (FAULT_POINTS). Resolves once it listens. */
  async startApi(faults = ''): Promise<Proc> {
    if (this.api?.alive) return this.api;
    const api = (this.api = this.launch('api', 'api', {}, faults));
    await this.untilServing(api, this.ports.api);
    return api;
  }

  /**
   * Resolves once a just-spawned API listens and, with eager start, runs its hold worker: an API serves at once (with
   * Update-with-Start) and its hold worker comes up a few seconds later, and a scenario's holds must really start
   * eagerly. Planned outages of the API end two seconds after.
   */
  private async untilServing(api: Proc, port: number): Promise<void> {
    // Listened for at once, before the process can log it.
    const holdWorker = this.eager ? api.waitForLine(/hold worker running/, 90_000) : Promise.resolve('');
    await api.untilAnswering(() => portOpen(port), 60_000);
    if ((await holdWorker) === null) throw new Error(`${api.name}'s hold worker did not start within 90 s`);
    this.apiOutages.end();
  }

  /** Starts a worker; `faults` arms fault points in it (FAULT_POINTS). Resolves once it polls. */
  async startWorker(name = 'w1', faults = ''): Promise<Proc> {
    if (this.workers.get(name)?.alive) throw new Error(`worker ${name} is already running`);
    const p = this.launch(name, 'worker', {}, faults);
    this.workers.set(name, p);
    void p.exited.then((exit) => this.restartAfterCrash(name, p, exit));
    await untilPolling(p, 90_000);
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

  /** The running process by name: 'api', 'api-load' or a worker's name. */
  process(name: string): Proc | undefined {
    if (name === 'api') return this.api ?? undefined;
    if (name === 'api-load') return this.loadApi ?? undefined;
    return this.workers.get(name);
  }

  /** Restarts the API (SIGTERM: it drains) with these fault points armed ('' for none). */
  async restartApi(faults = ''): Promise<Proc> {
    this.apiOutages.begin();
    await this.api?.stop(10_000);
    const api = await this.startApi(faults);
    if (/=kill/.test(faults)) this.apiOutages.begin();
    return api;
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

  /**
   * Runs another build from now on: every worker but w1 stops, and both APIs and w1 restart on it (a mutant's build, or
   * back to the suite's own). Holds still running finish on the new build: the suite's workflows replay on each.
   */
  async useBuild(dist: string): Promise<void> {
    if (dist === this.dist) return;
    this.dist = dist;
    log(`  the service's processes restart on the build in ${path.relative(ROOT, dist)}`);
    await this.dropWorkers('w1');
    await this.withSettings(this.extraEnv);
  }

  /** Every worker but `keep` stops and is forgotten. */
  async dropWorkers(keep?: string): Promise<void> {
    for (const [name, w] of [...this.workers]) {
      if (name === keep) continue;
      await w.stop();
      this.workers.delete(name);
    }
  }

  /**
   * One step of a rolling upgrade: process `name` ('api', 'api-load' or a worker's name) drains (SIGTERM; SIGKILL
   * after `drainMs`, as an orchestrator's grace period) and the same process of build `dist` starts in its place,
   * with no fault point armed. Resolves once it serves.
   */
  async replace(name: string, dist: string, drainMs = 30_000): Promise<Proc> {
    this.builds.set(name, dist);
    if (name === 'api' || name === 'api-load') this.apiOutages.begin();
    await this.process(name)?.stop(drainMs);
    if (name === 'api') return this.startApi('');
    return name === 'api-load' ? this.startLoadApi() : this.startWorker(name);
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
  async superviseWorkers(): Promise<void> {
    for (const [name, p] of this.workers) {
      if (p.alive || p.stopped) continue;
      log(`  worker ${name} died on its own (${JSON.stringify(await p.exited)}); restarting it`);
      await this.startWorker(name);
    }
  }

  /** Both APIs and every worker stop (SIGTERM, then SIGKILL), and no crashed worker is restarted any more. */
  protected async stopProcesses(): Promise<void> {
    this.stopping = true;
    await this.api?.stop(5_000);
    await this.loadApi?.stop(5_000);
    await Promise.all([...this.workers.values()].map((w) => w.stop(12_000)));
  }
}
