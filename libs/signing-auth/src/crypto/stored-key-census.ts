import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { queryRows } from '../common/query-rows.js';
import { SIGNING_AUTH_DATA_SOURCE } from '../common/tokens.js';
import { ENCRYPTED_TABLES } from './encrypted-columns.js';

/** How many stored values one key id encrypts in one table. @publicApi */
export interface StoredKeyCount {
  table: string;
  /** The key id written in the values; `(malformed)` for values not in the signing-auth format. */
  keyId: string;
  values: number;
}

/** Key id of values that are not `sa1.<keyId>.…`. */
export const MALFORMED_KEY_ID = '(malformed)';

/**
 * Counts stored ciphertexts per table and key id, inside the database (one aggregate per table, no value
 * leaves it): what boot checks against the keyring and what key rotation reports as left.
 * @internal
 */
@Injectable()
export class StoredKeyCensus {
  constructor(@Inject(SIGNING_AUTH_DATA_SOURCE) private readonly dataSource: DataSource) {}

  async count(): Promise<StoredKeyCount[]> {
    const counts: StoredKeyCount[] = [];
    for (const spec of ENCRYPTED_TABLES) {
      const keyIdOf = (column: string) =>
        `CASE WHEN "${column}" ~ '^sa1\\.[A-Za-z0-9_-]{1,32}\\.' THEN split_part("${column}", '.', 2)
              ELSE '${MALFORMED_KEY_ID}' END`;
      const unions = Object.keys(spec.columns)
        .map((c) => `SELECT ${keyIdOf(c)} AS "keyId" FROM "${spec.table}" WHERE "${c}" IS NOT NULL`)
        .join(' UNION ALL ');
      const rows = await queryRows(
        this.dataSource,
        `SELECT "keyId", count(*)::int AS "values" FROM (${unions}) AS v GROUP BY "keyId" ORDER BY "keyId"`,
      );
      for (const row of rows) {
        counts.push({ table: spec.table, keyId: String(row.keyId), values: Number(row.values) });
      }
    }
    return counts;
  }
}
