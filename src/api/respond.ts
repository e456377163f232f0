import type { Context } from 'koa';
import { statusCode } from './error-codes';
import type { HttpError } from './errors';

export const now = () => new Date().toISOString();

/** Write endpoints: `{"status":"success","timestamp":…,"data":…}` (the webhook adds a message). */
export function success(ctx: Context, status: number, data: unknown, message?: string) {
  ctx.status = status;
  ctx.body =
    message === undefined
      ? { status: 'success', timestamp: now(), data }
      : { status: 'success', message, timestamp: now(), data };
}

/** `{"status":"error","message":…,"code":…,"timestamp":…}`: the body of every error but the 422. */
export function errorBody(err: Pick<HttpError, 'code' | 'message'>) {
  return { status: 'error', message: err.message, code: err.code, timestamp: now() };
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * An error body stored by the idempotency layer before bodies carried their code, replayed with its status's code
 * (in its place after the message). Every other body, coded or not an error, is returned as it is.
 */
export function withStoredCode(status: number, body: unknown): unknown {
  if (status < 400 || !isRecord(body) || typeof body.message !== 'string' || 'code' in body) return body;
  if (body.status !== 'error' && !(status === 422 && isRecord(body.errors))) return body;
  const { message, ...rest } = body;
  const code = statusCode(status);
  return 'status' in rest ? { status: rest.status, message, code, ...rest } : { message, code, ...rest };
}
