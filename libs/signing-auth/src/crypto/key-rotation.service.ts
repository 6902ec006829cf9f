import { Inject, Injectable, Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { queryRows, type Row } from '../common/query-rows.js';
import { SIGNING_AUTH_DATA_SOURCE } from '../common/tokens.js';
import { SecretDecryptionError } from './crypto.errors.js';
import { ENCRYPTED_TABLES, type EncryptedTable } from './encrypted-columns.js';
import { SecretCipher } from './secret-cipher.js';
import { StoredKeyCensus, type StoredKeyCount } from './stored-key-census.js';

/** Result of one rotation run. @publicApi */
export interface KeyRotationReport {
  activeKeyId: string;
  rowsScanned: number;
  valuesReencrypted: number;
  /** Per table: rows scanned, and values re-encrypted by the key id they were under. */
  tables: Array<{ table: string; rowsScanned: number; reencryptedByKeyId: Record<string, number> }>;
  /** After the run, stored values per table and key id (the active key's count included), counted in the database. */
  remaining: StoredKeyCount[];
  /** Values still under a key other than the active one after the run: `0` means the old keys can go. */
  valuesUnderOtherKeys: number;
  /** Values another writer changed while we worked; they were re-read and, if still old, re-encrypted. */
  concurrentUpdates: number;
  /** Values that could not be decrypted (tampered, moved, or under a key no longer in the keyring); left as they were. */
  failures: Array<{
    table: string;
    tenantId: string;
    provider: string;
    field: string;
    keyId: string;
    reason: string;
  }>;
}

const MAX_ATTEMPTS = 5;

/**
 * Re-encrypts every stored secret with the active key, online.
 *
 * Why compare-and-swap per value instead of locking rows: a refresh in flight holds a lease and writes
 * its new tokens fenced by `version`; rotation must neither block it nor bump that version (which would
 * throw away a rotated refresh token). So each value is replaced only if it is still exactly the
 * ciphertext we read (`WHERE col = $old`); if a refresh wrote meanwhile, its value is already under the
 * active key or gets re-read. Walking the table in id order makes a crashed run safe to start again:
 * values already under the active key are skipped.
 * @publicApi
 */
@Injectable()
export class KeyRotationService {
  private readonly logger = new Logger('SigningAuthKeyRotation');

  constructor(
    @Inject(SIGNING_AUTH_DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly cipher: SecretCipher,
    private readonly census: StoredKeyCensus,
  ) {}

  async rotate(options: { batchSize?: number } = {}): Promise<KeyRotationReport> {
    const batchSize = options.batchSize ?? 500;
    const report: KeyRotationReport = {
      activeKeyId: this.cipher.activeKeyId,
      rowsScanned: 0,
      valuesReencrypted: 0,
      tables: [],
      remaining: [],
      valuesUnderOtherKeys: 0,
      concurrentUpdates: 0,
      failures: [],
    };
    for (const spec of ENCRYPTED_TABLES) {
      const table = { table: spec.table, rowsScanned: 0, reencryptedByKeyId: {} };
      report.tables.push(table);
      await this.rotateTable(spec, batchSize, report, table);
    }
    // Counted afresh rather than derived: values written meanwhile by replicas on another key show up here.
    report.remaining = await this.census.count();
    report.valuesUnderOtherKeys = report.remaining
      .filter((c) => c.keyId !== report.activeKeyId)
      .reduce((sum, c) => sum + c.values, 0);
    this.logger.log(
      `Re-encrypted ${report.valuesReencrypted} values in ${report.rowsScanned} rows with key "${report.activeKeyId}"; ` +
        `${report.valuesUnderOtherKeys} values left under other keys`,
    );
    return report;
  }

  private async rotateTable(
    spec: EncryptedTable,
    batchSize: number,
    report: KeyRotationReport,
    table: KeyRotationReport['tables'][number],
  ): Promise<void> {
    const columns = Object.keys(spec.columns);
    const select = columns.map((c) => `"${c}"`).join(', ');
    let lastId = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const rows = await queryRows(
        this.dataSource,
        `SELECT "id", "tenant_id", "provider", ${select} FROM "${spec.table}"
          WHERE "id" > $1 ORDER BY "id" LIMIT $2`,
        [lastId, batchSize],
      );
      if (rows.length === 0) return;
      for (const column of columns) await this.rotateColumn(spec, column, rows, report, table);
      report.rowsScanned += rows.length;
      table.rowsScanned += rows.length;
      lastId = rows[rows.length - 1].id as string;
      this.logger.log(`${spec.table}: ${table.rowsScanned} rows scanned`);
    }
  }

  /**
   * One compare-and-swap UPDATE for the whole batch; the values another writer changed meanwhile are
   * not returned and get retried one by one.
   */
  private async rotateColumn(
    spec: EncryptedTable,
    column: string,
    rows: Row[],
    report: KeyRotationReport,
    table: KeyRotationReport['tables'][number],
  ): Promise<void> {
    const swaps: Array<{ row: Row; old: string; next: string }> = [];
    for (const row of rows) {
      const next = this.reencrypt(spec, column, row, row[column] as string | null, report);
      if (next) swaps.push({ row, old: row[column] as string, next });
    }
    if (swaps.length === 0) return;
    const tuples = swaps.map((_, i) => `($${3 * i + 1}::uuid, $${3 * i + 2}::text, $${3 * i + 3}::text)`);
    const result = await queryRows(
      this.dataSource,
      `UPDATE "${spec.table}" AS t SET "${column}" = v.next
         FROM (VALUES ${tuples.join(', ')}) AS v(id, old, next)
        WHERE t."id" = v.id AND t."${column}" = v.old
       RETURNING t."id"`,
      swaps.flatMap((s) => [s.row.id, s.old, s.next]),
    );
    const swapped = new Set(result.map((r) => r.id));
    report.valuesReencrypted += swapped.size;
    for (const swap of swaps) {
      if (swapped.has(swap.row.id as string)) {
        countUnder(table, swap.old);
        continue;
      }
      report.concurrentUpdates++;
      await this.retryValue(spec, column, swap.row, report, table);
    }
  }

  /** The value re-encrypted under the active key; null when it already is, or cannot be decrypted. */
  private reencrypt(
    spec: EncryptedTable,
    column: string,
    row: Row,
    current: string | null,
    report: KeyRotationReport,
  ) {
    if (current === null || SecretCipher.keyIdOf(current) === this.cipher.activeKeyId) return null;
    const location = {
      tenantId: row.tenant_id as string,
      provider: row.provider as string,
      field: spec.columns[column],
    };
    try {
      return this.cipher.encrypt(this.cipher.decrypt(current, location), location);
    } catch (error) {
      if (!(error instanceof SecretDecryptionError)) throw error;
      // One bad value must not stop the rotation of the others; it is reported and left untouched.
      report.failures.push({ table: spec.table, ...location, keyId: error.keyId, reason: error.reason });
      this.logger.warn(error.message);
      return null;
    }
  }

  private async retryValue(
    spec: EncryptedTable,
    column: string,
    row: Row,
    report: KeyRotationReport,
    table: KeyRotationReport['tables'][number],
  ): Promise<void> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const [fresh] = await queryRows(
        this.dataSource,
        `SELECT "${column}" FROM "${spec.table}" WHERE "id" = $1`,
        [row.id],
      );
      const current = fresh ? (fresh[column] as string | null) : null;
      const next = this.reencrypt(spec, column, row, current, report);
      if (!next) return;
      const result = await queryRows(
        this.dataSource,
        `UPDATE "${spec.table}" SET "${column}" = $1 WHERE "id" = $2 AND "${column}" = $3 RETURNING "id"`,
        [next, row.id, current],
      );
      if (result.length === 1) {
        report.valuesReencrypted++;
        countUnder(table, current as string);
        return;
      }
      report.concurrentUpdates++;
    }
    throw new Error(
      `Key rotation gave up on ${spec.table}.${column} of tenant "${row.tenant_id}" (${row.provider}) ` +
        `after ${MAX_ATTEMPTS} concurrent updates; run the rotation again.`,
    );
  }
}

function countUnder(table: KeyRotationReport['tables'][number], old: string): void {
  const keyId = SecretCipher.keyIdOf(old) ?? 'unknown';
  table.reencryptedByKeyId[keyId] = (table.reencryptedByKeyId[keyId] ?? 0) + 1;
}
