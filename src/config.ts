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

/** Every setting the service reads, with the defaults used for local development. */
export const configSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    PORT: wholeNumber(8000, 0, 65535),
    HOLD_TTL_SECONDS: positiveInt(120),
    PAYMENT_TIMEOUT_SECONDS: positiveInt(900),
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
    WEBHOOK_SECRET: optionalSecret,
    ADMIN_TOKEN: optionalSecret,
    SWEEP_SCHEDULE_ID: z.string().min(1).default('flash-sale-sweep'),
  })
  .superRefine((c, ctx) => {
    if (c.NODE_ENV === 'production' && !c.WEBHOOK_SECRET) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['WEBHOOK_SECRET'],
        message: 'is required when NODE_ENV=production',
      });
    }
  });

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {}

/** Parses the environment once; a bad value stops start-up with a message naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable (`PORT=` in a compose file) means "not set": the default applies, never 0 or "".
  const given = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
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
