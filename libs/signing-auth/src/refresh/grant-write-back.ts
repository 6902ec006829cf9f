import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { RESOLVED_OPTIONS, type ResolvedOptions } from '../common/resolved-options.js';
import type { ConnectionEntity } from '../connections/connection.entity.js';
import type { TokenGrant } from '../providers/strategy.interface.js';
import { BatchedGrantWriter } from './batched-grant-writer.js';
import { RefreshLeaseRepository, type RefreshedWrite } from './refresh-lease.repository.js';
import type { RefreshOutcome } from './refresh-request.js';
import { TokenChangeNotifier } from './token-change.notifier.js';

/** What `storeRefreshed` needs besides the grant. @internal */
export type GrantWrite = RefreshedWrite['write'];

/** A grant the provider issued that is not in the database yet, and what callers are served meanwhile. */
interface ParkedGrant {
  row: ConnectionEntity;
  owner: string;
  grant: TokenGrant;
  write: GrantWrite;
  outcome: RefreshOutcome;
  attempts: number;
  timer: NodeJS.Timeout | null;
}

/** How a write-back ended. `deferred`: parked in memory, served, retried in the background. */
export type WriteBackResult = { kind: 'stored'; version: number } | { kind: 'fenced' } | { kind: 'deferred' };

/** Attempts made while the caller waits, and the pauses between them. */
const INLINE_PAUSES_MS = [100, 400];
/** Background retries: first pause, doubling up to the cap (and to a third of the lease), while the process lives. */
const RETRY_FIRST_MS = 1_000;
const RETRY_MAX_MS = 30_000;

/**
 * Writes a refreshed grant back, and never drops it while the process lives. Once a rotating provider
 * answered, the old refresh token is spent: losing the new one costs the tenant a reconnect. So a failed
 * write (database unreachable, a fault at the write) is retried while the lease is held and extended; when
 * it keeps failing the grant is parked in memory, served to callers, and retried in the background until
 * it is written or another writer fences it out. The lease is ended by the write itself; a parked grant
 * keeps it (extended at each retry) so no other replica sends the spent token meanwhile.
 * The one window no code closes: the process dies between the provider's answer and the write.
 * @internal
 */
@Injectable()
export class GrantWriteBack implements OnApplicationShutdown {
  private readonly logger = new Logger('SigningAuthWriteBack');
  private readonly parked = new Map<string, ParkedGrant>();

  constructor(
    private readonly leases: RefreshLeaseRepository,
    private readonly notifier: TokenChangeNotifier,
    private readonly writer: BatchedGrantWriter,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedOptions,
  ) {}

  /** Writes `grant`, retrying a few times while the caller waits; parks it when that is not enough. */
  async store(
    row: ConnectionEntity,
    owner: string,
    grant: TokenGrant,
    write: GrantWrite,
    outcome: RefreshOutcome,
  ): Promise<WriteBackResult> {
    const parked: ParkedGrant = { row, owner, grant, write, outcome, attempts: 0, timer: null };
    for (let i = 0; ; i++) {
      const result = await this.attempt(parked);
      if (result) return result;
      if (i >= INLINE_PAUSES_MS.length) break;
      await pause(INLINE_PAUSES_MS[i]);
    }
    this.park(parked);
    return { kind: 'deferred' };
  }

  /** The grant parked for this connection, if any: serve it rather than refreshing again. */
  parkedOutcome(tenantId: string, provider: string): RefreshOutcome | undefined {
    return this.parked.get(key(tenantId, provider))?.outcome;
  }

  /** Tries a parked grant's write now (a caller needs the connection). Returns what is parked afterwards. */
  async retryNow(tenantId: string, provider: string): Promise<RefreshOutcome | undefined> {
    const parked = this.parked.get(key(tenantId, provider));
    if (!parked) return undefined;
    if (parked.timer) clearTimeout(parked.timer);
    parked.timer = null;
    const result = await this.attempt(parked);
    if (result) this.unpark(parked, result);
    else this.schedule(parked);
    return this.parked.get(key(tenantId, provider))?.outcome;
  }

  /** One last try for every parked grant; what still fails is lost with the process: say so loudly. */
  async onApplicationShutdown(): Promise<void> {
    for (const parked of [...this.parked.values()]) {
      if (parked.timer) clearTimeout(parked.timer);
      const result = await this.attempt(parked);
      if (result) this.unpark(parked, result);
      else {
        this.parked.delete(key(parked.row.tenantId, parked.row.provider));
        this.logger.error(
          `Shutting down with the refreshed ${parked.row.provider} grant of tenant "${parked.row.tenantId}" ` +
            `still unwritten after ${parked.attempts} attempts: if the provider rotates refresh tokens, ` +
            'the tenant must connect again',
        );
      }
    }
  }

  /** One write; null when the database failed (retry), a result otherwise. Extends the lease first. */
  private async attempt(parked: ParkedGrant): Promise<WriteBackResult | null> {
    parked.attempts++;
    try {
      if (parked.attempts > 1) {
        // Keep the lease while retrying. A lost lease is not the end: the write is fenced by owner and
        // version, and succeeds as long as nobody else has claimed the row since.
        await this.leases
          .extend(parked.row, parked.owner, this.options.refresh.leaseSeconds * 1000)
          .catch(() => false);
      }
      const version = await this.writer.storeRefreshed(parked.row, parked.owner, parked.grant, parked.write);
      return version === null ? { kind: 'fenced' } : { kind: 'stored', version };
    } catch (error) {
      if (parked.attempts === 1 || parked.attempts % 10 === 0) {
        this.logger.warn(
          `Writing the refreshed ${parked.row.provider} grant of tenant "${parked.row.tenantId}" failed ` +
            `(attempt ${parked.attempts}): ${(error as Error)?.message ?? error}; holding it in memory and retrying`,
        );
      }
      return null;
    }
  }

  private park(parked: ParkedGrant): void {
    this.parked.set(key(parked.row.tenantId, parked.row.provider), parked);
    this.schedule(parked);
  }

  private schedule(parked: ParkedGrant): void {
    const background = Math.max(0, parked.attempts - INLINE_PAUSES_MS.length - 1);
    // At least three tries per lease length: when the database comes back, the parked write should land
    // (and re-take the lease) before another replica finds the lease lapsed.
    const cap = Math.min(RETRY_MAX_MS, (this.options.refresh.leaseSeconds * 1000) / 3);
    const delay = Math.min(cap, RETRY_FIRST_MS * 2 ** Math.min(background, 10));
    parked.timer = setTimeout(() => void this.retryParked(parked), delay);
    parked.timer.unref();
  }

  private async retryParked(parked: ParkedGrant): Promise<void> {
    parked.timer = null;
    if (this.parked.get(key(parked.row.tenantId, parked.row.provider)) !== parked) return;
    const result = await this.attempt(parked);
    if (result) this.unpark(parked, result);
    else this.schedule(parked);
  }

  private unpark(parked: ParkedGrant, result: WriteBackResult): void {
    const { tenantId, provider } = parked.row;
    this.parked.delete(key(tenantId, provider));
    if (result.kind === 'stored') {
      this.logger.log(
        `The refreshed ${provider} grant of tenant "${tenantId}" was written after ${parked.attempts} attempts`,
      );
      parked.outcome.row.version = result.version;
      this.notifier.publishLocal(tenantId, provider, result.version);
    } else {
      this.logger.error(
        `The refreshed ${provider} grant of tenant "${tenantId}" could not be written: another writer ` +
          'changed the connection meanwhile (replaced by an admin, or refreshed after this lease lapsed)',
      );
      this.notifier.publishLocal(tenantId, provider, Number.MAX_SAFE_INTEGER);
    }
  }
}

function key(tenantId: string, provider: string): string {
  return `${provider}\n${tenantId}`;
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
