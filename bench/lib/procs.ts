import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Proc } from '../../harness/process';
import { sleep } from '../../harness/wait';

const TICKS_PER_SECOND = 100;

/** Resident memory (MiB) and CPU time (seconds, all threads) of a process, from /proc. */
export function procStats(pid: number): { rssMiB: number; cpuSeconds: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { rssMiB: rssKb / 1024, cpuSeconds: ticks / TICKS_PER_SECOND };
  } catch {
    return null;
  }
}

/** The pid listening on a local TCP port (the Temporal dev server, MariaDB, Redis), if `ss` can tell. */
export function pidListeningOn(port: number): number | null {
  try {
    const out = execFileSync('ss', ['-Hltnp', `sport = :${port}`], { encoding: 'utf8' });
    const m = /pid=(\d+)/.exec(out);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Waits until a URL answers with any HTTP status, or the process dies, or time runs out. */
export const waitForHttp = (url: string, proc: Proc, seconds: number) =>
  proc.untilAnswering(async () => {
    await (await fetch(url, { signal: AbortSignal.timeout(1_000) })).arrayBuffer();
    return true;
  }, seconds * 1000);

/** CPU seconds used by each process between two snapshots: the per-process profile of a scenario. */
export class CpuMeter {
  private start = new Map<string, number>();
  constructor(private pids: Record<string, number | null>) {
    for (const [name, pid] of Object.entries(pids)) {
      const s = pid ? procStats(pid) : null;
      if (s) this.start.set(name, s.cpuSeconds);
    }
  }
  /** CPU seconds per process since construction. */
  read(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, pid] of Object.entries(this.pids)) {
      const s = pid ? procStats(pid) : null;
      const before = this.start.get(name);
      if (s && before !== undefined) out[name] = Math.round((s.cpuSeconds - before) * 100) / 100;
    }
    return out;
  }
}

/**
 * Waits until these processes together use less than `idleShare` of a core over a second (at most `maxSeconds`),
 * and returns how long that took, so no run starts while the one before is still being worked off. (The slower
 * Temporal seen after a 1 000-connection run is not busy CPU: this wait does not remove it; docs/performance.md.)
 */
export async function waitUntilIdle(pids: (number | null)[], idleShare = 0.15, maxSeconds = 60): Promise<number> {
  const started = Date.now();
  const cpu = () => pids.reduce<number>((n, pid) => n + (pid ? (procStats(pid)?.cpuSeconds ?? 0) : 0), 0);
  while (Date.now() - started < maxSeconds * 1000) {
    const before = cpu();
    await sleep(1_000);
    if (cpu() - before < idleShare) break;
  }
  return Math.round((Date.now() - started) / 100) / 10;
}
