import { createServer, connect, type Server, type Socket } from 'node:net';

/** How the proxy treats the database. */
export type ProxyMode = 'pass' | 'refuse' | 'blackhole';

/**
 * A TCP proxy between the replicas and PostgreSQL that the test controls, so an outage never touches the
 * real server (other test files share it):
 * - `pass`: bytes flow both ways;
 * - `refuse`: open connections are reset and new ones refused (the listener closes: ECONNREFUSED), as when
 *   the server is stopped;
 * - `blackhole`: connections stay open, new ones are accepted, and nothing is forwarded either way, as
 *   behind a dead network path or a frozen server.
 * It also counts the statements the replicas send (extended-protocol Bind and simple Query messages), the
 * measure of "database work" in the chaos table.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly pairs = new Set<{ client: Socket; upstream: Socket }>();
  private mode: ProxyMode = 'pass';
  /** Statements sent to the server since start (Bind 'B' + Query 'Q'). */
  statements = 0;
  port = 0;

  constructor(
    private readonly target: { host: string; port: number },
    private readonly listenPort = 0,
  ) {}

  static forUrl(databaseUrl: string): TcpProxy {
    const url = new URL(databaseUrl);
    return new TcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
  }

  /** `databaseUrl` with host and port replaced by the proxy's. */
  rewrite(databaseUrl: string): string {
    const url = new URL(databaseUrl);
    url.hostname = '127.0.0.1';
    url.port = String(this.port);
    return url.toString();
  }

  async start(): Promise<this> {
    await this.listen(this.port || this.listenPort);
    return this;
  }

  async setMode(mode: ProxyMode): Promise<void> {
    const before = this.mode;
    this.mode = mode;
    if (mode === 'refuse') {
      for (const pair of this.pairs) {
        pair.client.resetAndDestroy();
        pair.upstream.destroy();
      }
      this.pairs.clear();
      await this.closeListener();
    } else if (before === 'refuse') {
      await this.listen(this.port);
    }
    if (mode === 'pass') {
      for (const pair of this.pairs) {
        pair.client.resume();
        pair.upstream.resume();
      }
    }
  }

  async close(): Promise<void> {
    for (const pair of this.pairs) {
      pair.client.destroy();
      pair.upstream.destroy();
    }
    this.pairs.clear();
    await this.closeListener();
  }

  private listen(port: number): Promise<void> {
    const server = createServer((client) => this.accept(client));
    this.server = server;
    return new Promise((ready, fail) => {
      server.once('error', fail);
      server.listen(port, '127.0.0.1', () => {
        this.port = (server.address() as { port: number }).port;
        ready();
      });
    });
  }

  private closeListener(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    return new Promise((done) => (server ? server.close(() => done()) : done()));
  }

  private accept(client: Socket): void {
    const upstream = connect(this.target.port, this.target.host);
    const pair = { client, upstream };
    this.pairs.add(pair);
    const end = (): void => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    const counter = new StatementCounter(() => this.statements++);
    // A black hole reads and drops nothing: it stops reading, so bytes pile up in the kernel, as on a dead path.
    client.on('data', (chunk: Buffer) => {
      if (this.mode !== 'pass') {
        client.pause();
        client.unshift(chunk);
        return;
      }
      counter.feed(chunk);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (this.mode !== 'pass') {
        upstream.pause();
        upstream.unshift(chunk);
        return;
      }
      client.write(chunk);
    });
  }
}

/** Splits the frontend byte stream into messages: a startup message (no type byte), then type + int32 length. */
class StatementCounter {
  private buffer = Buffer.alloc(0);
  private started = false;

  constructor(private readonly onStatement: () => void) {}

  feed(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const header = this.started ? 5 : 4;
      if (this.buffer.length < header) return;
      const length = this.started ? this.buffer.readInt32BE(1) + 1 : this.buffer.readInt32BE(0);
      if (this.buffer.length < length) return;
      if (this.started) {
        const type = String.fromCharCode(this.buffer[0]);
        if (type === 'B' || type === 'Q') this.onStatement();
      }
      this.started = true;
      this.buffer = this.buffer.subarray(length);
    }
  }
}
