import { isIP } from 'node:net';
import cors from '@koa/cors';
import type { Context, Middleware } from 'koa';
import type { Config } from '../config';
import type { ApiState } from './state';

/** What the hostile-input defences need from the configuration (src/config.ts documents each setting). */
export interface SecuritySettings {
  /** Requests per client address and window for each group of write endpoints; 0 = no limit. */
  rateLimits: Record<LimitGroup, number>;
  /** Holds, releases and orders per API key and window, in place of the address's budget (0 or absent: none). */
  apiKeyLimit?: number;
  /** Holds, releases and orders per customer_id and window (0 or absent: none). */
  customerLimit?: number;
  windowSeconds: number;
  /** Reverse proxies whose X-Forwarded-For entries are trusted; 0 = the socket address is the client. */
  trustProxy: number;
  /** Origins allowed by CORS, or `['*']`; absent = no CORS headers at all. */
  corsOrigins?: string[];
}

export type LimitGroup = 'holds' | 'orders' | 'webhooks' | 'admin';

export function securitySettings(config: Config): SecuritySettings {
  const enabled = config.RATE_LIMIT_ENABLED ?? config.NODE_ENV !== 'test';
  const limit = (n: number) => (enabled ? n : 0);
  return {
    rateLimits: {
      holds: limit(config.RATE_LIMIT_HOLDS_PER_WINDOW),
      orders: limit(config.RATE_LIMIT_ORDERS_PER_WINDOW),
      webhooks: limit(config.RATE_LIMIT_WEBHOOKS_PER_WINDOW),
      admin: limit(config.RATE_LIMIT_ADMIN_PER_WINDOW),
    },
    apiKeyLimit: limit(config.RATE_LIMIT_API_KEY_PER_WINDOW),
    customerLimit: limit(config.RATE_LIMIT_CUSTOMER_PER_WINDOW),
    windowSeconds: config.RATE_LIMIT_WINDOW_SECONDS,
    trustProxy: config.TRUST_PROXY,
    corsOrigins: config.CORS_ORIGINS,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Security headers

/** JSON answers are never rendered, framed or allowed to load anything. */
const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
/** The /docs page (Swagger UI) loads its own scripts and styles; its route may set a tighter policy of its own. */
const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const isDocsPath = (path: string) => path === '/docs' || path.startsWith('/docs/');

/**
 * Headers on every answer, errors included (they are set before anything runs; routes may override them,
 * as /docs/* sets its own Cache-Control and CSP).
 */
export function securityHeaders(): Middleware<ApiState> {
  const common: [string, string][] = [
    ['X-Content-Type-Options', 'nosniff'],
    ['X-Frame-Options', 'DENY'],
    ['Referrer-Policy', 'no-referrer'],
    ['Cross-Origin-Opener-Policy', 'same-origin'],
    ['X-Permitted-Cross-Domain-Policies', 'none'],
  ];
  return async (ctx, next) => {
    // Straight onto the response, one list built once: this runs for every answer, the cheapest ones included.
    const { res } = ctx;
    for (const [name, value] of common) res.setHeader(name, value);
    res.setHeader('Content-Security-Policy', isDocsPath(ctx.path) ? DOCS_CSP : API_CSP);
    res.setHeader('Cache-Control', 'no-store');
    res.removeHeader('X-Powered-By');
    await next();
  };
}

// ---------------------------------------------------------------------------------------------------------------
// CORS

const EXPOSED_HEADERS = ['X-Request-Id', 'Link', 'Retry-After', 'Idempotent-Replayed'];
const ALLOWED_HEADERS = ['Content-Type', 'Authorization', 'Idempotency-Key', 'X-Request-Id', 'X-Signature'];

/**
 * CORS for the configured origins only: a request from another origin (or without Origin) gets no CORS headers,
 * so a browser refuses it; a preflight from an allowed origin answers 204 with the allowed methods and headers.
 * Without CORS_ORIGINS nothing is added at all.
 */
export function corsPolicy(settings?: SecuritySettings): Middleware<ApiState> {
  const origins = settings?.corsOrigins;
  if (!origins?.length) return (_ctx, next) => next();
  const any = origins.includes('*');
  const allowed = new Set(origins);
  return cors({
    origin: (ctx) => {
      const origin = ctx.get('Origin');
      if (!origin) return '';
      return any ? '*' : allowed.has(origin) ? origin : '';
    },
    allowMethods: ['GET', 'HEAD', 'POST', 'OPTIONS'],
    allowHeaders: ALLOWED_HEADERS,
    exposeHeaders: EXPOSED_HEADERS,
    maxAge: 600,
    credentials: false,
  }) as Middleware<ApiState>;
}

// ---------------------------------------------------------------------------------------------------------------
// Client address

/**
 * The client's address: the socket's, or with `trustProxy` = N, the entry the first of our N proxies added to
 * X-Forwarded-For (entries further left are whatever the client chose to send). IPv4-mapped IPv6 becomes IPv4,
 * and IPv6 is keyed by its /64, which one client usually owns whole.
 */
export function clientKey(ctx: Pick<Context, 'get' | 'req'>, trustProxy: number): string {
  let address = ctx.req.socket.remoteAddress ?? '';
  if (trustProxy > 0) {
    const chain = ctx
      .get('X-Forwarded-For')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const forwarded = chain.length ? stripPort(chain[Math.max(0, chain.length - trustProxy)]) : '';
    if (isIP(forwarded)) address = forwarded;
  }
  return addressKey(address);
}

function stripPort(entry: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(entry);
  if (bracketed) return bracketed[1];
  const v4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(entry);
  return v4WithPort ? v4WithPort[1] : entry;
}

export function addressKey(raw: string): string {
  const address = raw.replace(/%.*$/, '').toLowerCase();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(address);
  if (mapped) return mapped[1];
  if (isIP(address) !== 6) return address || 'unknown';
  return `${expandIPv6(address).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address (an embedded IPv4 tail becomes two groups). */
function expandIPv6(address: string): string[] {
  let text = address;
  const v4 = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number);
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((g) => parseInt(g, 16).toString(16));
}
