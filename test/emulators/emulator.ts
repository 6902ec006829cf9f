/**
 * Base class of the provider emulators: real `node:http` listeners on 127.0.0.1 (random ports), a request log,
 * failure injection, artificial latency and an injectable clock. Subclasses only map an `EmulatorRequest` to an
 * `EmulatorReply`; returning a value instead of writing to the socket is what lets failure injection drop a
 * response *after* the provider has processed the request (the nasty case for rotating refresh tokens).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { json, parseBody, type EmulatorReply, type EmulatorRequest } from './common.js';

export type { EmulatorReply, EmulatorRequest } from './common.js';

/** Options every emulator accepts. */
export interface EmulatorOptions {
  /** Delay before every request is handled, in ms. Default 0. Change later with `setLatency`. */
  latencyMs?: number;
  /**
   * How many requests `emu.requests` keeps (oldest dropped first). Default 10 000, so long stress runs do not
   * grow memory without bound. `0` disables the log.
   */
  maxLoggedRequests?: number;
}

/** What `failNext` injects instead of the emulator's real answer. */
export type FailureSpec =
  | {
      status: number;
      /** Default: a JSON body fitting the status (`{"error":"temporarily_unavailable"}` style). */
      body?: unknown;
      headers?: Record<string, string>;
      /** Adds `Retry-After: <n>` (use with 429/503). */
      retryAfterSeconds?: number;
      /** Wait this long before answering. */
      delayMs?: number;
    }
  | {
      /** Destroy the socket without answering. */
      drop: true;
      /**
       * `true`: handle the request first (tokens are issued, refresh tokens rotated, codes consumed), then drop
       * the answer, i.e. "the provider did it but the response was lost". Default false: drop before handling.
       */
      afterHandling?: boolean;
      delayMs?: number;
    }
  | {
      /** Only slow this request down, then answer normally. */
      delayMs: number;
    }
  | {
      /**
       * Handle the request for real (tokens issued, refresh tokens rotated), then change the JSON answer's
       * body before it leaves: odd but successful provider answers (e.g. a 43-character `token_type`).
       */
      rewrite: (body: Record<string, unknown>) => Record<string, unknown>;
      delayMs?: number;
    };

/**
 * Faults drawn at random for every request (that satisfies `match`) no queued `failNext` rule claimed:
 * each request gets the first spec whose draw hits, e.g. `[{ probability: 0.2, spec: { status: 503 } }]`.
 */
export interface RandomFaults {
  faults: Array<{ probability: number; spec: FailureSpec }>;
  match?: (req: EmulatorRequest) => boolean;
  /** Default Math.random; pass a seeded generator for a reproducible run. */
  random?: () => number;
}

interface FailureRule {
  spec: FailureSpec;
  remaining: number;
  match?: (req: EmulatorRequest) => boolean;
}

export interface BaseStats {
  /** Every request received, including injected failures. */
  requests: number;
  /** Requests answered (or dropped) by failure injection. */
  injectedFailures: number;
}

export abstract class Emulator<S extends BaseStats = BaseStats> {
  /** Received requests, oldest first (see `maxLoggedRequests`). Cleared in place by `reset()`. */
  readonly requests: EmulatorRequest[] = [];
  abstract readonly stats: S;

  private readonly servers = new Map<string, Server>();
  private readonly urls = new Map<string, string>();
  private rules: FailureRule[] = [];
  private randomFaults: RandomFaults | undefined;
  private latencyMs: number;
  private readonly initialLatencyMs: number;
  private readonly maxLogged: number;
  private clockFn: (() => Date | number) | undefined;
  private clockOffsetMs = 0;

  protected constructor(options: EmulatorOptions = {}) {
    this.latencyMs = this.initialLatencyMs = options.latencyMs ?? 0;
    this.maxLogged = options.maxLoggedRequests ?? 10_000;
  }

  /** Route one request. */
  protected abstract handle(req: EmulatorRequest): EmulatorReply | Promise<EmulatorReply>;

  /** Names of the listeners to open; the first is `url`. Override to add e.g. a legacy host. */
  protected listenerNames(): string[] {
    return ['main'];
  }

  /** Clears provider state (tokens, codes, grants, stats); registrations stay. Called by `reset()`. */
  protected abstract resetState(): void;

  /** Base URL of the main listener, e.g. `http://127.0.0.1:43123` (no trailing slash). */
  get url(): string {
    return this.urlOf('main');
  }

  /** Bare `host:port` of the main listener (what DocuSign calls the audience). */
  get host(): string {
    return new URL(this.url).host;
  }

  protected urlOf(listener: string): string {
    const u = this.urls.get(listener);
    if (!u) throw new Error(`emulator listener "${listener}" is not started`);
    return u;
  }

  /** Opens all listeners. The `start…Emulator` functions call this. */
  async listen(): Promise<this> {
    for (const name of this.listenerNames()) {
      const server = createServer({ keepAlive: true }, (req, res) => void this.dispatch(name, req, res));
      // Many short keep-alive connections in the stress tests: let idle ones live a little longer than Node's 5 s.
      server.keepAliveTimeout = 10_000;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
      this.servers.set(name, server);
      this.urls.set(name, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    }
    return this;
  }

  /** TCP connections open to the emulator now, over all its listeners (idle keep-alive ones included). */
  async openConnections(): Promise<number> {
    const counts = await Promise.all(
      [...this.servers.values()].map(
        (s) =>
          new Promise<number>((resolve, reject) => s.getConnections((e, n) => (e ? reject(e) : resolve(n)))),
      ),
    );
    return counts.reduce((sum, n) => sum + n, 0);
  }

  /** Stops every listener and destroys keep-alive and in-flight sockets. Idempotent. */
  async close(): Promise<void> {
    const servers = [...this.servers.values()];
    this.servers.clear();
    await Promise.all(
      servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections();
          }),
      ),
    );
  }

  /**
   * Makes the next `count` requests (that satisfy `match`, when given) fail as `spec` says. Rules queue up and
   * are consumed in the order they were added.
   */
  failNext(spec: FailureSpec, count = 1, match?: (req: EmulatorRequest) => boolean): void {
    this.rules.push({ spec, remaining: count, match });
  }

  /** Removes every pending failure rule and the random faults. */
  clearFailures(): void {
    this.rules = [];
    this.randomFaults = undefined;
  }

  /** Injects faults at random from now on (chaos runs); `undefined` stops them. Queued rules go first. */
  setRandomFaults(faults: RandomFaults | undefined): void {
    this.randomFaults = faults;
  }

  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  /** Current time of the emulator clock, in epoch ms. */
  now(): number {
    const base = this.clockFn ? Number(this.clockFn()) : Date.now();
    return base + this.clockOffsetMs;
  }

  /** Replaces the clock (`undefined` restores the real one). `advance` offsets still apply on top. */
  setClock(clock: (() => Date | number) | undefined): void {
    this.clockFn = clock;
  }

  /** Moves the emulator clock forward by `ms` (e.g. `emu.advance(90 * 86_400_000)`). */
  advance(ms: number): void {
    this.clockOffsetMs += ms;
  }

  /** Clears the request log, failure rules, latency, clock and provider state; registered clients/users stay. */
  reset(): void {
    this.requests.length = 0;
    this.rules = [];
    this.randomFaults = undefined;
    this.latencyMs = this.initialLatencyMs;
    this.clockFn = undefined;
    this.clockOffsetMs = 0;
    this.stats.requests = 0;
    this.stats.injectedFailures = 0;
    this.resetState();
  }

  private async dispatch(listener: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    let reply: EmulatorReply;
    try {
      const request = await this.readRequest(listener, req);
      this.stats.requests++;
      this.log(request);
      if (this.latencyMs > 0) await sleep(this.latencyMs, undefined, { ref: false });
      const rule = this.takeRule(request);
      if (rule) {
        request.injected = true;
        this.stats.injectedFailures++;
        if (rule.spec.delayMs) await sleep(rule.spec.delayMs, undefined, { ref: false });
        if ('drop' in rule.spec) {
          if (rule.spec.afterHandling) await this.handle(request);
          req.socket.destroy();
          return;
        }
        if ('status' in rule.spec) {
          this.write(res, this.injectedReply(rule.spec));
          return;
        }
        if ('rewrite' in rule.spec) {
          const real = await this.handle(request);
          const body =
            real.body && typeof real.body === 'object' ? (real.body as Record<string, unknown>) : {};
          this.write(res, { ...real, body: rule.spec.rewrite({ ...body }) });
          return;
        }
        request.injected = undefined; // delay-only rule: answer normally
      }
      reply = await this.handle(request);
    } catch (err) {
      // A bug in an emulator must show up in the test, not hang it.
      reply = json(500, { error: 'emulator_error', error_description: String(err) });
    }
    this.write(res, reply);
  }

  private readRequest(listener: string, req: IncomingMessage): Promise<EmulatorRequest> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('error', reject);
      req.on('end', () => {
        const rawBody = Buffer.concat(chunks).toString('utf8');
        const u = new URL(req.url ?? '/', 'http://emulator.invalid');
        resolve({
          method: req.method ?? 'GET',
          path: u.pathname,
          query: Object.fromEntries(u.searchParams),
          headers: req.headers,
          rawHeaders: req.rawHeaders,
          body: parseBody(req.headers['content-type'], rawBody),
          rawBody,
          at: new Date(this.now()),
          listener,
        });
      });
    });
  }

  private log(request: EmulatorRequest): void {
    if (this.maxLogged <= 0) return;
    this.requests.push(request);
    // Trim in batches so a full log costs O(1) amortised per request.
    if (this.requests.length > this.maxLogged + Math.ceil(this.maxLogged / 10)) {
      this.requests.splice(0, this.requests.length - this.maxLogged);
    }
  }

  private takeRule(request: EmulatorRequest): FailureRule | undefined {
    const i = this.rules.findIndex((r) => !r.match || r.match(request));
    if (i < 0) return this.drawRandomFault(request);
    const rule = this.rules[i];
    if (--rule.remaining <= 0) this.rules.splice(i, 1);
    return rule;
  }

  private drawRandomFault(request: EmulatorRequest): FailureRule | undefined {
    const chaos = this.randomFaults;
    if (!chaos || (chaos.match && !chaos.match(request))) return undefined;
    const random = chaos.random ?? Math.random;
    for (const { probability, spec } of chaos.faults) {
      if (random() < probability) return { spec, remaining: 1 };
    }
    return undefined;
  }

  private injectedReply(spec: Extract<FailureSpec, { status: number }>): EmulatorReply {
    const headers: Record<string, string> = { ...spec.headers };
    if (spec.retryAfterSeconds !== undefined) headers['retry-after'] = String(spec.retryAfterSeconds);
    const fallback =
      spec.status === 429
        ? { error: 'rate_limited', error_description: 'Too many requests (injected)' }
        : { error: 'temporarily_unavailable', error_description: `Injected HTTP ${spec.status}` };
    return { status: spec.status, headers, body: spec.body ?? fallback };
  }

  private write(res: ServerResponse, reply: EmulatorReply): void {
    if (res.destroyed || res.headersSent) return;
    const headers: Record<string, string> = { ...reply.headers };
    let payload = '';
    if (typeof reply.body === 'string') {
      payload = reply.body;
      if (payload && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
        headers['content-type'] = 'text/plain; charset=utf-8';
      }
    } else if (reply.body !== undefined) {
      payload = JSON.stringify(reply.body);
      headers['content-type'] ??= 'application/json; charset=utf-8';
    }
    headers['content-length'] = String(Buffer.byteLength(payload));
    res.writeHead(reply.status, headers);
    res.end(payload);
  }
}
