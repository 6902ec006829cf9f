/**
 * The hot path: what a cached token costs a caller, and what signing costs an HTTP request.
 * - `getAccessToken` / `getAuthorizationHeader` on a cached token: ns per call, and the database statements
 *   they send (counted on every pg client of the process: the goal is none).
 * - What a caller pays for signing, end to end (bench/lib/signed-round-trips.ts): signed GETs through
 *   SigningAuthHttpService and plain GETs through an axios instance with the same bounds, all on one
 *   keep-alive connection to a server in a child process, interleaved request by request; a second plain
 *   path is the A/A control. Figures: the wall ratio signed / plain, and the library's own cost per request
 *   as signed − plain in CPU µs (the steady figure on a shared machine) and in wall µs. Repetitions continue
 *   until the A/A control agrees with itself within ±2 % (or the budget is spent, which the note then says).
 *
 *   node dist/bench/run-all.js hot-path [--quick]
 *   HOT_PATH_PROFILE=hot-path.cpuprofile ...   (a V8 CPU profile of the measured round trips; summarise
 *   with `node dist/bench/lib/cpu-profile-summary.js hot-path.cpuprofile`)
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { loadavg } from 'node:os';
import axios from 'axios';
import { ConnectionsService, SigningAuthHttpService, TokenService } from 'signing-auth';
import { startApiServer, oauth2Connection } from './lib/api-server.js';
import { startBenchApp } from './lib/bench-app.js';
import { createBenchDatabase } from './lib/bench-database.js';
import { median, type BenchContext } from './lib/kit.js';
import {
  isolatedCost,
  oneConnectionAgent,
  roundTrips,
  type RoundTripFigures,
} from './lib/signed-round-trips.js';
import { countStatements } from './lib/statement-counter.js';

const TENANT = 'bench-tenant';
const PROVIDER = 'oauth2';
/** The A/A control must agree with itself this closely before the signed/plain ratio is trusted. */
const CONTROL_TOLERANCE = 0.02;

export async function run(ctx: BenchContext): Promise<void> {
  const size = ctx.quick
    ? {
        callReps: 3,
        calls: 5_000,
        warmUp: 300,
        requests: 600,
        round: 100,
        minReps: 1,
        maxReps: 1,
        isolatedBlocks: 2,
      }
    : {
        callReps: 7,
        calls: 200_000,
        warmUp: 2_000,
        requests: 4_000,
        round: 200,
        minReps: 5,
        maxReps: 8,
        isolatedBlocks: 30,
      };
  // Past this the repetitions stop even if the control still swings (the note then says so): a busy
  // machine would otherwise hold the whole suite.
  const budgetMs = ctx.quick ? 0 : 150_000;
  const started = performance.now();
  const phase = (what: string) => ctx.log(`${what} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  const statements = countStatements();
  const db = await createBenchDatabase(ctx.databaseUrl, 'hot_path');
  const server = await startApiServer();
  // The API origin is the operator's (http.allowedHosts), not only the tenant's (apiBaseUrls): signed calls
  // then use the caller's agent like plain ones, instead of the library's DNS-checking pool for tenant
  // origins, so every path can share one connection. (The checked pool differs by the agent alone.)
  const app = await startBenchApp(db.options, { http: { allowedHosts: { [PROVIDER]: [server.url] } } });
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
    const authorization = await tokens.getAuthorizationHeader(TENANT, PROVIDER);
    // The plain paths get the library instance's own bounds, so both sides pay the same timeout timer and
    // response-size checks; and every path the same agent, so all of them share ONE keep-alive socket.
    const sameSettings = () =>
      axios.create({
        timeout: signing.defaults.timeout,
        maxContentLength: signing.defaults.maxContentLength,
        headers: { Authorization: authorization },
      });
    const { agent, opened } = oneConnectionAgent();
    const paths = {
      plain: { client: sameSettings(), config: { httpAgent: agent } },
      control: { client: sameSettings(), config: { httpAgent: agent } },
      signed: {
        client: signing,
        config: { httpAgent: agent, signingAuth: { tenantId: TENANT, provider: PROVIDER } },
      },
    };
    const url = `${server.url}/api/ping`;
    // Warm-up: JIT of all three paths and the one socket.
    await roundTrips(paths, url, size.warmUp);
    const profiler = process.env.HOT_PATH_PROFILE ? new Session() : undefined;
    if (profiler) await startProfile(profiler);

    const reps: RoundTripFigures[] = [];
    const loads: number[] = [];
    const roundTripsStarted = performance.now();
    for (let rep = 1; rep <= size.maxReps; rep++) {
      const r = await roundTrips(paths, url, size.requests, size.round);
      reps.push(r);
      loads.push(loadavg()[0]);
      ctx.log(
        `round trips, repetition ${rep}: signed/plain ${r.wallRatio.signed.toFixed(4)}, A/A ${r.wallRatio.control.toFixed(4)}; ` +
          `CPU µs/request signed−plain ${r.cpuUs.signed.toFixed(2)}, A/A ${r.cpuUs.control.toFixed(2)}; ` +
          `wall µs signed−plain ${r.wallUs.signed.toFixed(1)}, A/A ${r.wallUs.control.toFixed(1)} (load ${loadavg()[0].toFixed(2)})`,
      );
      if (rep < size.minReps) continue;
      if (Math.abs(median(reps.map((x) => x.wallRatio.control)) - 1) <= CONTROL_TOLERANCE) break;
      if (performance.now() - roundTripsStarted > budgetMs) break;
    }
    if (profiler) await stopProfile(profiler, process.env.HOT_PATH_PROFILE!);
    if (opened() !== 1) throw new Error(`the paths used ${opened()} connections instead of one`);
    const of = (pick: (r: RoundTripFigures) => number) => reps.map(pick);
    const control = median(of((r) => r.wallRatio.control));
    const controlAgrees = Math.abs(control - 1) <= CONTROL_TOLERANCE;
    const signedRatio = median(of((r) => r.wallRatio.signed));
    const cpuUs = median(of((r) => r.cpuUs.signed));
    const load = `load ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`;
    const perPath = `${size.requests.toLocaleString('en-US')} GETs per path and repetition, interleaved request by request over one keep-alive connection, same axios settings`;
    ctx.record({
      figure: 'axios round trip, A/A control: plain / plain',
      unit: 'ratio',
      samples: of((r) => r.wallRatio.control),
      goal: '1 ± 0.02',
      met: controlAgrees,
      note: controlAgrees
        ? `wall time, the noise floor of the row below; ${perPath}; ${load}`
        : `wall time; did not agree with itself within ±2 % after ${reps.length} repetitions: the machine was too busy for the row below to be read finer than this; ${load}`,
    });
    ctx.record({
      figure: 'axios round trip: signed / plain',
      unit: 'ratio',
      samples: of((r) => r.wallRatio.signed),
      goal: '≤ 1.05 with a control that agrees with itself',
      met: signedRatio <= 1.05 && controlAgrees,
      note: `wall time, median of rounds of ${size.round} requests per path; CPU ratio ${median(of((r) => r.cpuRatio.signed)).toFixed(3)} (A/A ${median(of((r) => r.cpuRatio.control)).toFixed(3)}); ${load}`,
    });
    ctx.record({
      figure: "library's own cost per signed request, end to end: CPU signed − plain",
      unit: 'µs',
      samples: of((r) => r.cpuUs.signed),
      goal: '≤ 3',
      met: cpuUs <= 3,
      note: `CPU time of this process per request (process.cpuUsage), the same GETs as above; A/A control ${median(of((r) => r.cpuUs.control)).toFixed(2)} µs; ${load}`,
    });
    ctx.record({
      figure: "library's own cost per signed request, end to end: wall signed − plain",
      unit: 'µs',
      samples: of((r) => r.wallUs.signed),
      goal: 'keep',
      note: `wall time per request, the same GETs; A/A control ${median(of((r) => r.wallUs.control)).toFixed(2)} µs; swings with the load (${load})`,
    });

    phase('round trips measured');
    const isolated = await isolatedCost(paths.plain, paths.signed, url, authorization, size.isolatedBlocks);
    ctx.record({
      figure: "library's own cost per signed request, network taken out: CPU signed − plain",
      unit: 'µs',
      samples: isolated,
      goal: 'keep',
      note: `a transport answering at once on both paths (the response carries the raw header text, so the redaction is counted); pairs of blocks of 2,000; load ${loadavg()[0].toFixed(1)}`,
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

async function startProfile(session: Session): Promise<void> {
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
}

/** The measured repetitions' profile (they ran with the profiler on: their figures include its cost). */
async function stopProfile(session: Session, path: string): Promise<void> {
  const { profile } = await session.post('Profiler.stop');
  await writeFile(path, JSON.stringify(profile));
  session.disconnect();
}
