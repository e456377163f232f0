import { once } from 'node:events';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  body: any;
}

/** `text` parsed as JSON, or undefined when it is none. */
export function parseJson(text: string): any {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

/** Requests exactly as given (any method, header bytes, chunked bodies): fetch refuses some of what clients send. */
export function rawClient(baseUrl: () => string) {
  return (
    method: string,
    path: string,
    opts: { headers?: Record<string, string>; body?: string | Buffer; chunks?: Buffer[] } = {},
  ): Promise<RawReply> =>
    new Promise((resolve, reject) => {
      const req = httpRequest(baseUrl() + path, { method, headers: opts.headers ?? {} }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => {
          const text = Buffer.concat(parts).toString('utf8');
          resolve({ status: res.statusCode!, headers: res.headers, text, body: parseJson(text) });
        });
      });
      req.on('error', reject);
      if (opts.chunks) for (const c of opts.chunks) req.write(c);
      else if (opts.body !== undefined) req.write(opts.body);
      req.end();
    });
}

/** `app` (a Koa app) listening on a free local port until the test ends (`cleanup` closes it): its base URL. */
export async function serveLocally(
  app: { listen: (port: number, host: string) => Server },
  cleanup: (cleanUp: () => unknown) => void,
): Promise<string> {
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanup(() => new Promise((resolve) => server.close(resolve)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
