import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The current caller's "gone" signal: aborted when the HTTP client hangs up before its answer. The API sets it per
 * request; a Temporal call still waiting for its turn (see admission.ts) is then dropped instead of starting work
 * that nobody will read. A call already sent to Temporal is never cancelled: it may have committed.
 */
export const callerGone = new AsyncLocalStorage<AbortSignal>();
