import { Injectable } from '@nestjs/common';
import type { ConnectionEntity } from '../connections/connection.entity.js';
import type { TokenGrant } from '../providers/strategy.interface.js';
import type { GrantWrite } from './grant-write-back.js';
import { RefreshLeaseRepository, type RefreshedWrite } from './refresh-lease.repository.js';

/** Most grants written by one statement. */
const MAX_BATCH = 100;
/** Batch statements in flight at once; writes that arrive meanwhile wait and go together. */
const MAX_IN_FLIGHT = 2;

interface PendingWrite extends RefreshedWrite {
  resolve(version: number | null): void;
  reject(error: unknown): void;
}

/**
 * Writes refreshed grants back several to a statement when they arrive together (a sweep at concurrency
 * 50 finishes refreshes every few hundred microseconds): each statement, with its round trip, driver and
 * ORM work, cost more CPU than the rest of a refresh. No write waits for a timer: the first goes at once,
 * and those that arrive while {@link MAX_IN_FLIGHT} statements are out go together when one comes back.
 *
 * The statement and its fencing are the repository's ({@link RefreshLeaseRepository.storeRefreshedMany}):
 * each row is written only if this owner still holds its lease and its version is the one read, and each
 * caller learns its own row's new version, or null when fenced out. A batch that fails as a whole (one
 * row's fault fails the statement) is written again row by row, so one row never fails another's write.
 * @internal
 */
@Injectable()
export class BatchedGrantWriter {
  private readonly queue: PendingWrite[] = [];
  private inFlight = 0;

  constructor(private readonly leases: RefreshLeaseRepository) {}

  /** Same contract as {@link RefreshLeaseRepository.storeRefreshed}: the new version, or null when fenced out. */
  storeRefreshed(
    row: ConnectionEntity,
    owner: string,
    grant: TokenGrant,
    write: GrantWrite,
  ): Promise<number | null> {
    return new Promise((resolve, reject) => {
      this.queue.push({ row, owner, grant, write, resolve, reject });
      this.drain();
    });
  }

  private drain(): void {
    while (this.inFlight < MAX_IN_FLIGHT && this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      this.inFlight++;
      void this.write(batch).finally(() => {
        this.inFlight--;
        this.drain();
      });
    }
  }

  private async write(batch: PendingWrite[]): Promise<void> {
    if (batch.length === 1) return this.writeOne(batch[0]);
    let versions: Map<string, number>;
    try {
      versions = await this.leases.storeRefreshedMany(batch);
    } catch {
      // One row's fault fails the whole statement: write each alone, so each gets its own answer.
      await Promise.all(batch.map((pending) => this.writeOne(pending)));
      return;
    }
    for (const pending of batch) pending.resolve(versions.get(pending.row.id) ?? null);
  }

  private async writeOne(pending: PendingWrite): Promise<void> {
    try {
      pending.resolve(
        await this.leases.storeRefreshed(pending.row, pending.owner, pending.grant, pending.write),
      );
    } catch (error) {
      pending.reject(error);
    }
  }
}
