import type Router from '@koa/router';
import type { Logger } from '../logger';

/** What a request carries through the middleware; its own module, so the modules that ApiDeps names can use it. */
export interface ApiState {
  requestId: string;
  log: Logger;
  rawBody: string;
  body: unknown;
  /** The fingerprint of the request's valid API key (src/api/api-keys.ts), if it sent one. */
  apiKeyId?: string;
  /** Aborted when the client hangs up before its answer: work it waits on stops waiting. */
  gone?: AbortSignal;
}

export type ApiRouter = Router<ApiState>;
