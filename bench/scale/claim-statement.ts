import type pg from 'pg';

/**
 * Gives back the leases `owner` ($1) holds on the rows claimed ($2, their ids), as `release()` does row by
 * row: by primary key, fenced on the owner. (Not `WHERE lease_owner = $1` alone: no index covers the lease
 * columns since migration 1766200000000, so that would read the whole table.)
 */
export const RELEASE_CLAIMED = `UPDATE "signing_auth_connections" SET "lease_owner" = NULL, "lease_expires_at" = NULL
  WHERE "id" = ANY($2::uuid[]) AND "lease_owner" = $1`;

/** Parameters of the sweep's claim statement (RefreshLeaseRepository's CLAIM_DUE_SQL) for an unscoped sweep. */
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
