export interface Reply<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/**
 * One JSON request to the API, the harness's only way of making one (the tests' client below, chaos/client.ts).
 * A body that is a string is sent as it is; `body` of the reply is undefined when the answer is not JSON. Throws
 * when no answer comes (a connection error, or `timeoutMs` passed).
 */
export async function sendJson<T = any>(
  url: string,
  method: string,
  body?: unknown,
  headers: Record<string, string> = {},
  timeoutMs?: number,
): Promise<Reply<T>> {
  const res = await fetch(url, {
    method,
    headers:
      body === undefined || Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')
        ? headers
        : { 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    signal: timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let parsed: any = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed as T, text };
}

/** A small JSON client for the API under test. */
export function httpClient(baseUrl: string) {
  const call = <T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    sendJson<T>(baseUrl + path, method, body, headers);
  return {
    call,
    get: <T = any>(path: string, headers?: Record<string, string>) => call<T>('GET', path, undefined, headers),
    post: <T = any>(path: string, body?: unknown, headers?: Record<string, string>) =>
      call<T>('POST', path, body ?? {}, headers),
    put: <T = any>(path: string, body?: unknown, headers?: Record<string, string>) =>
      call<T>('PUT', path, body ?? {}, headers),
  };
}

export type HttpClient = ReturnType<typeof httpClient>;
