import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import type { SigningAuthSweepReport } from 'signing-auth';
import { parseSweepArgs, SWEEP_USAGE, SweepUsageError } from './sweep/sweep-args.js';
import { SweepProgressPrinter } from './sweep/sweep-progress.js';
import { renderSweepReport } from './sweep/sweep-report-table.js';

/**
 * `npm run sweep`: one refresh pass on DATABASE_URL (or the embedded database, when the app is not
 * running), then exit — for a Kubernetes CronJob, a crontab line or a CI schedule. See docs/run-as-job.md.
 * Exit code: 0 all fine, 1 some connection failed or needs re-authorization, 2 the pass could not run.
 */
const EXIT_OK = 0;
const EXIT_CONNECTION_FAILED = 1;
const EXIT_CANNOT_RUN = 2;

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
    const [{ NestFactory }, { SigningAuthSweeper }, { CliModule }, { StderrLogger }] = await Promise.all([
      import('@nestjs/core'),
      import('signing-auth'),
      import('./cli.module.js'),
      import('./stderr-logger.js'),
    ]);
    app = await NestFactory.createApplicationContext(CliModule, {
      logger: new StderrLogger('sweep', { logLevels: ['error', 'warn'] }),
      abortOnError: false,
    });
    report = await app.get(SigningAuthSweeper).runOnce({
      ...command.options,
      signal: stop.signal,
      onProgress: progress.update,
    });
  } catch (error) {
    progress.finish();
    process.stderr.write(`sweep: the pass could not run: ${(error as Error)?.message ?? String(error)}\n`);
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

process.exitCode = await main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`sweep: ${(error as Error)?.message ?? String(error)}\n`);
  return EXIT_CANNOT_RUN;
});
// Whatever a driver may leave open must not keep a scheduled job alive after its report.
setTimeout(() => process.exit(), 5_000).unref();
