import { existsSync } from 'node:fs';
import path from 'node:path';
import { PidRegistry } from '../harness/process';
import { serviceEnv } from '../harness/service';
import { freePort } from '../harness/wait';

/** Where the suite runs (its build, logs, data directories and pid file) and what it runs the service with. */

export const ROOT = path.resolve(__dirname, '..');
export const RUN_DIR = path.join(ROOT, '.run', 'chaos');
export const LOG_DIR = path.join(RUN_DIR, 'logs');
export const DIST = process.env.CHAOS_DIST ? path.resolve(process.env.CHAOS_DIST) : path.join(RUN_DIR, 'dist');

/** The service's settings for the whole run: short timers so expiry, sweep and payment timeouts happen often. */
export const SETTINGS = {
  database: process.env.CHAOS_DATABASE ?? 'flash_sale_chaos',
  redisDb: 0,
  logLevel: 'info',
  namespace: 'default',
  taskQueue: 'flash-sale-chaos',
  sweepScheduleId: 'flash-sale-chaos-sweep',
  purgeScheduleId: 'flash-sale-chaos-purge',
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
const PORT_BASE = Number(process.env.CHAOS_PORT_BASE ?? 7500);
const PORT_OFFSETS = { temporal: 0, api: 10, loadApi: 11, mariadb: 20, redis: 30, dbProxy: 40, redisProxy: 41 };
export type StackPorts = Record<keyof typeof PORT_OFFSETS, number>;

export async function stackPorts(): Promise<StackPorts> {
  const ports = {} as StackPorts;
  for (const [name, offset] of Object.entries(PORT_OFFSETS))
    ports[name as keyof StackPorts] = await freePort(PORT_BASE + offset);
  return ports;
}

/**
 * The environment of the service's processes: the suite's settings, its stores through the fault proxies, the build's
 * workflow bundle, and `extra` (a scenario's own settings, HOLD_EAGER_START, fault points) last.
 */
export function processEnv(ports: StackPorts, dist: string, extra: Record<string, string>): NodeJS.ProcessEnv {
  const keep = ['PATH', 'HOME', 'LANG', 'NODE_EXTRA_CA_CERTS', 'TMPDIR'];
  const base = Object.fromEntries(keep.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]]));
  const bundle = path.join(dist, 'workflow-bundle.js');
  const settings = {
    ...SETTINGS,
    port: ports.api,
    databaseUrl: `mysql://root@127.0.0.1:${ports.dbProxy}/${SETTINGS.database}`,
    redisUrl: `redis://127.0.0.1:${ports.redisProxy}/${SETTINGS.redisDb}`,
    temporalAddress: `127.0.0.1:${ports.temporal}`,
  };
  return {
    ...serviceEnv(settings, base),
    ...(existsSync(bundle) ? { WORKFLOW_BUNDLE_PATH: bundle } : {}),
    // Everything else is the service's default (src/config.ts: the pool, the Temporal in-flight bound and its queue,
    // the call deadline): the suite tests what ships. A scenario about another setting names it (Scenario.settings).
    // The rate limiter stays in the path (its Redis use is under test too) with limits the load never reaches: every
    // buyer of the suite comes from one address, which no real sale has.
    RATE_LIMIT_HOLDS_PER_WINDOW: '1000000',
    RATE_LIMIT_ORDERS_PER_WINDOW: '1000000',
    RATE_LIMIT_WEBHOOKS_PER_WINDOW: '1000000',
    RATE_LIMIT_ADMIN_PER_WINDOW: '1000000',
    ...extra,
  };
}

let pids: PidRegistry | null = null;
/** The pid registry of this run (a later run reaps what a killed one left behind). */
export function runPids(): PidRegistry {
  pids ??= new PidRegistry(path.join(RUN_DIR, 'pids.json'), RUN_DIR);
  return pids;
}
