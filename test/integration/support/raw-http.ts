import { request as httpRequest } from 'node:http';

export interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  body: any;
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
          let body: any;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            body = undefined;
          }
          resolve({ status: res.statusCode!, headers: res.headers, text, body });
        });
      });
      req.on('error', reject);
      if (opts.chunks) for (const c of opts.chunks) req.write(c);
      else if (opts.body !== undefined) req.write(opts.body);
      req.end();
    });
}
