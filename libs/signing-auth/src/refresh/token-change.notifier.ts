import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { SIGNING_AUTH_DATA_SOURCE } from '../common/tokens.js';
import { TOKEN_CHANGED_CHANNEL } from './refresh-lease.repository.js';

export type TokenChangeListener = (tenantId: string, provider: string, version: number) => void;
/** Called when notifications may have been missed: every cached token must be dropped. */
export type TokenResetListener = () => void;

interface PgClientLike {
  processID?: number | null;
  connect(): Promise<unknown>;
  query(sql: string): Promise<unknown>;
  end(): Promise<void>;
  on(event: 'notification', fn: (msg: { channel: string; payload?: string }) => void): unknown;
  on(event: 'error' | 'end', fn: (error?: Error) => void): unknown;
}

/**
 * Tells this process's token cache when a connection's token changed, here or in another replica.
 * - Same process: the refresher calls {@link publishLocal} after every write.
 * - Other replicas (real PostgreSQL): a dedicated `pg` client LISTENs on `signing_auth_token_changed`; the
 *   write statement itself NOTIFYs (tenant, provider, version; never a secret), delivered on commit. The
 *   client reconnects with backoff when the connection drops.
 * - Embedded PGlite: one process by construction, so in-process invalidation is all there is to do.
 * Without notifications a cache entry would still be dropped when its refresh time comes; the notification
 * only shortens how long a replica serves a token another replica has replaced. Notifications sent while
 * the listener was disconnected are lost, so every (re)connect tells the reset listeners to drop the whole
 * cache.
 * @internal
 */
@Injectable()
export class TokenChangeNotifier implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(TokenChangeNotifier.name);
  private readonly listeners: TokenChangeListener[] = [];
  private readonly resetListeners: TokenResetListener[] = [];
  private client: PgClientLike | null = null;
  private stopped = false;
  private reconnectDelayMs = 500;

  constructor(@Inject(SIGNING_AUTH_DATA_SOURCE) private readonly dataSource: DataSource) {}

  subscribe(listener: TokenChangeListener): void {
    this.listeners.push(listener);
  }

  /** `listener` runs each time the LISTEN connection is (re)established: changes may have been missed. */
  onReset(listener: TokenResetListener): void {
    this.resetListeners.push(listener);
  }

  /**
   * Tells this process and every other replica that a connection changed outside a refresh (replaced or
   * deleted by an admin), so no cache keeps serving its old token. `version` null drops any cached entry.
   */
  async announce(tenantId: string, provider: string, version: number | null): Promise<void> {
    const v = version ?? Number.MAX_SAFE_INTEGER;
    this.publishLocal(tenantId, provider, v);
    try {
      await this.dataSource.query(`SELECT pg_notify('${TOKEN_CHANGED_CHANNEL}', $1)`, [
        JSON.stringify({ t: tenantId, p: provider, v }),
      ]);
    } catch (error) {
      // The change itself is already committed; failing the caller (an admin's save or delete) for the
      // notification would report a change that happened as failed. Other replicas drop the entry when
      // its own refresh time comes (a full NOTIFY queue, SQLSTATE 54000, is the usual cause).
      this.logger.warn(
        `Could not notify other replicas that the ${provider} connection of tenant "${tenantId}" changed ` +
          `(${(error as { code?: string })?.code ?? 'no code'}): their cached token expires on its own`,
      );
    }
  }

  publishLocal(tenantId: string, provider: string, version: number): void {
    for (const listener of this.listeners) listener(tenantId, provider, version);
  }

  /** True when cross-process notifications are being received. */
  get listening(): boolean {
    return this.client !== null;
  }

  /** The database backend the listener is connected to (diagnostics, tests); null when not listening. */
  get listenerBackendPid(): number | null {
    return this.client?.processID ?? null;
  }

  async onModuleInit(): Promise<void> {
    if (!this.poolOptions()) {
      this.logger.debug('Embedded database: token changes are shared in-process only');
      return;
    }
    await this.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  /** The pg pool's connection settings when the data source is a real server (not PGlite's driver). */
  private poolOptions(): Record<string, unknown> | null {
    const options = this.dataSource.options as { type: string; driver?: unknown };
    if (options.type !== 'postgres' || options.driver) return null;
    const master = (this.dataSource.driver as unknown as { master?: { options?: Record<string, unknown> } })
      .master;
    return master?.options ?? null;
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const settings = this.poolOptions();
    if (!settings) return;
    try {
      const pg = (await import('pg')).default;
      const client = new pg.Client(settings) as unknown as PgClientLike;
      client.on('notification', (msg) => this.onNotification(msg.channel, msg.payload));
      client.on('error', (error) => this.onDisconnect(client, error));
      client.on('end', () => this.onDisconnect(client));
      await client.connect();
      await client.query(`LISTEN ${TOKEN_CHANGED_CHANNEL}`);
      this.client = client;
      this.reconnectDelayMs = 500;
      // Listening from here on; whatever changed before (while disconnected) was not heard: forget it all.
      for (const reset of this.resetListeners) reset();
    } catch (error) {
      this.logger.warn(`Cannot listen for token changes (${(error as Error).message}); retrying`);
      this.scheduleReconnect();
    }
  }

  private onDisconnect(client: PgClientLike, error?: Error): void {
    if (this.client !== client) return;
    this.client = null;
    if (this.stopped) return;
    this.logger.warn(`Token change listener disconnected${error ? ` (${error.message})` : ''}; reconnecting`);
    client.end().catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    const delay = this.reconnectDelayMs;
    this.reconnectDelayMs = Math.min(delay * 2, 30_000);
    setTimeout(() => void this.connect(), delay).unref();
  }

  private onNotification(channel: string, payload: string | undefined): void {
    if (channel !== TOKEN_CHANGED_CHANNEL || !payload) return;
    try {
      const { t, p, v } = JSON.parse(payload) as { t: string; p: string; v: number };
      this.publishLocal(t, p, Number(v));
    } catch {
      // not ours (another library on the same channel name): ignore
    }
  }
}
