import Router from '@koa/router';
import type { ApiDeps, ApiState } from '../context';

export const PROBE_TIMEOUT_MS = 1_500;
export const WELCOME_MESSAGE = 'Welcome to the API';

export function healthRoutes({ probes = {}, metrics }: ApiDeps) {
  const router = new Router<ApiState>();

  router.get('/api', (ctx) => {
    ctx.body = { message: WELCOME_MESSAGE, status: 'success', timestamp: new Date().toISOString() };
  });

  /** The process is alive and serving. */
  router.get('/health', (ctx) => {
    ctx.body = { status: 'ok', timestamp: new Date().toISOString() };
  });

  /** Every dependency answers: MariaDB, Redis and Temporal; 503 names the ones that do not. */
  router.get('/ready', async (ctx) => {
    const checks = await Promise.all(
      Object.entries(probes).map(async ([name, probe]) => {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('timeout')), PROBE_TIMEOUT_MS);
        });
        try {
          await Promise.race([probe(), timeout]);
          return [name, 'ok'] as const;
        } catch {
          return [name, 'unavailable'] as const;
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    const down = checks.filter(([, s]) => s !== 'ok').map(([n]) => n);
    ctx.status = down.length ? 503 : 200;
    ctx.body = {
      status: down.length ? 'unavailable' : 'ok',
      ...(down.length ? { message: `Unavailable: ${down.join(', ')}` } : {}),
      checks: Object.fromEntries(checks),
      timestamp: new Date().toISOString(),
    };
  });

  /** Prometheus scrape endpoint of this API process. */
  router.get('/metrics', async (ctx) => {
    if (!metrics) {
      ctx.status = 404;
      return;
    }
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  });

  return router;
}
