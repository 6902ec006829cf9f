/**
 * The hot path: what a cached token costs a caller, and what signing costs an HTTP request.
 * - `getAccessToken` / `getAuthorizationHeader` on a cached token: ns per call, and the database statements
 *   they send (counted on every pg client of the process: the goal is none).
 * - A signed axios round trip (SigningAuthHttpService with `signingAuth`) against a plain axios instance
 *   sending a fixed header, to the same local server in a child process, in alternating blocks; and the same
 *   measurement of plain against plain (A/A), the noise floor. Repetitions continue until the A/A control
 *   agrees with itself within ±2 % (or the cap is reached, which the note then says).
 * - The library's own CPU cost per signed request with the network taken out (a transport answering at once).
 */
import axios, { type AxiosAdapter, type AxiosInstance, type AxiosRequestConfig } from 'axios';
import { ConnectionsService, SigningAuthHttpService, TokenService } from 'signing-auth';
import { startApiServer, oauth2Connection } from './lib/api-server.js';
import { startBenchApp } from './lib/bench-app.js';
import { createBenchDatabase } from './lib/bench-database.js';
import { median, type BenchContext } from './lib/kit.js';
import { countStatements } from './lib/statement-counter.js';

const TENANT = 'bench-tenant';
const PROVIDER = 'oauth2';
/** The A/A control must agree with itself this closely before the signed/plain ratio is trusted. */
const CONTROL_TOLERANCE = 0.02;
const BLOCK = 200;
const ISOLATED_BLOCK = 500;

export async function run(ctx: BenchContext): Promise<void> {
  const size = ctx.quick
    ? { callReps: 3, calls: 5_000, requests: 200, minReps: 1, maxReps: 1, isolatedBlocks: 4 }
    : { callReps: 7, calls: 200_000, requests: 4_000, minReps: 3, maxReps: 8, isolatedBlocks: 80 };
  // Past this the repetitions stop even if the control still swings (the note then says so): a busy
  // machine would otherwise hold the whole suite.
  const budgetMs = ctx.quick ? 0 : 150_000;
  const started = performance.now();
  const phase = (what: string) => ctx.log(`${what} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  const statements = countStatements();
  const db = await createBenchDatabase(ctx.databaseUrl, 'hot_path');
  const server = await startApiServer();
  const app = await startBenchApp(db.options);
  try {
    await app.get(ConnectionsService).upsert(TENANT, PROVIDER, oauth2Connection(server));
    phase('app started, connection saved');
    const tokens = app.get(TokenService);
    await tokens.getAccessToken(TENANT, PROVIDER);
    // The first use is written (batched, at most once a minute per connection) a second later: let that land
    // before counting, so the count is what cached calls send.
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    const before = statements().statements;
    const access = await nsPerCall(size.callReps, size.calls, () => tokens.getAccessToken(TENANT, PROVIDER));
    const header = await nsPerCall(size.callReps, size.calls, () =>
      tokens.getAuthorizationHeader(TENANT, PROVIDER),
    );
    const sent = statements().statements - before;
    const calls = 2 * size.callReps * size.calls;
    ctx.record({ figure: '`getAccessToken`, cached token', unit: 'ns', samples: access, goal: 'keep' });
    ctx.record({
      figure: '`getAuthorizationHeader`, cached token',
      unit: 'ns',
      samples: header,
      goal: 'keep',
    });
    ctx.record({
      figure: `database statements during ${calls.toLocaleString('en-US')} cached calls`,
      unit: 'statements',
      samples: [sent],
      goal: '0',
      met: sent === 0,
      note: 'counted on every pg client of the process (pool and LISTEN connection)',
    });

    phase('cached calls measured');
    const signing = app.get(SigningAuthHttpService).axiosRef;
    const plain = axios.create({ headers: { Authorization: `Bearer ${server.tokenPrefix}-1` } });
    const control = axios.create({ headers: { Authorization: `Bearer ${server.tokenPrefix}-1` } });
    const signed: AxiosRequestConfig = { signingAuth: { tenantId: TENANT, provider: PROVIDER } };
    const url = `${server.url}/api/ping`;
    // Warm-up: JIT and keep-alive sockets of all three instances.
    for (const [client, config] of [
      [plain, {}],
      [control, {}],
      [signing, signed],
    ] as const) {
      await measure(client, url, config, ctx.quick ? 200 : 2_000);
    }

    const paths = {
      plain: { client: plain, config: {} },
      control: { client: control, config: {} },
      signed: { client: signing, config: signed },
    };
    const ratios = { signed: [] as number[], control: [] as number[], signedCpu: [] as number[] };
    const roundTripsStarted = performance.now();
    for (let rep = 1; rep <= size.maxReps; rep++) {
      const r = await roundTrips(paths, url, size.requests);
      ratios.signed.push(r.signed);
      ratios.signedCpu.push(r.signedCpu);
      ratios.control.push(r.control);
      ctx.log(
        `round trips, repetition ${rep}: signed/plain ${r.signed.toFixed(4)}, A/A ${r.control.toFixed(4)}`,
      );
      if (rep < size.minReps) continue;
      if (Math.abs(median(ratios.control) - 1) <= CONTROL_TOLERANCE) break;
      if (performance.now() - roundTripsStarted > budgetMs) break;
    }
    const controlAgrees = Math.abs(median(ratios.control) - 1) <= CONTROL_TOLERANCE;
    const signedRatio = median(ratios.signed);
    ctx.record({
      figure: 'axios round trip, A/A control: plain / plain',
      unit: 'ratio',
      samples: ratios.control,
      goal: '1 ± 0.02',
      met: controlAgrees,
      note: controlAgrees
        ? `the noise floor of the row below; ${size.requests.toLocaleString('en-US')} sequential GETs per path and repetition, to a server in a child process`
        : `did not agree with itself within ±2 % after ${ratios.control.length} repetitions: the machine was too busy for the row below to be read finer than this`,
    });
    ctx.record({
      figure: 'axios round trip: signed / plain',
      unit: 'ratio',
      samples: ratios.signed,
      goal: '≤ 1.05 with a control that agrees with itself',
      met: signedRatio <= 1.05 && controlAgrees,
      note: `wall time, median of rounds of 200 GETs per path in rotating order; CPU ratio ${median(ratios.signedCpu).toFixed(3)}`,
    });

    phase('round trips measured');
    const cost = await isolatedCost(plain, signing, url, signed, server.tokenPrefix, size.isolatedBlocks);
    ctx.record({
      figure: "library's own cost per signed request, network taken out",
      unit: 'µs',
      samples: cost,
      goal: 'keep',
      note: 'CPU of signed minus plain per request, transport answering at once; includes the response redaction',
    });
  } finally {
    await app.close();
    server.close();
    await db.drop();
  }
}

/** ns per call of `call`, one sample per repetition of `n` sequential awaited calls. */
async function nsPerCall(reps: number, n: number, call: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < n / 10; i++) await call(); // JIT warm-up
  const samples: number[] = [];
  for (let rep = 0; rep < reps; rep++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await call();
    samples.push(Number(process.hrtime.bigint() - started) / n);
  }
  return samples;
}

interface Sample {
  wallMs: number;
  cpuMs: number;
}

async function measure(
  client: AxiosInstance,
  url: string,
  config: AxiosRequestConfig,
  n: number,
): Promise<Sample> {
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const res = await client.get(url, config);
    if (res.status !== 200) throw new Error(`unexpected status ${res.status}`);
  }
  const used = process.cpuUsage(cpu);
  return { wallMs: Number(process.hrtime.bigint() - started) / 1e6, cpuMs: (used.user + used.system) / 1000 };
}

/**
 * One repetition: rounds of `BLOCK` sequential GETs on each of the three paths, in an order that rotates
 * each round, so load from other processes, GC and CPU frequency hit all three alike. Each round gives a
 * signed/plain and a control/plain ratio; the repetition's figure is their median (a burst of load from
 * another process spoils a round, not the repetition).
 */
async function roundTrips(
  paths: { plain: Path; control: Path; signed: Path },
  url: string,
  requests: number,
): Promise<{ signed: number; control: number; signedCpu: number }> {
  const order = [paths.plain, paths.control, paths.signed];
  const rounds = { signed: [] as number[], control: [] as number[], signedCpu: [] as number[] };
  for (let round = 0; round * BLOCK < requests; round++) {
    const took = new Map<Path, Sample>();
    for (let i = 0; i < order.length; i++) {
      const path = order[(round + i) % order.length];
      took.set(path, await measure(path.client, url, path.config, BLOCK));
    }
    const plain = took.get(paths.plain)!;
    rounds.signed.push(took.get(paths.signed)!.wallMs / plain.wallMs);
    rounds.control.push(took.get(paths.control)!.wallMs / plain.wallMs);
    rounds.signedCpu.push(took.get(paths.signed)!.cpuMs / plain.cpuMs);
  }
  return {
    signed: median(rounds.signed),
    control: median(rounds.control),
    signedCpu: median(rounds.signedCpu),
  };
}

interface Path {
  client: AxiosInstance;
  config: AxiosRequestConfig;
}

/**
 * Both instances get a transport that answers at once; the CPU per request of each is measured in
 * alternating blocks of 500 and the difference is the library's cost. The response carries the raw header
 * text a real one does, so the redaction of the token in it is part of the figure.
 */
async function isolatedCost(
  plain: AxiosInstance,
  signing: AxiosInstance,
  url: string,
  signed: AxiosRequestConfig,
  tokenPrefix: string,
  blocks: number,
): Promise<number[]> {
  const instant: AxiosAdapter = async (config) => ({
    status: 200,
    statusText: 'OK',
    headers: {},
    config,
    data: { ok: true },
    request: {
      _header:
        `GET /api/ping HTTP/1.1\r\nAccept: application/json, text/plain, */*\r\nAuthorization: Bearer ${tokenPrefix}-1\r\n` +
        'User-Agent: axios/1.21.1\r\nAccept-Encoding: gzip, compress, deflate, br\r\nHost: 127.0.0.1\r\n' +
        'Connection: keep-alive\r\n\r\n',
    },
  });
  const saved = [plain.defaults.adapter, signing.defaults.adapter];
  plain.defaults.adapter = instant;
  signing.defaults.adapter = instant;
  const extraUs: number[] = [];
  try {
    for (let block = 0; block < blocks; block++) {
      const p = await measure(plain, url, {}, ISOLATED_BLOCK);
      const s = await measure(signing, url, signed, ISOLATED_BLOCK);
      extraUs.push(((s.cpuMs - p.cpuMs) * 1000) / ISOLATED_BLOCK);
    }
  } finally {
    [plain.defaults.adapter, signing.defaults.adapter] = saved;
  }
  return extraUs;
}
