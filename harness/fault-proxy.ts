import net from 'node:net';

/**
 * A loopback TCP proxy between the service and a real server (MariaDB, Redis) that can fail on command, so the
 * shared servers themselves are never touched:
 *
 * - `pass`      forwards everything (the normal state);
 * - `refuse`    the server is "down": every open connection is cut and new ones are closed at once;
 * - `blackhole` the network "hangs": nothing is forwarded either way and new connections get no answer;
 *               the bytes wait, and flow again (late) when the mode goes back to `pass`, as after a partition;
 * - `reset()`   cuts every open connection once ("connection killed mid-transaction") and keeps accepting.
 */
export type ProxyMode = 'pass' | 'refuse' | 'blackhole';

interface Link {
  client: net.Socket;
  server: net.Socket;
  /** Bytes that arrived while black-holed, per direction; delivered when the hole closes. */
  held: { toServer: Buffer[]; toClient: Buffer[] };
}

export class FaultProxy {
  private server: net.Server | null = null;
  private links = new Set<Link>();
  private mode: ProxyMode = 'pass';
  /** Connections accepted while black-holed: their upstream is opened only when the hole closes. */
  private waiting = new Set<net.Socket>();
  port = 0;
  stats = { accepted: 0, cut: 0 };

  constructor(
    readonly name: string,
    private readonly target: { host: string; port: number },
  ) {}

  async start(port = 0): Promise<number> {
    this.server = net.createServer((client) => this.accept(client));
    this.server.maxConnections = 2_000;
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  get current(): ProxyMode {
    return this.mode;
  }

  get openConnections(): number {
    return this.links.size + this.waiting.size;
  }

  setMode(mode: ProxyMode): void {
    const before = this.mode;
    this.mode = mode;
    if (mode === 'refuse') {
      this.cutAll();
      for (const c of this.waiting) c.destroy();
      this.waiting.clear();
    } else if (before === 'blackhole' && mode === 'pass') {
      for (const l of this.links) this.flush(l);
      const held = [...this.waiting];
      this.waiting.clear();
      for (const c of held) if (!c.destroyed) this.connect(c);
    }
  }

  /** Cuts every open connection now (both sides see a reset); new connections are still accepted. */
  reset(): number {
    return this.cutAll();
  }

  async close(): Promise<void> {
    this.cutAll();
    for (const c of this.waiting) c.destroy();
    this.waiting.clear();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private cutAll(): number {
    const n = this.links.size;
    for (const l of this.links) {
      l.client.resetAndDestroy();
      l.server.resetAndDestroy();
    }
    this.links.clear();
    this.stats.cut += n;
    return n;
  }

  private accept(client: net.Socket): void {
    this.stats.accepted++;
    client.on('error', () => undefined);
    if (this.mode === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    if (this.mode === 'blackhole') {
      client.pause();
      this.waiting.add(client);
      client.once('close', () => this.waiting.delete(client));
      return;
    }
    this.connect(client);
  }

  private connect(client: net.Socket): void {
    const server = net.connect(this.target.port, this.target.host);
    const link: Link = { client, server, held: { toServer: [], toClient: [] } };
    this.links.add(link);
    server.on('error', () => undefined);
    const drop = () => {
      if (!this.links.delete(link)) return;
      client.destroy();
      server.destroy();
    };
    client.once('close', drop);
    server.once('close', drop);
    // Forwarded by hand rather than piped: a pipe could resume a paused side on 'drain' mid-blackhole.
    client.on('data', (chunk: Buffer) => {
      if (this.mode === 'blackhole') link.held.toServer.push(chunk);
      else server.write(chunk);
    });
    server.on('data', (chunk: Buffer) => {
      if (this.mode === 'blackhole') link.held.toClient.push(chunk);
      else client.write(chunk);
    });
    client.resume();
  }

  private flush(l: Link): void {
    for (const chunk of l.held.toServer.splice(0)) l.server.write(chunk);
    for (const chunk of l.held.toClient.splice(0)) l.client.write(chunk);
  }
}
