import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySignature } from '../signature';
import type { OutboundEvent } from '../shared/events';

export interface ReceivedEvent {
  event: OutboundEvent;
  /** Seen before (same id): a redelivery the receiver should ignore. */
  duplicate: boolean;
  receivedAt: Date;
}

export interface Receiver {
  server: Server;
  port: number;
  close: () => Promise<void>;
}

const MAX_BODY = 1 << 20;

/**
 * The receiving end of outbound events, for development (`npm run listen`) and tests: checks each `X-Signature`
 * against the shared secret (401 otherwise, so the sender retries), answers 200, and reports each event once per
 * arrival, marked `duplicate` after the first time its id was seen.
 */
export async function startReceiver(opts: {
  port: number;
  host?: string;
  secret: string;
  onEvent: (r: ReceivedEvent) => void;
  onRejected?: (reason: string) => void;
}): Promise<Receiver> {
  const seen = new Set<string>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      const answer = (status: number, reason?: string) => {
        if (reason) opts.onRejected?.(reason);
        res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify({ received: status === 200 }));
      };
      if (req.method !== 'POST') return answer(405, `${req.method} not accepted`);
      const raw = Buffer.concat(chunks).toString('utf8');
      if (!verifySignature(opts.secret, String(req.headers['x-signature'] ?? ''), raw)) {
        return answer(401, 'invalid signature');
      }
      let event: OutboundEvent;
      try {
        event = JSON.parse(raw) as OutboundEvent;
      } catch {
        return answer(400, 'malformed JSON');
      }
      if (typeof event?.id !== 'string' || typeof event.type !== 'string') return answer(400, 'not an event');
      const duplicate = seen.has(event.id);
      seen.add(event.id);
      opts.onEvent({ event, duplicate, receivedAt: new Date() });
      answer(200);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
