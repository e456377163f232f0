/**
 * Fault points for the chaos suite (chaos/, `npm run chaos`). Each `await faults.at('reserve.afterCommit')` marks a
 * place where a crash or a stall hurts most, e.g. between a COMMIT and the report of its activity. They are a
 * dependency (`FaultPoints`), built once by each process entry point from FAULT_POINTS (`faultPointsFromEnvironment`)
 * and handed to the activities, the sale's rules and the database functions; everything else gets `noFaults`.
 *
 * Unset `FAULT_POINTS` (production, tests) and `at` returns at once: no parsing, no lookups, no timers on the hot
 * path. Set, it is a comma-separated list of `point=action[@n]`:
 *
 *   FAULT_POINTS='reserve.afterCommit=kill'            SIGKILL this process at the first hit
 *   FAULT_POINTS='release.beforeCommit=pause:15000@2'  stall the second hit for 15 s (the transaction stays open)
 *   FAULT_POINTS='order.afterCommit=stop'              SIGSTOP this process (the harness sends SIGCONT)
 *   FAULT_POINTS='release.afterCommit=throw'           throw, as a lost connection would
 *
 * Each entry fires once per process, on its n-th hit (default 1). A line naming the point goes to stderr
 * just before it fires, so the harness can tell when (and that) it happened. With FAULT_POINTS_ASLEEP=1 the points
 * count no hit until the process gets SIGUSR2: the harness restarts a process armed, waits for its load to come back,
 * then wakes the points, so the fault lands in the full load and not in the dip of the restart.
 */

/** Every place a fault can be injected (the names FAULT_POINTS and the chaos scenarios use). */
export const FAULT_POINT_NAMES = [
  'reserve.beforeCommit',
  'reserve.afterCommit',
  'release.beforeCommit',
  'release.afterCommit',
  'order.beforeCommit',
  'order.afterCommit',
  'payment.beforeCommit',
  'payment.afterCommit',
  'latePayment.beforeCommit',
] as const;
export type FaultPointName = (typeof FAULT_POINT_NAMES)[number];
const knownPoints = new Set<string>(FAULT_POINT_NAMES);

export interface FaultPoints {
  /** Fires the fault armed at this point, if any (it may kill, stop or stall the process, or throw). */
  at(point: FaultPointName): void | Promise<void>;
}

/** No faults: what every caller gets unless its process was started with FAULT_POINTS. */
export const noFaults: FaultPoints = { at: () => undefined };

type Action = { kind: 'kill' } | { kind: 'stop' } | { kind: 'throw' } | { kind: 'pause'; ms: number };

interface Armed {
  action: Action;
  nth: number;
  hits: number;
}

export class InjectedFault extends Error {
  constructor(point: string) {
    super(`fault injected at ${point}`);
    this.name = 'InjectedFault';
  }
}

/** Parses a FAULT_POINTS value; a malformed entry or an unknown point is an error, so a typo cannot test nothing. */
export function parseFaultPoints(spec: string): Map<string, Armed> {
  const armed = new Map<string, Armed>();
  for (const entry of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^([\w.-]+)=(kill|stop|throw|pause:(\d+))(?:@(\d+))?$/.exec(entry);
    if (!m) throw new Error(`FAULT_POINTS: bad entry "${entry}" (want point=kill|stop|throw|pause:<ms>[@n])`);
    if (!knownPoints.has(m[1])) {
      throw new Error(`FAULT_POINTS: unknown point "${m[1]}" (known: ${FAULT_POINT_NAMES.join(', ')})`);
    }
    const action: Action = m[3] ? { kind: 'pause', ms: Number(m[3]) } : { kind: m[2] as 'kill' | 'stop' | 'throw' };
    armed.set(m[1], { action, nth: m[4] ? Math.max(1, Number(m[4])) : 1, hits: 0 });
  }
  return armed;
}

function armedFaultPoints(armed: Map<string, Armed>, asleep: boolean): FaultPoints {
  let awake = !asleep;
  if (asleep) process.once('SIGUSR2', () => (awake = true));
  return {
    async at(name: FaultPointName): Promise<void> {
      const a = armed.get(name);
      if (!a || !awake || ++a.hits !== a.nth) return;
      process.stderr.write(
        `${JSON.stringify({ level: 'warn', msg: 'fault point fired', point: name, action: a.action })}\n`,
      );
      switch (a.action.kind) {
        case 'kill':
          process.kill(process.pid, 'SIGKILL');
          // SIGKILL is delivered asynchronously; never run past the point meanwhile.
          await new Promise(() => undefined);
          return;
        case 'stop':
          process.kill(process.pid, 'SIGSTOP');
          return;
        case 'throw':
          throw new InjectedFault(name);
        case 'pause':
          await new Promise((resolve) => setTimeout(resolve, (a.action as { ms: number }).ms));
      }
    },
  };
}

const built = new WeakMap<NodeJS.ProcessEnv, FaultPoints>();

/**
 * The process's fault points from FAULT_POINTS (each process entry point asks for them once; asked again with the same
 * environment, the same armed points come back, so an entry fires once per process whoever holds them); `noFaults`
 * when it is unset. Refused with NODE_ENV=production: a chaos setting left in production must stop the process.
 */
export function faultPointsFromEnvironment(env: NodeJS.ProcessEnv = process.env): FaultPoints {
  const spec = env.FAULT_POINTS;
  if (!spec) return noFaults;
  if (env.NODE_ENV === 'production') {
    throw new Error('FAULT_POINTS is set with NODE_ENV=production: fault points are for the chaos suite only');
  }
  let faults = built.get(env);
  if (!faults) {
    faults = armedFaultPoints(parseFaultPoints(spec), env.FAULT_POINTS_ASLEEP === '1');
    built.set(env, faults);
  }
  return faults;
}
