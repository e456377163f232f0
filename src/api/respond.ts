import type { Context } from 'koa';

export const now = () => new Date().toISOString();

/** Write endpoints: `{"status":"success","timestamp":…,"data":…}` (the webhook adds a message). */
export function success(ctx: Context, status: number, data: unknown, message?: string) {
  ctx.status = status;
  ctx.body =
    message === undefined
      ? { status: 'success', timestamp: now(), data }
      : { status: 'success', message, timestamp: now(), data };
}

export function errorBody(message: string) {
  return { status: 'error', message, timestamp: now() };
}
