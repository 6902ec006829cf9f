/**
 * Claims and releases as HOT updates: how many pages the sweep's claim statement reads after N
 * claim/release cycles of the same rows, with no manual VACUUM (autovacuum runs as configured), on the
 * schema before migration 1766200000000 (a lease index covering both lease columns, fill factor 100) and
 * after it (no index on a lease column, fill factor 85) — the latter also on a table filled before the
 * migration ran (its pages full). Every figure is a count (buffers, pages, updates), not a time, so it can
 * be taken on a busy machine. See docs/decisions/031.
 *
 * One cycle: the sweep's claim statement (CLAIM_DUE_SQL, the library's own text) takes the 50 rows due
 * first and commits; releasing them by id (one statement, as `release()` does row by row) commits. The cycles run
 * in a procedure on the server (`EXECUTE … USING`, COMMIT after each statement) so that 100,000 of them
 * are not 200,000 round trips.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { SIGNING_AUTH_ENTITIES, SIGNING_AUTH_MIGRATIONS } from 'signing-auth';
import { createBenchDatabase } from './lib/bench-database.js';
import { internal } from './lib/internals.js';
import type { BenchContext } from './lib/kit.js';
import { RELEASE_CLAIMED } from './scale/claim-statement.js';

const BATCH = 50;
const DUE = 500;

interface Variant {
  label: string;
  /** The longest run (full mode): 100,000 cycles for the schema this change ships, 10,000 for the others. */
  longest: number;
  /** Migrations applied before the rows are seeded. */
  seededOn: number;
  /** Migrations applied before the cycles (more than `seededOn`: the table was filled before them). */
  cycledOn: number;
}

const BEFORE = SIGNING_AUTH_MIGRATIONS.findIndex(
  (m) => m.name === 'AppendOnlyCountsAndHotLeases1766200000000',
);
const ALL = SIGNING_AUTH_MIGRATIONS.length;
const VARIANTS: Variant[] = [
  { label: 'before (lease index, fill factor 100)', longest: 10_000, seededOn: BEFORE, cycledOn: BEFORE },
  { label: 'after, table filled before the migration', longest: 10_000, seededOn: BEFORE, cycledOn: ALL },
  { label: 'after (no lease index, fill factor 85)', longest: 100_000, seededOn: ALL, cycledOn: ALL },
];

const CYCLES_PROCEDURE = `
  CREATE PROCEDURE bench_claim_cycles(n int, claim text, release text, owner text, batch int)
  LANGUAGE plpgsql AS $$
  DECLARE ids uuid[];
  BEGIN
    FOR i IN 1..n LOOP
      EXECUTE format('WITH claimed AS (%s) SELECT array_agg(id) FROM claimed', claim)
        INTO ids USING owner, 30000, batch, now(), NULL::text[], NULL::text[];
      IF cardinality(ids) IS DISTINCT FROM batch THEN
        RAISE EXCEPTION 'cycle %: claimed % of %', i, cardinality(ids), batch;
      END IF;
      COMMIT;
      EXECUTE release USING owner, ids;
      COMMIT;
    END LOOP;
  END $$`;

export async function run(ctx: BenchContext): Promise<void> {
  const rows = ctx.quick ? 5_000 : 100_000;
  // HOT_CLAIMS_CHECKPOINTS (e.g. "0,100,1000,10000") overrides the sizes, for a run between quick and full.
  const asked = process.env.HOT_CLAIMS_CHECKPOINTS?.split(',').map(Number);
  const { CLAIM_DUE_SQL } = await internal<{ CLAIM_DUE_SQL: string }>(
    './refresh/refresh-lease.repository.js',
  );
  ctx.chart('hot-claims', {
    title: "Pages the sweep's claim statement reads, after N claim/release cycles (no manual VACUUM)",
    xLabel: 'claim/release cycles of the same 50 rows',
    yLabel: 'buffers read by the due-index scan',
  });
  for (const variant of VARIANTS) {
    const checkpoints =
      asked ??
      (ctx.quick ? [0, 100, 1_000] : [0, 100, 1_000, 10_000, 100_000].filter((c) => c <= variant.longest));
    const db = await createBenchDatabase(ctx.databaseUrl, 'hot_claims');
    const client = new pg.Client({ connectionString: db.url });
    try {
      await migrate(db.url, variant.seededOn);
      await client.connect();
      // Commits without waiting for the WAL flush: what is counted does not depend on it, and 2 fsyncs per
      // cycle would make the run as slow as the disk (and load a shared one) for nothing.
      await client.query('SET synchronous_commit = off');
      await seed(client, rows);
      await migrate(db.url, variant.cycledOn);
      await client.query(CYCLES_PROCEDURE);
      await client.query('ANALYZE "signing_auth_connections"');
      const owner = `bench-${randomBytes(4).toString('hex')}`;
      const first = await countsNow(client);
      let done = 0;
      const reads: number[] = [];
      for (const at of checkpoints) {
        if (at > done) {
          const started = performance.now();
          await client.query('CALL bench_claim_cycles($1, $2, $3, $4, $5)', [
            at - done,
            CLAIM_DUE_SQL,
            RELEASE_CLAIMED,
            owner,
            BATCH,
          ]);
          ctx.log(`${variant.label}: ${at} cycles (${((performance.now() - started) / 1000).toFixed(1)} s)`);
          done = at;
        }
        const scan = await claimScanBuffers(client, CLAIM_DUE_SQL, owner);
        reads.push(scan);
        ctx.point({ chart: 'hot-claims', series: variant.label, x: at, y: scan });
      }
      const last = await countsNow(client);
      const updates = last.updates - first.updates;
      const hot = last.hot - first.hot;
      // Judged from the first checkpoint after cycling began: right after VACUUM each row still sits where
      // the load put it, in index order; the first update of a row that finds no room moves it (any design).
      const flat = reads[reads.length - 1] <= 1.5 * reads[Math.min(1, reads.length - 1)];
      const isAfter = variant.cycledOn === ALL;
      ctx.record({
        figure: `claim's due-index scan after ${fmt(done)} claim/release cycles, ${variant.label}`,
        unit: 'buffers',
        samples: [reads[reads.length - 1]],
        goal: isAfter ? 'flat (≤ 1.5 × after 100 cycles)' : undefined,
        met: isAfter ? flat : undefined,
        note:
          `${checkpoints.map((c, i) => `${fmt(c)}: ${reads[i]}`).join(', ')} (cycles: buffers); ` +
          `due index ${first.duePages} → ${last.duePages} pages, table ${first.tablePages} → ${last.tablePages}; ` +
          `${fmt(rows)} rows, ${DUE} due, batch ${BATCH}; autovacuum ran ${last.autovacuums - first.autovacuums}×`,
      });
      ctx.record({
        figure: `HOT share of claim/release updates, ${variant.label}`,
        unit: '%',
        samples: [updates > 0 ? Math.round((1000 * hot) / updates) / 10 : 0],
        note: `${fmt(hot)} of ${fmt(updates)} row updates were HOT (no index entry written)`,
      });
    } finally {
      await client.end().catch(() => undefined);
      await db.drop();
    }
  }
}

/** Applies the first `count` library migrations (the schema as it was at that point). */
async function migrate(url: string, count: number): Promise<void> {
  const dataSource = new DataSource({
    type: 'postgres',
    url,
    entities: SIGNING_AUTH_ENTITIES,
    migrations: SIGNING_AUTH_MIGRATIONS.slice(0, count),
    logging: false,
  });
  await dataSource.initialize();
  try {
    await dataSource.runMigrations();
  } finally {
    await dataSource.destroy();
  }
}

/**
 * `total` rows shaped like real ones (~0.5 KB: three ciphertexts, JSON columns; docs/scale.md): `DUE` of
 * them due now, the rest within 8 hours; then VACUUM ANALYZE, as after a bulk load (the cycles that
 * follow get no manual VACUUM).
 */
async function seed(client: pg.Client, total: number): Promise<void> {
  await client.query(
    `INSERT INTO "signing_auth_connections" ("id", "tenant_id", "provider", "status", "grant_type", "scopes",
       "config", "secrets_ciphertext", "access_token_ciphertext", "token_type", "refresh_token_ciphertext",
       "access_token_expires_at", "last_refreshed_at", "next_refresh_at", "metadata")
     SELECT gen_random_uuid(), 'tenant-' || g, 'oauth2', 'active', 'authorization_code', '["signature"]'::jsonb,
       '{"clientId":"bench"}'::jsonb, 'k1:' || md5(g::text) || repeat('s', 90),
       'k1:' || md5((g + 1)::text) || repeat('a', 120), 'Bearer', 'k1:' || md5((g + 2)::text) || repeat('r', 120),
       now() + interval '8 hours', now(),
       CASE WHEN g <= $2 THEN now() - interval '1 hour' + g * interval '1 ms'
            ELSE now() + (g % 28800) * interval '1 second' END,
       '{"accountId":"a"}'::jsonb
       FROM generate_series(1, $1::int) AS g`,
    [total, DUE],
  );
  await client.query('VACUUM ANALYZE "signing_auth_connections"');
}

/** Buffers (shared hit + read) of the claim's scan on the due index, from EXPLAIN (ANALYZE, BUFFERS). */
async function claimScanBuffers(client: pg.Client, claimSql: string, owner: string): Promise<number> {
  await client.query('BEGIN');
  try {
    const { rows } = await client.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${claimSql}`, [
      owner,
      30_000,
      BATCH,
      new Date(),
      null,
      null,
    ]);
    const scan = findNode((rows[0] as { 'QUERY PLAN': [{ Plan: PlanNode }] })['QUERY PLAN'][0].Plan);
    if (!scan) throw new Error('the claim did not scan signing_auth_connections_due_idx');
    return scan['Shared Hit Blocks'] + scan['Shared Read Blocks'];
  } finally {
    await client.query('ROLLBACK');
  }
}

interface PlanNode {
  'Index Name'?: string;
  'Shared Hit Blocks': number;
  'Shared Read Blocks': number;
  Plans?: PlanNode[];
}

function findNode(node: PlanNode): PlanNode | undefined {
  if (node['Index Name'] === 'signing_auth_connections_due_idx') return node;
  for (const child of node.Plans ?? []) {
    const found = findNode(child);
    if (found) return found;
  }
  return undefined;
}

/** Cumulative update counts (all, HOT), autovacuum runs, and the due index's and table's size in pages. */
async function countsNow(client: pg.Client) {
  // This session's pending statistics are flushed at the end of its next transaction.
  await client.query('SELECT pg_stat_force_next_flush()');
  const { rows } = await client.query(
    `SELECT n_tup_upd::bigint AS updates, n_tup_hot_upd::bigint AS hot, autovacuum_count::bigint AS autovacuums,
            pg_relation_size('signing_auth_connections_due_idx') / 8192 AS "duePages",
            pg_relation_size('signing_auth_connections') / 8192 AS "tablePages"
       FROM pg_stat_user_tables WHERE relname = 'signing_auth_connections'`,
  );
  const row = rows[0] as Record<string, string>;
  return {
    updates: Number(row.updates),
    hot: Number(row.hot),
    autovacuums: Number(row.autovacuums),
    duePages: Number(row.duePages),
    tablePages: Number(row.tablePages),
  };
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}
