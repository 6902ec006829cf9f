import type { SigningAuthSweepProgress } from 'signing-auth';

/**
 * Progress of a pass on stderr (stdout is kept for the report, so `--json | jq` works): on a terminal one
 * line rewritten in place with a bar, counts and rate; otherwise (CronJob logs, CI) a plain line per batch.
 */
export class SweepProgressPrinter {
  private lastLine = '';
  private drawn = false;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  private get tty(): boolean {
    return this.stream.isTTY === true;
  }

  update = (progress: SigningAuthSweepProgress): void => {
    const line = describe(progress, this.tty);
    if (line === this.lastLine) return;
    this.lastLine = line;
    if (this.tty) {
      this.stream.write(`\r\x1b[2K${line}`);
      this.drawn = true;
    } else {
      this.stream.write(`${line}\n`);
    }
  };

  /** Ends the in-place line before anything else is printed. */
  finish(): void {
    if (this.drawn) this.stream.write('\n');
    this.drawn = false;
  }
}

function describe({ dueAtStart, report, elapsedSeconds }: SigningAuthSweepProgress, tty: boolean): string {
  const failed =
    report.failedTransient + report.failedNeedsReauth + report.failedUndecryptable + report.failedOther;
  const rate = elapsedSeconds > 0 ? report.examined / elapsedSeconds : 0;
  const counts =
    `${report.examined}/${dueAtStart} due · ${report.refreshed} refreshed · ${report.upToDate} up to date · ` +
    `${failed} failed · ${rate.toFixed(1)}/s · ${elapsedSeconds.toFixed(1)} s`;
  if (!tty) return `sweep: ${counts}`;
  const width = 24;
  const done = dueAtStart > 0 ? Math.min(1, report.examined / dueAtStart) : 1;
  const filled = Math.round(done * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${counts}`;
}
