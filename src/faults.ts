/**
 * Fault points for the chaos suite (chaos/, `npm run chaos`). Each `await faultPoint('reserve.afterCommit')`
 * marks a place where a crash or a stall hurts most, e.g. between a COMMIT and the report of its activity.
 *
 * Unset `FAULT_POINTS` (production, tests) and `faultPoint` is a function that returns at once: no parsing,
 * no lookups, no timers on the hot path. Set, it is a comma-separated list of `point=action[@n]`:
 *
 *   FAULT_POINTS='reserve.afterCommit=kill'            SIGKILL this process at the first hit
 *   FAULT_POINTS='release.beforeCommit=pause:15000@2'  stall the second hit for 15 s (the transaction stays open)
 *   FAULT_POINTS='order.afterCommit=stop'              SIGSTOP this process (the harness sends SIGCONT)
 *   FAULT_POINTS='release.afterCommit=throw'           throw, as a lost connection would
 *
 * Each entry fires once per process, on its n-th hit (default 1). A line naming the point goes to stderr
 * just before it fires, so the harness can tell when (and that) it happened.
 */

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

/** Parses a FAULT_POINTS value; a malformed entry is an error, so a typo cannot silently test nothing. */
export function parseFaultPoints(spec: string): Map<string, Armed> {
  const armed = new Map<string, Armed>();
  for (const entry of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^([\w.-]+)=(kill|stop|throw|pause:(\d+))(?:@(\d+))?$/.exec(entry);
    if (!m) throw new Error(`FAULT_POINTS: bad entry "${entry}" (want point=kill|stop|throw|pause:<ms>[@n])`);
    const action: Action = m[3] ? { kind: 'pause', ms: Number(m[3]) } : { kind: m[2] as 'kill' | 'stop' | 'throw' };
    armed.set(m[1], { action, nth: m[4] ? Math.max(1, Number(m[4])) : 1, hits: 0 });
  }
  return armed;
}

function armedFaultPoint(armed: Map<string, Armed>) {
  return async function faultPoint(name: string): Promise<void> {
    const a = armed.get(name);
    if (!a || ++a.hits !== a.nth) return;
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
  };
}

const noFault = (_name: string): void => undefined;

function fromEnvironment(spec: string | undefined): (name: string) => void | Promise<void> {
  if (!spec) return noFault;
  if (process.env.NODE_ENV === 'production') {
    throw new Error('FAULT_POINTS is set with NODE_ENV=production: fault points are for the chaos suite only');
  }
  return armedFaultPoint(parseFaultPoints(spec));
}

/** A no-op unless FAULT_POINTS names this point (see above). */
export const faultPoint = fromEnvironment(process.env.FAULT_POINTS);
