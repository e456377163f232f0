/** What one bench run collects: the results and checks of every scenario, and the processes it started. */
import type { Conservation } from '../../harness/conservation';
import type { Proc } from '../../harness/process';
import { CpuMeter } from './procs';

export interface ScenarioResult {
  id: string;
  title: string;
  system: 'service' | 'floor' | 'plain' | 'mariadb';
  connections: number;
  seconds: number;
  requests: number;
  /** Successful outcomes (201 holds, 200 reads, 400 sold-out answers, committed transactions). */
  ok: number;
  ok_per_second: number;
  p50_ms: number | null;
  p99_ms: number | null;
  errors: number;
  unexpected_status: Record<string, number>;
  fraction_of_hot_row?: number;
  oversold?: number;
  lost_holds?: number;
  conservation_ok?: boolean;
  cpu_seconds?: Record<string, number>;
  /** CPU milliseconds per successful outcome, per process (cpu_seconds ÷ ok). */
  cpu_ms_per_ok?: Record<string, number>;
  extra?: Record<string, unknown>;
}

export interface Check {
  scenario: string;
  conservation: Conservation;
  /** Holds answered 201 whose id is not in the database. */
  lost_holds?: number;
}

export const run = {
  results: [] as ScenarioResult[],
  checks: [] as Check[],
  procs: [] as Proc[],
  /** Processes whose CPU every scenario reports. */
  pids: { temporal: null as number | null, mariadb: null as number | null, redis: null as number | null },
  temporalAddress: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
  /** The Temporal server's Prometheus endpoint, when the run started its own server. */
  temporalMetricsUrl: null as string | null,
  serviceStarted: false,
};

export function meter(extra: Record<string, number | null> = {}) {
  return new CpuMeter({ ...run.pids, bench: process.pid, ...extra });
}

/** Adds a result, with its CPU per successful outcome worked out. */
export function record(result: ScenarioResult): ScenarioResult {
  if (result.cpu_seconds && result.ok > 0) {
    result.cpu_ms_per_ok = Object.fromEntries(
      Object.entries(result.cpu_seconds).map(([k, s]) => [k, Math.round((s * 100_000) / result.ok) / 100]),
    );
  }
  run.results.push(result);
  return result;
}
