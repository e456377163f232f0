import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { resolveTemporalEnv, TEMPORAL_ALIASES, TemporalProfileError } from './temporal/envconfig';

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
const optionalFile = optionalSecret.refine((p) => !p || existsSync(p), 'file not found');

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
          code: 'custom',
          message:
            origin === '*'
              ? '"*" must be the only entry'
              : `"${origin}" is not an origin like https://shop.example.com`,
        });
      }
    }
  })
  .transform((list) => (list?.length ? list : undefined));

/** A key the shop's backend sends as `Authorization: Bearer <key>`: long enough that guessing it is hopeless. */
const API_KEY = /^[\x21-\x2b\x2d-\x7e]{16,256}$/;

/** Keys separated by commas or new lines (a file may also carry `#` comments); the keys themselves are never echoed. */
function keyList(text: string, ctx: z.RefinementCtx): string[] {
  const keys = text
    .split(/[,\n]/)
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter(Boolean);
  keys.forEach((key, i) => {
    if (!API_KEY.test(key)) {
      ctx.addIssue({
        code: 'custom',
        message: `key ${i + 1} must be 16 to 256 visible ASCII characters, without commas`,
      });
    }
  });
  return keys;
}

const apiKeysFile = z
  .string()
  .optional()
  .transform((path, ctx) => {
    if (!path) return undefined;
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      ctx.addIssue({ code: 'custom', message: `cannot read ${path}` });
      return undefined;
    }
    return keyList(text, ctx);
  });

const trueOrFalse = z
  .enum(['true', 'false'], { error: 'must be true or false' })
  .optional()
  .transform((v) => (v === undefined ? undefined : v === 'true'));

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
    // Temporal's standard connection settings, shared with the temporal CLI (src/temporal/envconfig.ts): a profile
    // of its TOML file fills in what the environment does not set.
    TEMPORAL_CONFIG_FILE: optionalFile,
    TEMPORAL_PROFILE: optionalSecret,
    /** Temporal Cloud API key (turns TLS on unless TEMPORAL_TLS=false). */
    TEMPORAL_API_KEY: optionalSecret,
    /** `true` or `false`; unset: on when any other TLS setting or an API key is given. */
    TEMPORAL_TLS: z
      .enum(['true', 'false', '1', '0'], { error: 'must be true or false' })
      .optional()
      .transform((v) => (v === undefined ? undefined : v === 'true' || v === '1')),
    /** mTLS to a real cluster: client certificate and key (PEM, as a file or as the text itself), CA, server name. */
    TEMPORAL_TLS_CLIENT_CERT_PATH: optionalFile,
    TEMPORAL_TLS_CLIENT_CERT_DATA: optionalSecret,
    TEMPORAL_TLS_CLIENT_KEY_PATH: optionalFile,
    TEMPORAL_TLS_CLIENT_KEY_DATA: optionalSecret,
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: optionalFile,
    TEMPORAL_TLS_SERVER_CA_CERT_DATA: optionalSecret,
    TEMPORAL_TLS_SERVER_NAME: optionalSecret,
    WEBHOOK_SECRET: optionalSecret,
    /**
     * The signing secret (`whsec_…`) of the Stripe endpoint that sends POST /api/payments/stripe; unset: that route
     * does not exist (404). One token: a space or line break pasted with it would fail every event's signature.
     */
    STRIPE_WEBHOOK_SECRET: optionalSecret.refine((v) => v === undefined || /^\S+$/.test(v), 'must not contain spaces'),
    /**
     * The currency of every price, and of the orders' `amount` (in its minor units): a lower-case ISO 4217 code. An
     * order keeps the currency it was created in.
     */
    // The same code and default as src/shared/money.ts (config may not import shared code).
    CURRENCY: z
      .string()
      .regex(/^[a-z]{3}$/, 'must be a lower-case ISO 4217 code like usd')
      .default('usd'),
    ADMIN_TOKEN: optionalSecret,
    /** Keys of the shop's backend (comma-separated; two during a rotation). Unset: the API is open (development). */
    API_KEYS: z
      .string()
      .optional()
      .transform((v, ctx) => (v ? keyList(v, ctx) : undefined)),
    /** A file of keys, one a line (a mounted secret); used together with API_KEYS. */
    API_KEYS_FILE: apiKeysFile,
    /** `true`: run without API keys even with NODE_ENV=production (an open API on purpose). */
    ALLOW_ANONYMOUS: trueOrFalse.transform((v) => v ?? false),
    /** Most units one hold may take; unset: no limit beyond the stock. */
    MAX_QUANTITY_PER_HOLD: z
      .string()
      .regex(/^\d{1,10}$/, 'must be a whole number')
      .transform(Number)
      .pipe(
        z
          .number()
          .min(1, 'must be at least 1')
          .max(2 ** 31 - 1, `must be at most ${2 ** 31 - 1}`),
      )
      .optional(),
    SWEEP_SCHEDULE_ID: z.string().min(1).default('flash-sale-sweep'),
    // Retention (docs/operations.md, "Retention"): the purge Schedule deletes what the service no longer needs.
    /**
     * Days closed holds and orders (with their payment events) and undeliverable events are kept: long enough for
     * refunds and disputes (card networks allow about 120 days). Orders with a refund still owed are always kept.
     */
    RETENTION_DAYS: wholeNumber(120, 1, 3_650),
    /** Days the record of a delivered outbound event is kept. */
    DELIVERY_RETENTION_DAYS: wholeNumber(7, 1, 3_650),
    /** How often the purge Schedule runs. */
    PURGE_INTERVAL_SECONDS: wholeNumber(3_600, 60, 7 * 86_400),
    /** Rows one purge statement (and transaction) deletes: small, so no delete holds many locks for long. */
    PURGE_BATCH_SIZE: wholeNumber(500, 1, 10_000),
    PURGE_SCHEDULE_ID: z.string().min(1).default('flash-sale-purge'),
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
    /**
     * `true` (default): this API process also runs a hold worker and starts holds eagerly on it (docs/performance.md,
     * "Eager workflow start"): the first workflow task skips matching and the reservation's outcome comes back
     * in-process. Until that worker runs (and whenever the server does not start a hold eagerly) holds use
     * Update-with-Start. `false`: the API only calls Temporal, and the worker processes run every hold.
     */
    HOLD_EAGER_START: trueOrFalse.transform((v) => v ?? true),
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
    /** Hold ids taken from the database sequence per round trip (1 = one NEXTVAL per hold). */
    HOLD_ID_BLOCK_SIZE: wholeNumber(100, 1, 100_000),
    /** How long a sold-out gate entry may live without being refreshed (seconds; 0 turns the gate off). */
    SOLD_OUT_GATE_TTL_SECONDS: wholeNumber(30, 0, 86_400),
    /** Where the worker serves the Temporal SDK's Prometheus metrics; empty turns it off. */
    WORKER_METRICS_ADDRESS: z
      .string()
      .regex(/^$|^[^\s:]+:\d{1,5}$/, 'must be host:port or empty')
      .default('127.0.0.1:9464'),
    /**
     * Where an API process's hold worker (HOLD_EAGER_START) serves the Temporal SDK's Prometheus metrics; empty turns it
     * off. Several API processes on one host each need their own.
     */
    HOLD_WORKER_METRICS_ADDRESS: z
      .string()
      .regex(/^$|^[^\s:]+:\d{1,5}$/, 'must be host:port or empty')
      .default('127.0.0.1:9564'),
    // Hostile input (src/api/security.ts). Limits count requests per client address and window, across API processes
    // (in Redis; in memory while Redis is unreachable); 0 turns one limit off.
    /** `true` or `false`; unset: on, except with NODE_ENV=test (the test suite sends thousands of writes from 127.0.0.1). */
    RATE_LIMIT_ENABLED: trueOrFalse,
    RATE_LIMIT_WINDOW_SECONDS: wholeNumber(60, 1, 3_600),
    /** POST /api/holds and POST /api/holds/{id}/release, per address and window. */
    RATE_LIMIT_HOLDS_PER_WINDOW: wholeNumber(300, 0, 1_000_000),
    RATE_LIMIT_ORDERS_PER_WINDOW: wholeNumber(300, 0, 1_000_000),
    /** High: a payment provider sends every order's webhook from a few addresses. */
    RATE_LIMIT_WEBHOOKS_PER_WINDOW: wholeNumber(6_000, 0, 1_000_000),
    RATE_LIMIT_ADMIN_PER_WINDOW: wholeNumber(120, 0, 1_000_000),
    /**
     * Holds, releases and orders per API key and window, in place of the per-address budgets: a shop's backend sends
     * every customer's requests from a few addresses (docs/integration.md sizes it for a sale).
     */
    RATE_LIMIT_API_KEY_PER_WINDOW: wholeNumber(60_000, 0, 10_000_000),
    /** Holds, releases and orders per customer_id and window, on top of the key's or the address's budget. */
    RATE_LIMIT_CUSTOMER_PER_WINDOW: wholeNumber(60, 0, 1_000_000),
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
    const cert = c.TEMPORAL_TLS_CLIENT_CERT_PATH ?? c.TEMPORAL_TLS_CLIENT_CERT_DATA;
    const key = c.TEMPORAL_TLS_CLIENT_KEY_PATH ?? c.TEMPORAL_TLS_CLIENT_KEY_DATA;
    if (!cert !== !key) {
      ctx.addIssue({
        code: 'custom',
        path: [cert ? 'TEMPORAL_TLS_CLIENT_KEY_PATH' : 'TEMPORAL_TLS_CLIENT_CERT_PATH'],
        message: 'a client certificate and its key go together (each as _PATH or _DATA)',
      });
    }
    if (c.RETENTION_DAYS * 24 <= c.EVENTS_RETRY_HOURS) {
      // An order's workflow may still be running (retrying its events) this long after it closed: its records outlive it.
      ctx.addIssue({
        code: 'custom',
        path: ['RETENTION_DAYS'],
        message: `must be longer than EVENTS_RETRY_HOURS (${c.EVENTS_RETRY_HOURS} h)`,
      });
    }
    if (c.EVENTS_URL && !c.EVENTS_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['EVENTS_SECRET'], message: 'is required with EVENTS_URL' });
    }
    for (const item of ['CLIENT_CERT', 'CLIENT_KEY', 'SERVER_CA_CERT'] as const) {
      if (c[`TEMPORAL_TLS_${item}_PATH`] && c[`TEMPORAL_TLS_${item}_DATA`]) {
        ctx.addIssue({
          code: 'custom',
          path: [`TEMPORAL_TLS_${item}_DATA`],
          message: `give TEMPORAL_TLS_${item}_PATH or TEMPORAL_TLS_${item}_DATA, not both`,
        });
      }
    }
    if (c.NODE_ENV === 'production' && !apiKeys(c).length && !c.ALLOW_ANONYMOUS) {
      ctx.addIssue({
        code: 'custom',
        path: ['API_KEYS'],
        message:
          'is required when NODE_ENV=production (or API_KEYS_FILE); set ALLOW_ANONYMOUS=true to run an open API on purpose',
      });
    }
    if (c.NODE_ENV === 'production' && !c.WEBHOOK_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['WEBHOOK_SECRET'],
        message: 'is required when NODE_ENV=production',
      });
    }
  });

export type Config = z.infer<typeof configSchema>;

/** Every API key the service accepts: API_KEYS and API_KEYS_FILE together. Empty: the API is open. */
export function apiKeys(c: Pick<Config, 'API_KEYS' | 'API_KEYS_FILE'>): string[] {
  return [...new Set([...(c.API_KEYS ?? []), ...(c.API_KEYS_FILE ?? [])])];
}

export const sweepTaskQueue = (c: Pick<Config, 'TASK_QUEUE' | 'SWEEP_TASK_QUEUE'>) =>
  c.SWEEP_TASK_QUEUE ?? `${c.TASK_QUEUE}-sweep`;

export class ConfigError extends Error {}

const EMPTY_IS_A_VALUE = new Set(['WORKER_METRICS_ADDRESS', 'HOLD_WORKER_METRICS_ADDRESS']);

/** The variables given: an empty one (`PORT=` in a compose file) means "not set", so the default applies. */
function givenVariables(env: NodeJS.ProcessEnv): Record<string, string> {
  // Except where empty is a documented value of its own (it turns the metrics endpoint off).
  return Object.fromEntries(
    Object.entries(env).filter(
      (e): e is [string, string] => e[1] !== undefined && (e[1] !== '' || EMPTY_IS_A_VALUE.has(e[0])),
    ),
  );
}

/** Settings given under names that still work for one release: one line each, for the start-up log. */
export function configWarnings(env: NodeJS.ProcessEnv = process.env): string[] {
  const given = givenVariables(env);
  return Object.entries(TEMPORAL_ALIASES)
    .filter(([alias]) => given[alias] !== undefined)
    .map(([alias, standard]) =>
      given[standard] === undefined
        ? `${alias} is deprecated and will be removed in the next release: use ${standard}`
        : `${alias} is ignored: ${standard} is set (and ${alias} will be removed in the next release)`,
    );
}

/**
 * Parses the environment once; a bad value stops start-up with a message naming the variable. Temporal's connection
 * settings also come from a profile of the temporal CLI's config file, for those the environment does not set.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  let resolved;
  try {
    resolved = resolveTemporalEnv(givenVariables(env));
  } catch (err) {
    if (err instanceof TemporalProfileError)
      throw new ConfigError(`Invalid configuration:\n  ${err.variable}: ${err.message}`);
    throw err;
  }
  const result = configSchema.safeParse(resolved.env);
  if (!result.success) {
    const byVariable = new Map<string, string[]>();
    for (const i of result.error.issues) {
      const variable = i.path.join('.');
      const origin = resolved.origins[variable];
      const name = (variable || 'environment') + (origin ? ` (${origin})` : '');
      const messages = byVariable.get(name) ?? [];
      if (!messages.includes(i.message)) messages.push(i.message);
      byVariable.set(name, messages);
    }
    const lines = [...byVariable].map(([name, messages]) => `${name}: ${messages.join('; ')}`);
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  return result.data;
}
