/**
 * Start-up as a newcomer meets it: a fresh clone of the repository's HEAD into a temp directory,
 * `npm ci`, then `npm start` until /health answers (the first start builds everything and creates the
 * embedded database), then `npm start` again on the unchanged tree (restart). Full mode only: a clone and
 * an install take minutes, which the smoke mode cannot afford. Uncommitted changes are not measured.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { median, type BenchContext } from './lib/kit.js';
import { freePort, timeStart } from './lib/start-probe.js';

const run$ = promisify(execFile);
/** dist/bench/ → the repository root. */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const RESTARTS = 3;

export async function run(ctx: BenchContext): Promise<void> {
  if (ctx.quick) {
    ctx.log(
      'quick mode: nothing measured (a fresh clone, npm ci and a full build take minutes); run `npm run bench -- start`',
    );
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'signing-auth-start-'));
  const clone = join(dir, 'signing-auth');
  try {
    const { stdout: head } = await run$('git', ['rev-parse', 'HEAD'], { cwd: ROOT });
    await run$('git', ['clone', '--quiet', '--no-checkout', ROOT, clone]);
    await run$('git', ['checkout', '--quiet', '--detach', head.trim()], { cwd: clone });
    ctx.log(`cloned ${head.trim().slice(0, 7)} into ${clone}`);

    // The app as a newcomer starts it: the embedded database and development keys, nothing from this shell.
    const env = Object.fromEntries(
      Object.entries(process.env).filter(
        ([name]) => name !== 'DATABASE_URL' && name !== 'NODE_ENV' && !name.startsWith('SIGNING_AUTH_'),
      ),
    );
    const load = () => loadavg()[0].toFixed(1);

    const installStarted = performance.now();
    const loadBeforeInstall = load();
    await run$('npm', ['ci', '--no-audit', '--no-fund'], { cwd: clone, env, maxBuffer: 64 * 2 ** 20 });
    const installSeconds = (performance.now() - installStarted) / 1000;
    ctx.log(`npm ci in ${installSeconds.toFixed(1)} s`);
    ctx.record({
      figure: 'fresh clone: `npm ci --no-audit --no-fund`',
      unit: 's',
      samples: [installSeconds],
      note: `with this machine's network and npm cache; load ${loadBeforeInstall} before, ${load()} after`,
    });

    const start = (timeoutMs: number) =>
      freePort().then((port) => timeStart(['npm', 'start'], { cwd: clone, env, port, timeoutMs }));
    const loadBeforeFirst = load();
    const first = await start(300_000);
    ctx.log(
      `first start healthy after ${first.wallSeconds.toFixed(1)} s (${first.cpuSeconds.toFixed(1)} s CPU)`,
    );
    ctx.record({
      figure: 'first `npm start` to healthy (build + embedded database created)',
      unit: 's',
      samples: [first.wallSeconds],
      goal: '≤ 10 s',
      met: first.wallSeconds <= 10,
      note: `wall; ${first.cpuSeconds.toFixed(1)} s CPU; load ${loadBeforeFirst} before`,
    });

    ctx.record({
      figure: 'first `npm start` to healthy: CPU',
      unit: 's',
      samples: [first.cpuSeconds],
      note: 'user + system of every process of the start, the steadier figure on a shared machine',
    });

    const restarts = [];
    const loadBeforeRestarts = load();
    for (let i = 0; i < RESTARTS; i++) restarts.push(await start(120_000));
    ctx.log(`restarts healthy after ${restarts.map((r) => r.wallSeconds.toFixed(1)).join(', ')} s`);
    const wall = restarts.map((r) => r.wallSeconds);
    ctx.record({
      figure: '`npm start` again, unchanged tree (restart)',
      unit: 's',
      samples: wall,
      goal: '≤ 5 s',
      met: median(wall) <= 5,
      note: `wall; load ${loadBeforeRestarts} before`,
    });
    ctx.record({
      figure: '`npm start` again (restart): CPU',
      unit: 's',
      samples: restarts.map((r) => r.cpuSeconds),
      note: 'user + system of every process of the start',
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
