import { z } from 'zod';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const optionalSecret = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v === '' ? undefined : v));

/** Every setting the service reads, with the defaults used for local development. */
export const configSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    PORT: z.coerce.number().int().min(0).max(65535).default(8000),
    HOLD_TTL_SECONDS: positiveInt(120),
    PAYMENT_TIMEOUT_SECONDS: positiveInt(900),
    SWEEP_INTERVAL_SECONDS: positiveInt(60),
    SWEEP_GRACE_SECONDS: z.coerce.number().int().min(0).default(30),
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
      .regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port')
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
  const result = configSchema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  return result.data;
}
