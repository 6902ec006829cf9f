/**
 * The million-row numbers: 1,000,000 connection rows (quick mode: 20,000) in a database of the scenario's
 * own, copied in SQL from rows made through the API; then the sweep's claim statement (plan, p50/p99 over
 * 1,000 claims), the health indicator's and the metrics gauge's counts per scrape (against the whole-table
 * scans they replaced), an admin list for one tenant, and key rotation throughput with the app serving.
 * Full mode writes the plans to docs/bench/plans/. See docs/scale.md.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { INestApplicationContext } from '@nestjs/common';
import promClient from 'prom-client';
import {
  ConnectionsService,
  KeyRotationService,
  SigningAuthHealthIndicator,
  SigningAuthMetricNames,
  TokenService,
  type EncryptionKey,
} from 'signing-auth';
import { median, type BenchContext } from './lib/kit.js';
import { RELEASE_CLAIMED, claimParams, explainAnalyze, scanNodes } from './scale/claim-statement.js';
import { internal } from './lib/internals.js';
import {
  SCAN_COUNT_BY_STATUS,
  SCAN_HEALTH_COUNTS,
  SUMMARY_COUNT_BY_STATUS,
  SUMMARY_HEALTH_COUNTS,
  UNPROCESSABLE_PREFIX,
} from './scale/count-statements.js';
import { p50p99, serveUntil, timeEach } from './scale/latency.js';
import { createOwnDatabase, type OwnDatabase } from './scale/own-database.js';
import { startScaleApp } from './scale/scale-app.js';
import { copyToTotal, createThroughApi } from './scale/seed.js';
import { startTokenServer } from './scale/token-server.js';

const PLANS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../docs/bench/plans');

interface Sizes {
  total: number;
  /** Rows made through the API: the copy's templates and the rows the key rotation works on. */
  apiRows: number;
  claims: number;
  scrapes: number;
  /** Runs of the whole-table counts the summary replaced (the control: ~0.1–1 s each at a million rows). */
  scans: number;
  lists: number;
  /** Key rotation rounds over the API rows, each with a new active key. */
  rotations: number;
}

const FULL: Sizes = {
  total: 1_000_000,
  apiRows: Number(process.env.SCALE_API_ROWS ?? 2_000),
  claims: 1_000,
  scrapes: 50,
  scans: 20,
  lists: 200,
  rotations: 5,
};
const QUICK: Sizes = {
  total: 20_000,
  apiRows: 100,
  claims: 200,
  scrapes: 50,
  scans: 20,
  lists: 100,
  rotations: 1,
};

export async function run(ctx: BenchContext): Promise<void> {
  const sizes = ctx.quick ? QUICK : FULL;
  const db = await createOwnDatabase(ctx.databaseUrl, ctx.quick ? 'bench_scale_quick' : 'bench_scale');
  const endpoint = await startTokenServer();
  const oldKey = newKey('old');
  let app: INestApplicationContext | undefined;
  try {
    app = await startScaleApp(db.url, [oldKey]);
    let started = performance.now();
    const tenants = await createThroughApi(
      app.get(ConnectionsService),
      app.get(TokenService),
      endpoint,
      sizes.apiRows,
    );
    ctx.log(`${tenants.length} connections made through the API in ${ms(started)}`);
    await app.close();
    app = undefined;

    // Each round restarts with a new active key: the rows made through the API are all under an older one.
    let keys: EncryptionKey[];
    ({ app, keys } = await keyRotation(ctx, db.url, tenants, [oldKey], sizes.rotations));

    started = performance.now();
    const copies = await copyToTotal(db.client, sizes.total);
    ctx.log(`${copies} rows copied in SQL (and VACUUM ANALYZE) in ${ms(started)}`);
    await tableSize(ctx, db, sizes);

    await claims(ctx, db, sizes);
    await healthCounts(ctx, db, app, sizes);
    await metricsCounts(ctx, db, sizes);
    await adminList(ctx, app, sizes, copies);

    // A restart at this size: the stored-key check counts every stored value by key id before the app is up.
    await app.close();
    app = undefined;
    started = performance.now();
    app = await startScaleApp(db.url, keys);
    ctx.record({
      figure: `app start on ${fmt(sizes.total)} rows (migrations checked, stored-key census)`,
      unit: 's',
      samples: [(performance.now() - started) / 1000],
      note: 'the census (StoredKeyCheck at module init) reads every encrypted column of every row',
    });
  } finally {
    await app?.close();
    endpoint.close();
    await db.drop();
  }
}

/**
 * Key rotation with the app serving, in `rounds` rounds: each restarts the app with a new active key (the
 * previous ones kept for decryption) and re-encrypts every row made through the API, while a loop in the
 * same process serves requests; the same loop runs for 0.5 s before each rotation as the control.
 * Returns the last app (serving, all rows under its active key) and its keys.
 */
async function keyRotation(
  ctx: BenchContext,
  url: string,
  tenants: string[],
  firstKeys: EncryptionKey[],
  rounds: number,
): Promise<{ app: INestApplicationContext; keys: EncryptionKey[] }> {
  let keys = firstKeys;
  const rates: number[] = [];
  const idle: number[] = [];
  const during: number[] = [];
  let values = 0;
  let seconds = 0;
  let app: INestApplicationContext | undefined;
  for (let round = 0; round < rounds; round++) {
    await app?.close();
    keys = [newKey(`k${round}`), ...keys];
    app = await startScaleApp(url, keys);
    const tokens = app.get(TokenService);
    const connections = app.get(ConnectionsService);
    const served = tenants.slice(0, 50);
    // What the app serves meanwhile: a cached token (no database) and one connection's view (one read).
    const serve = async (i: number) => {
      const tenant = served[i % served.length];
      await tokens.getAccessToken(tenant, 'oauth2');
      await connections.get(tenant, 'oauth2');
    };
    for (let i = 0; i < served.length; i++) await serve(i);
    const idleUntil = performance.now() + 500;
    idle.push(...(await serveUntil(() => performance.now() > idleUntil, serve).done));

    let rotating = true;
    const busy = serveUntil(() => !rotating, serve);
    const started = performance.now();
    const report = await app.get(KeyRotationService).rotate();
    const took = (performance.now() - started) / 1000;
    rotating = false;
    during.push(...(await busy.done));
    if (report.valuesUnderOtherKeys !== 0 || report.failures.length > 0) {
      throw new Error(
        `rotation left ${report.valuesUnderOtherKeys} values, ${report.failures.length} failures`,
      );
    }
    rates.push(report.rowsScanned / took);
    values += report.valuesReencrypted;
    seconds += took;
  }
  ctx.record({
    figure: `key rotation, ${fmt(tenants.length)} rows made through the API, app serving`,
    unit: 'rows/s',
    samples: rates,
    note: `${rounds} rounds, ${values} values re-encrypted in ${seconds.toFixed(2)} s in all, batch 500`,
  });
  ctx.record({
    figure: 'served request during key rotation (cached token + one connection read)',
    unit: 'ms',
    samples: during,
    note: `${p50p99(during)} of ${during.length} requests; control before each round ${p50p99(idle)} (${idle.length} requests, same process)`,
  });
  return { app: app!, keys };
}

async function tableSize(ctx: BenchContext, db: OwnDatabase, sizes: Sizes): Promise<void> {
  const [row] = (
    await db.client.query(
      `SELECT pg_table_size('signing_auth_connections') AS heap, pg_indexes_size('signing_auth_connections') AS idx`,
    )
  ).rows as [{ heap: string; idx: string }];
  const mb = (bytes: string) => Number(bytes) / 2 ** 20;
  ctx.record({
    figure: `connections table on disk, ${fmt(sizes.total)} rows`,
    unit: 'MB',
    samples: [mb(row.heap) + mb(row.idx)],
    note: `table ${mb(row.heap).toFixed(0)} MB (TOAST included) + indexes ${mb(row.idx).toFixed(0)} MB, right after the copy and VACUUM`,
  });
}

async function claims(ctx: BenchContext, db: OwnDatabase, sizes: Sizes): Promise<void> {
  // The very statement the sweep sends (an internal export of the built package), not a copy of it.
  const { CLAIM_DUE_SQL: CLAIM_DUE } = await internal<{ CLAIM_DUE_SQL: string }>(
    './refresh/refresh-lease.repository.js',
  );
  const owner = `bench-${randomBytes(4).toString('hex')}`;
  const batch = 50;
  const [{ due }] = (
    await db.client.query(
      `SELECT count(*)::int AS due FROM signing_auth_connections
        WHERE status IN ('active', 'error') AND next_refresh_at <= now()`,
    )
  ).rows as [{ due: number }];
  const plan = await explainAnalyze(db.client, CLAIM_DUE, claimParams(owner, batch));
  const samples = await timeEach(sizes.claims, async () => {
    const claimed = await db.client.query(CLAIM_DUE, claimParams(owner, batch));
    if (claimed.rowCount !== Math.min(batch, due))
      throw new Error(`claimed ${claimed.rowCount} of ${due} due`);
    await db.client.query(RELEASE_CLAIMED, [owner, claimed.rows.map((r: { id: string }) => r.id)]);
  });
  const after = await explainAnalyze(db.client, CLAIM_DUE, claimParams(owner, batch));
  await savePlan(
    ctx,
    'claim-due',
    `${plan}\n\n-- the same after ${sizes.claims} claims and releases:\n${after}`,
  );
  ctx.record({
    figure: `sweep claim statement, ${fmt(sizes.total)} rows, ${fmt(due)} due, batch ${batch}`,
    unit: 'ms',
    samples,
    note: `${p50p99(samples)} over ${samples.length} claims (lease released between claims); plan: ${scanNodes(plan)}`,
  });
}

async function healthCounts(
  ctx: BenchContext,
  db: OwnDatabase,
  app: INestApplicationContext,
  sizes: Sizes,
): Promise<void> {
  const overdueBefore = new Date(Date.now() - 300_000);
  const indicator = app.get(SigningAuthHealthIndicator);
  const result = (await indicator.isHealthy()).signingAuth;
  const [scan] = (await db.client.query(SCAN_HEALTH_COUNTS, [overdueBefore, UNPROCESSABLE_PREFIX])).rows;
  const agree = ['needsReauth', 'failing', 'unprocessable'].every((k) => result[k as 'failing'] === scan[k]);
  if (!agree || result.connections !== scan.total) {
    throw new Error(
      `indicator ${JSON.stringify(result)} disagrees with a full count ${JSON.stringify(scan)}`,
    );
  }
  const before = await timeEach(sizes.scans, () =>
    db.client.query(SCAN_HEALTH_COUNTS, [overdueBefore, UNPROCESSABLE_PREFIX]),
  );
  const now = await timeEach(sizes.scrapes, () => indicator.isHealthy());
  await savePlan(
    ctx,
    'health-counts',
    `-- before (whole-table scan):\n${await explainAnalyze(db.client, SCAN_HEALTH_COUNTS, [overdueBefore, UNPROCESSABLE_PREFIX])}\n\n` +
      `-- now (summary table + partial indexes):\n${await explainAnalyze(db.client, SUMMARY_HEALTH_COUNTS, [overdueBefore])}`,
  );
  ctx.record({
    figure: `health indicator per call, ${fmt(sizes.total)} rows`,
    unit: 'ms',
    samples: now,
    note: `${p50p99(now)} over ${now.length}; the whole-table count it replaced: ${p50p99(before)} (${(median(before) / median(now)).toFixed(0)}× the median)`,
  });
}

async function metricsCounts(ctx: BenchContext, db: OwnDatabase, sizes: Sizes): Promise<void> {
  const scrape = () => promClient.register.getSingleMetricAsString(SigningAuthMetricNames.connections);
  const text = await scrape();
  if (!/signing_auth_connections\{provider="docusign",status="active"\} \d+/.test(text)) {
    throw new Error(`unexpected gauge: ${text.slice(0, 300)}`);
  }
  const before = await timeEach(sizes.scans, () => db.client.query(SCAN_COUNT_BY_STATUS));
  const now = await timeEach(sizes.scrapes, scrape);
  await savePlan(
    ctx,
    'metrics-gauge',
    `-- before (whole-table scan):\n${await explainAnalyze(db.client, SCAN_COUNT_BY_STATUS, [])}\n\n` +
      `-- now (summary table):\n${await explainAnalyze(db.client, SUMMARY_COUNT_BY_STATUS, [])}`,
  );
  ctx.record({
    figure: `metrics gauge per scrape (connections by provider and status), ${fmt(sizes.total)} rows`,
    unit: 'ms',
    samples: now,
    note: `${p50p99(now)} over ${now.length}; the GROUP BY scan it replaced: ${p50p99(before)} (${(median(before) / median(now)).toFixed(0)}× the median)`,
  });
}

async function adminList(
  ctx: BenchContext,
  app: INestApplicationContext,
  sizes: Sizes,
  copies: number,
): Promise<void> {
  const connections = app.get(ConnectionsService);
  // Copied rows are five per `copy-<n>` tenant; only whole tenants are listed.
  const tenants = Math.floor(copies / 5);
  const samples = await timeEach(sizes.lists, async (i) => {
    const list = await connections.list(`copy-${(i * 7919) % tenants}`);
    if (list.length !== 5) throw new Error(`expected 5 connections, got ${list.length}`);
  });
  ctx.record({
    figure: `admin list of one tenant's connections (5 of ${fmt(sizes.total)} rows)`,
    unit: 'ms',
    samples,
    note: `${p50p99(samples)} over ${samples.length} lists (ConnectionsService.list, what GET …/tenants/:id/connections returns)`,
  });
}

async function savePlan(ctx: BenchContext, name: string, plan: string): Promise<void> {
  if (ctx.quick) return;
  await mkdir(PLANS_DIR, { recursive: true });
  await writeFile(join(PLANS_DIR, `${name}.txt`), `${plan}\n`);
  ctx.log(`plan written to docs/bench/plans/${name}.txt`);
}

function newKey(id: string): EncryptionKey {
  return { id, key: randomBytes(32).toString('base64') };
}

function ms(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(1)} s`;
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}
