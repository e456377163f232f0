/** Shared plumbing of the small operator CLIs (webhook, admin): arguments, one HTTP call, printing. */

export const DEFAULT_API_URL = 'http://127.0.0.1:8000';
const REQUEST_TIMEOUT_MS = 15_000;

/** A mistake in how the command was called: printed with the usage text, exit code 2. */
export class UsageError extends Error {}

export interface Reply {
  status: number;
  statusText: string;
  text: string;
}

/** `--url`, else API_URL, else the local default; always without a trailing slash. */
export function apiBaseUrl(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const raw = flag ?? (env.API_URL || DEFAULT_API_URL);
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new UsageError(`not a URL: ${raw}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UsageError(`not an http(s) URL: ${raw}`);
  return parsed.toString().replace(/\/+$/, '');
}

export function required(name: string, value: string | undefined): string {
  if (value === undefined || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

/** A path id: a canonical positive integer, checked here because it becomes part of a URL. */
export function positiveId(name: string, value: string | undefined): number {
  const v = required(name, value);
  if (!/^[1-9]\d{0,9}$/.test(v)) throw new UsageError(`--${name} must be a positive integer, got "${v}"`);
  return Number(v);
}

/** Numbers go out as JSON numbers; anything else is sent as given so the API's validation answers it. */
export function jsonValue(value: string): string | number {
  return /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
}

export async function postJson(
  url: string,
  rawBody: string,
  headers: Record<string, string> = {},
  method: 'POST' | 'PUT' | 'PATCH' = 'POST',
): Promise<Reply> {
  const res = await fetch(url, {
    method,
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...headers },
    body: rawBody,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  return { status: res.status, statusText: res.statusText, text: await res.text() };
}

/** `HTTP <status> <reason>`, then the body (pretty-printed when it is JSON). */
export function printReply(reply: Reply): void {
  let body = reply.text;
  try {
    body = JSON.stringify(JSON.parse(reply.text), null, 2);
  } catch {
    // Not JSON: print it as it came.
  }
  process.stdout.write(`HTTP ${reply.status}${reply.statusText ? ` ${reply.statusText}` : ''}\n${body}\n`);
}

/** Runs a command: its exit code, 2 with the usage text for a usage error, 1 when the API cannot be reached. */
export function runCli(usage: string, command: () => Promise<number>): void {
  command().then(
    (code) => {
      process.exitCode = code;
    },
    (err: Error) => {
      if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
        process.stderr.write(`error: ${err.message}\n\n${usage}`);
        process.exitCode = 2;
        return;
      }
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const detail = cause?.code ?? cause?.message;
      process.stderr.write(`error: ${err.message}${detail ? ` (${detail})` : ''}\n`);
      process.exitCode = 1;
    },
  );
}
