import { existsSync } from 'node:fs';
import { z } from 'zod';

/**
 * A whole number written in decimal digits only: "1e3", "0x10", "5.0" or " " are bad values, not numbers
 * that happen to parse (z.coerce would read "" as 0 and "0x10" as 16).
 */
const wholeNumber = (fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .regex(/^\d{1,15}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`))
    .optional()
    .transform((v) => v ?? fallback);
const HOST_PORT = /^[^\s:]+:\d{1,5}$/;
const positiveInt = (fallback: number) => wholeNumber(fallback, 1);
const optionalSecret = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v === '' ? undefined : v));

/** `*` alone, or a comma list of origins (`https://shop.example.com`, scheme and host, no path); empty: no CORS. */
const corsOrigins = z
  .string()
  .optional()
  .transform((v) =>
    v
      ?.split(',')
      .map((o) => o.trim())
      .filter(Boolean),
  )
  .superRefine((list, ctx) => {
    for (const origin of list ?? []) {
      if (origin === '*' ? list!.length > 1 : !isOrigin(origin)) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          message:
            origin === '*'
              ? '"*" must be the only entry'
              : `"${origin}" is not an origin like https://shop.example.com`,
        });
      }
    }
  })
  .transform((list) => (list?.length ? list : undefined));

function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return /^https?:$/.test(url.protocol) && url.origin === value;
  } catch {
    return false;
  }
}

export const HOLD_TTL_DEFAULT_SECONDS = 120;
export const PAYMENT_TIMEOUT_DEFAULT_SECONDS = 900;

/** Every setting the service reads, with the defaults used for local development. */
export const configSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    PORT: wholeNumber(8000, 0, 65535),
    HOLD_TTL_SECONDS: positiveInt(HOLD_TTL_DEFAULT_SECONDS),
    PAYMENT_TIMEOUT_SECONDS: positiveInt(PAYMENT_TIMEOUT_DEFAULT_SECONDS),
    SWEEP_INTERVAL_SECONDS: positiveInt(60),
    SWEEP_GRACE_SECONDS: wholeNumber(30, 0),
    DATABASE_URL: z
      .string()
      .url()
      .refine((u) => /^(mysql|mariadb):\/\//.test(u), 'must be a mysql:// or mariadb:// URL')
      .default('mysql://root@127.0.0.1:3306/flash_sale'),
    DATABASE_POOL_MAX: positiveInt(20),
    REDIS_URL: z
      .string()
      .url()
      .refine((u) => /^rediss?:\/\//.test(u), 'must be a redis:// or rediss:// URL')
      .default('redis://127.0.0.1:6379/0'),
    TEMPORAL_ADDRESS: z
      .string()
      .regex(HOST_PORT, 'must be host:port')
      .refine(
        (a) => !HOST_PORT.test(a) || Number(a.slice(a.lastIndexOf(':') + 1)) <= 65535,
        'port must be at most 65535',
      )
      .default('127.0.0.1:7233'),
    TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
    TASK_QUEUE: z.string().min(1).default('flash-sale'),
    TEMPORAL_CALL_TIMEOUT_MS: positiveInt(10_000),
    /** mTLS to a real cluster: client certificate and key (PEM paths), optional CA and server name. */
    TEMPORAL_TLS_CERT_PATH: optionalSecret.refine((p) => !p || existsSync(p), 'file not found'),
    TEMPORAL_TLS_KEY_PATH: optionalSecret.refine((p) => !p || existsSync(p), 'file not found'),
    TEMPORAL_TLS_CA_PATH: optionalSecret.refine((p) => !p || existsSync(p), 'file not found'),
    TEMPORAL_TLS_SERVER_NAME: optionalSecret,
    /** Temporal Cloud API key (implies TLS). */
    TEMPORAL_API_KEY: optionalSecret,
    WEBHOOK_SECRET: optionalSecret,
    ADMIN_TOKEN: optionalSecret,
    SWEEP_SCHEDULE_ID: z.string().min(1).default('flash-sale-sweep'),
    /**
     * Temporal calls one API process keeps in flight (holds, orders, releases); 0: no bound. Past it calls queue here,
     * first come first served. A dev server (one history shard) does its work one task at a time: more in flight only
     * queues inside Temporal, where each waiting start costs more CPU (docs/performance.md, "The knee").
     */
    TEMPORAL_MAX_IN_FLIGHT: wholeNumber(16, 0, 100_000),
    /**
     * How long a call waits here for a slot before a clean 503 (nothing started in Temporal). Long enough for a sale's
     * first burst to drain through the bound: a buyer in the queue keeps their place instead of retrying.
     */
    TEMPORAL_QUEUE_TIMEOUT_MS: wholeNumber(15_000, 0, 600_000),
    /** The sweep's own task queue (default `<TASK_QUEUE>-sweep`), so it never waits behind a storm of hold timers. */
    SWEEP_TASK_QUEUE: z.string().min(1).optional(),
    // Performance tuning (docs/performance.md measures each one; the defaults are the measured best on 2 cores).
    /** Workflow tasks one worker runs at once (Temporal's maxConcurrentWorkflowTaskExecutions). */
    WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: wholeNumber(200, 2, 10_000),
    /** Most open workflow-task polls (autoscaling poller; new holds arrive on the non-sticky queue). */
    WORKER_WORKFLOW_TASK_POLLERS: wholeNumber(20, 2, 1_000),
    /** Workflows kept in the worker's cache; evicted ones are replayed from history when they wake. */
    WORKER_MAX_CACHED_WORKFLOWS: wholeNumber(1_000, 0, 1_000_000),
    /** Local activities (the reservation) one worker runs at once. */
    WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: wholeNumber(200, 1, 10_000),
    /** Connections of the worker's one-round-trip reservation pool (beside DATABASE_POOL_MAX). */
    DATABASE_RESERVE_POOL_MAX: wholeNumber(10, 1, 1_000),
    /** Hold ids taken from the database sequence per round trip (1 = one NEXTVAL per hold). */
    HOLD_ID_BLOCK_SIZE: wholeNumber(100, 1, 100_000),
    /** How long a sold-out gate entry may live without being refreshed (seconds; 0 turns the gate off). */
    SOLD_OUT_GATE_TTL_SECONDS: wholeNumber(30, 0, 86_400),
    /** Where the worker serves the Temporal SDK's Prometheus metrics; empty turns it off. */
    WORKER_METRICS_ADDRESS: z
      .string()
      .regex(/^$|^[^\s:]+:\d{1,5}$/, 'must be host:port or empty')
      .default('127.0.0.1:9464'),
    // Hostile input (src/api/security.ts). Limits count requests per client address and window, across API processes
    // (in Redis; in memory while Redis is unreachable); 0 turns one limit off.
    /** `true` or `false`; unset: on, except with NODE_ENV=test (the test suite sends thousands of writes from 127.0.0.1). */
    RATE_LIMIT_ENABLED: z
      .enum(['true', 'false'], { errorMap: () => ({ message: 'must be true or false' }) })
      .optional()
      .transform((v) => (v === undefined ? undefined : v === 'true')),
    RATE_LIMIT_WINDOW_SECONDS: wholeNumber(60, 1, 3_600),
    /** POST /api/holds and POST /api/holds/{id}/release, per address and window. */
    RATE_LIMIT_HOLDS_PER_WINDOW: wholeNumber(300, 0, 1_000_000),
    RATE_LIMIT_ORDERS_PER_WINDOW: wholeNumber(300, 0, 1_000_000),
    /** High: a payment provider sends every order's webhook from a few addresses. */
    RATE_LIMIT_WEBHOOKS_PER_WINDOW: wholeNumber(6_000, 0, 1_000_000),
    RATE_LIMIT_ADMIN_PER_WINDOW: wholeNumber(120, 0, 1_000_000),
    /** Reverse proxies in front of the API whose X-Forwarded-For entries are trusted (`true` = 1); 0: the socket address. */
    TRUST_PROXY: z
      .string()
      .regex(/^(true|false|\d{1,2})$/, 'must be a number of proxies (0-10), true or false')
      .transform((v) => (v === 'true' ? 1 : v === 'false' ? 0 : Number(v)))
      .pipe(z.number().max(10, 'must be at most 10'))
      .optional()
      .transform((v) => v ?? 0),
    CORS_ORIGINS: corsOrigins,
    // The order's whole life (issue 13; docs in README "Late payments, events, extensions").
    /** A `paid` event for an order no longer pending: `refund` marks a refund owed; `honour_if_available` sells again. */
    LATE_PAYMENT_POLICY: z.enum(['refund', 'honour_if_available']).default('refund'),
    /** Where outbound events are POSTed; unset: no events (and no extra workflow work per hold). */
    EVENTS_URL: z
      .string()
      .url()
      .refine((u) => /^https?:\/\//.test(u), 'must be an http:// or https:// URL')
      .optional(),
    /** Signs outbound events in the webhook's X-Signature scheme; required with EVENTS_URL. */
    EVENTS_SECRET: optionalSecret,
    /** How long one event keeps being retried (exponential back-off) before it is marked undeliverable. */
    EVENTS_RETRY_HOURS: wholeNumber(72, 1, 24 * 365),
    /** Seconds a hold may be extended by in total; 0 (default): POST /api/holds/{id}/extend is disabled. */
    HOLD_MAX_EXTENSION_SECONDS: wholeNumber(0, 0, 7 * 86_400),
  })
  .superRefine((c, ctx) => {
    if (!c.TEMPORAL_TLS_CERT_PATH !== !c.TEMPORAL_TLS_KEY_PATH) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: [c.TEMPORAL_TLS_CERT_PATH ? 'TEMPORAL_TLS_KEY_PATH' : 'TEMPORAL_TLS_CERT_PATH'],
        message: 'TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH go together',
      });
    }
    if (c.EVENTS_URL && !c.EVENTS_SECRET) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['EVENTS_SECRET'], message: 'is required with EVENTS_URL' });
    }
    if (c.NODE_ENV === 'production' && !c.WEBHOOK_SECRET) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['WEBHOOK_SECRET'],
        message: 'is required when NODE_ENV=production',
      });
    }
  });

export type Config = z.infer<typeof configSchema>;

export const sweepTaskQueue = (c: Pick<Config, 'TASK_QUEUE' | 'SWEEP_TASK_QUEUE'>) =>
  c.SWEEP_TASK_QUEUE ?? `${c.TASK_QUEUE}-sweep`;

export class ConfigError extends Error {}

const EMPTY_IS_A_VALUE = new Set(['WORKER_METRICS_ADDRESS']);

/** Parses the environment once; a bad value stops start-up with a message naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable (`PORT=` in a compose file) means "not set": the default applies, never 0 or "";
  // except where empty is a documented value of its own (it turns the metrics endpoint off).
  const given = Object.fromEntries(
    Object.entries(env).filter(([k, v]) => v !== undefined && (v !== '' || EMPTY_IS_A_VALUE.has(k))),
  );
  const result = configSchema.safeParse(given);
  if (!result.success) {
    const byVariable = new Map<string, string[]>();
    for (const i of result.error.issues) {
      const name = i.path.join('.') || 'environment';
      const messages = byVariable.get(name) ?? [];
      if (!messages.includes(i.message)) messages.push(i.message);
      byVariable.set(name, messages);
    }
    const lines = [...byVariable].map(([name, messages]) => `${name}: ${messages.join('; ')}`);
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  return result.data;
}
