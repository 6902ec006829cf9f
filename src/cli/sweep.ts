import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import type { SigningAuthSweepReport } from 'signing-auth';
import { parseSweepArgs, SWEEP_USAGE, SweepUsageError } from './sweep/sweep-args.js';
import { SweepProgressPrinter } from './sweep/sweep-progress.js';
import { renderSweepReport } from './sweep/sweep-report-table.js';
import { createCliContext, EXIT, knownFailure, runCommand } from './cli-runner.js';

/**
 * `npm run sweep`: one refresh pass on DATABASE_URL (or the embedded database, when the app is not
 * running), then exit — for a Kubernetes CronJob, a crontab line or a CI schedule. See docs/run-as-job.md.
 * Exit codes (cli-runner.ts's EXIT, shared by every command): 0 all fine, 1 some connection failed or needs
 * re-authorization, 2 the pass could not run (one line on stderr says why), 3 an unexpected error.
 */
const EXIT_OK = EXIT.ok;
const EXIT_CONNECTION_FAILED = EXIT.attention;
const EXIT_CANNOT_RUN = EXIT.cannotRun;

async function main(argv: string[]): Promise<number> {
  let command;
  try {
    command = parseSweepArgs(argv);
  } catch (error) {
    if (!(error instanceof SweepUsageError)) throw error;
    process.stderr.write(`sweep: ${error.message}\n\n${SWEEP_USAGE}\n`);
    return EXIT_CANNOT_RUN;
  }
  if (command.help) {
    process.stdout.write(`${SWEEP_USAGE}\n`);
    return EXIT_OK;
  }
  // First SIGTERM/SIGINT (CronJob deadline, node drain, Ctrl-C): stop claiming, finish calls in flight,
  // print the report. A second one exits at once; leases left behind lapse after refresh.leaseSeconds.
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.signal.aborted) process.exit(EXIT_CANNOT_RUN);
    process.stderr.write(`\nsweep: ${signal}: finishing the calls in flight, then stopping\n`);
    stop.abort();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  let app: INestApplicationContext | undefined;
  let report: SigningAuthSweepReport;
  const progress = new SweepProgressPrinter();
  try {
    // Loaded only now, so `--help` and a wrong option answer at once.
    const { SigningAuthSweeper } = await import('signing-auth');
    app = await createCliContext('sweep');
    report = await app.get(SigningAuthSweeper).runOnce({
      ...command.options,
      signal: stop.signal,
      onProgress: progress.update,
    });
  } catch (error) {
    progress.finish();
    const known = knownFailure(error, process.env.DATABASE_URL);
    if (known === null) throw error; // unexpected: the runner prints it with its stack (exit 3)
    process.stderr.write(`sweep: the pass could not run: ${known.replace(/\s*\n\s*/g, ' ')}\n`);
    return EXIT_CANNOT_RUN;
  } finally {
    await app?.close().catch(() => undefined);
  }
  progress.finish();
  process.stdout.write(
    command.json ? `${JSON.stringify(report, null, 2)}\n` : `${renderSweepReport(report)}\n`,
  );
  const failed =
    report.failedTransient + report.failedNeedsReauth + report.failedUndecryptable + report.failedOther;
  return failed > 0 ? EXIT_CONNECTION_FAILED : EXIT_OK;
}

await runCommand('sweep', () => main(process.argv.slice(2)));
// Whatever a driver may leave open must not keep a scheduled job alive after its report.
setTimeout(() => process.exit(), 5_000).unref();
