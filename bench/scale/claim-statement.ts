import type pg from 'pg';

/**
 * The sweep's claim statement, as `RefreshLeaseRepository.claimDue` sends it (that class is internal, so
 * the text is repeated here: keep the two in step). `$5`/`$6` (provider and tenant scope) are null, as in
 * an unscoped sweep.
 */
export const CLAIM_DUE = `UPDATE "signing_auth_connections"
    SET "lease_owner" = $1, "lease_expires_at" = clock_timestamp() + $2 * interval '1 millisecond'
  WHERE "id" IN (
    SELECT "id" FROM "signing_auth_connections"
     WHERE "next_refresh_at" IS NOT NULL AND "next_refresh_at" <= $4
       AND "status" IN ('active', 'error')
       AND ("lease_owner" IS NULL OR "lease_expires_at" < clock_timestamp())
       AND ($5::text[] IS NULL OR "provider" = ANY($5::text[]))
       AND ($6::text[] IS NULL OR "tenant_id" = ANY($6::text[]))
     ORDER BY "next_refresh_at"
     LIMIT $3
     FOR UPDATE SKIP LOCKED)
    AND ("lease_owner" IS NULL OR "lease_expires_at" < clock_timestamp())
  RETURNING "id", (extract(epoch from ("lease_expires_at" - clock_timestamp())) * 1000)::float8 AS "left"`;

/** Gives back every lease `owner` holds, as `release()` does row by row. */
export const RELEASE_ALL = `UPDATE "signing_auth_connections" SET "lease_owner" = NULL, "lease_expires_at" = NULL
  WHERE "lease_owner" = $1`;

export function claimParams(owner: string, batch: number): unknown[] {
  return [owner, 30_000, batch, new Date(), null, null];
}

/** EXPLAIN (ANALYZE, BUFFERS) of `sql`, run in a transaction that is rolled back. */
export async function explainAnalyze(client: pg.Client, sql: string, params: unknown[]): Promise<string> {
  await client.query('BEGIN');
  try {
    const result = await client.query(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params);
    return (result.rows as Array<{ 'QUERY PLAN': string }>).map((r) => r['QUERY PLAN']).join('\n');
  } finally {
    await client.query('ROLLBACK');
  }
}

/** The scan nodes of a plan in one line: "Index Scan using signing_auth_connections_due_idx; ...". */
export function scanNodes(plan: string): string {
  const nodes = plan
    .split('\n')
    .map(
      (line) => /((?:Parallel )?(?:Seq|Index Only|Index|Bitmap Heap|Bitmap Index) Scan[^(]*)/.exec(line)?.[1],
    )
    .filter((node): node is string => Boolean(node))
    .map((node) => node.trim().replace(/ on signing_auth_connections.*$/, ''));
  return [...new Set(nodes)].join('; ');
}
