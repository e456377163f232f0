import { randomUUID } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import type { Middleware } from 'koa';
import getRawBody from 'raw-body';
import { TemporalUnavailable } from '../sale/gateway-failures';
import type { Logger } from '../logger';
import type { ApiState } from './context';
import { statusCode } from './error-codes';
import {
  GENERIC_MESSAGES,
  HttpError,
  ValidationError,
  internalError,
  malformedJson,
  methodNotAllowed,
  payloadTooLarge,
  routeNotFound,
  unavailable,
} from './errors';
import { RequestState } from './request-state';
import { errorBody, withStoredCode } from './respond';

export const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
export const BODY_LIMIT_BYTES = 16 * 1024;

/** Keeps a client's sane X-Request-Id or makes one; every log line of the request carries it. */
export function requestContext(log: Logger): Middleware<ApiState> {
  return async (ctx, next) => {
    const incoming = ctx.get('X-Request-Id');
    const requestId = SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    // A client that hangs up before its answer frees its place in the queue for Temporal calls (state.gone).
    const state = new RequestState(requestId, log, ctx.res);
    ctx.state = state;
    ctx.set('X-Request-Id', requestId);
    const timed = log.isLevelEnabled('info');
    const started = timed ? process.hrtime.bigint() : 0n;
    try {
      await next();
    } finally {
      state.end();
      nameTheTrace(ctx.method, (ctx as unknown as { _matchedRoute?: string })._matchedRoute);
      if (timed) {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        state.log.info(
          { method: ctx.method, path: ctx.path, status: ctx.status, duration_ms: Math.round(ms * 10) / 10 },
          'request',
        );
      }
    }
  };
}

/**
 * Tracing on: the HTTP server span takes the route's pattern (`POST /api/holds/:id/release`), as Koa's own
 * instrumentation would (it does not support Koa 3 in the OpenTelemetry 1.x line Temporal's interceptors use).
 */
function nameTheTrace(method: string, route: string | undefined) {
  const span = trace.getActiveSpan();
  if (!span || route === undefined) return;
  span.setAttribute('http.route', route);
  span.updateName(`${method} ${route}`);
}

const isDbUnavailable = (err: Error) =>
  /^Sequelize(Connection\w*|HostNotFound|HostNotReachable|AccessDenied|ConnectionAcquireTimeout|ConnectionRefused|ConnectionTimedOut)Error$/.test(
    err.name,
  ) ||
  DB_TRANSIENT_CODES.has((err as { parent?: { code?: string } }).parent?.code ?? '') ||
  DB_TRANSIENT_CODES.has((err as { code?: string }).code ?? '');

/** Driver codes of a connection lost or stalled (or a transaction the server gave up): try again, 503. */
const DB_TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR',
  'ER_LOCK_DEADLOCK',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_SERVER_SHUTDOWN',
  'ER_CON_COUNT_ERROR',
]);

/**
 * The single place where failures become answers; nothing internal ever reaches a body. Every error body leaves with
 * the `code` it was raised with (src/api/errors.ts); an answer replayed from an idempotency record stored before
 * bodies carried codes gets its status's.
 */
export function errorMapping(): Middleware<ApiState> {
  const answerFailures = failureAnswers();
  return async (ctx, next) => {
    await answerFailures(ctx, next);
    const coded = withStoredCode(ctx.status, ctx.body);
    if (coded !== ctx.body) ctx.body = coded;
  };
}

function failureAnswers(): Middleware<ApiState> {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) throw routeNotFound();
      // The router answers OPTIONS with an empty text body; no content is the honest answer.
      if (ctx.method === 'OPTIONS' && ctx.status === 200 && ctx.body === '') ctx.status = 204;
    } catch (caught) {
      let err = caught as Error & { status?: number; headers?: Record<string, string> };
      // The router's 405 and 501 (a method it does not know) carry no Allow header: name the route's methods.
      if (err.status === 405 || (err.status === 501 && err.name === 'NotImplementedError')) {
        const allowed = routeMethods(ctx);
        err = allowed.length ? methodNotAllowed(allowed) : routeNotFound();
      }
      if (err instanceof TemporalUnavailable || isDbUnavailable(err)) {
        ctx.state.log.warn({ err: err.message, kind: err.name }, 'dependency unavailable');
        err = unavailable();
      }
      if (err instanceof ValidationError) {
        ctx.status = 422;
        ctx.body = { message: err.message, code: err.code, errors: err.errors };
        return;
      }
      if (err instanceof HttpError) {
        ctx.status = err.status;
        ctx.set(err.headers);
        ctx.body = errorBody(err);
        return;
      }
      // Koa/router errors that carry a client status (405 from allowedMethods, 413 from raw-body).
      if (typeof err.status === 'number' && err.status >= 400 && err.status < 500) {
        ctx.status = err.status;
        if (err.headers) ctx.set(err.headers);
        ctx.body = errorBody({ code: statusCode(err.status), message: clientMessage(err.status) });
        return;
      }
      ctx.state.log.error({ err: { name: err.name, message: err.message, stack: err.stack } }, 'unhandled error');
      ctx.status = 500;
      ctx.body = errorBody(internalError());
    }
  };
}

/** The methods of the routes that matched the path (HEAD comes with GET). */
function routeMethods(ctx: object): string[] {
  const matched = (ctx as { matched?: unknown }).matched;
  const layers = Array.isArray(matched) ? (matched as { methods?: string[] }[]) : [];
  return [...new Set(layers.flatMap((l) => l.methods ?? []))];
}

function clientMessage(status: number): string {
  switch (status) {
    case 405:
      return GENERIC_MESSAGES.methodNotAllowed;
    case 413:
      return GENERIC_MESSAGES.payloadTooLarge;
    case 415:
      return 'Unsupported media type';
    default:
      return 'Bad request';
  }
}

/**
 * Reads bodies as JSON whatever the Content-Type (the contract: JSON in, always), up to 16 KiB (a route taking a
 * provider's whole objects may allow more). Once per request: a router that needs the body early (the customer rate
 * limit) reads it, and the route's own jsonBody() then passes.
 */
export function jsonBody(limitBytes = BODY_LIMIT_BYTES): Middleware<ApiState> {
  return async (ctx, next) => {
    if (ctx.state.rawBody !== undefined) return next();
    ctx.state.rawBody = '';
    ctx.state.body = {};
    if (['POST', 'PUT', 'PATCH', 'DELETE'].includes(ctx.method)) {
      const declared = Number(ctx.get('Content-Length') || 0);
      if (declared > limitBytes) throw payloadTooLarge();
      let raw: string;
      try {
        raw = await getRawBody(ctx.req, { limit: limitBytes, encoding: 'utf8' });
      } catch (err) {
        const e = err as { type?: string; status?: number };
        if (e.type === 'entity.too.large') throw payloadTooLarge();
        if (e.type === 'encoding.unsupported')
          throw new HttpError(415, 'malformed_json', GENERIC_MESSAGES.unsupportedEncoding);
        throw new HttpError(400, 'malformed_json', GENERIC_MESSAGES.malformedBody);
      }
      ctx.state.rawBody = raw;
      if (raw.trim() !== '') {
        try {
          ctx.state.body = JSON.parse(raw);
        } catch {
          throw malformedJson();
        }
      }
    }
    await next();
  };
}
