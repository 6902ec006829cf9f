import type { SigningAuthSweepReport } from 'signing-auth';

const ROWS: [keyof SigningAuthSweepReport, string][] = [
  ['examined', 'examined'],
  ['refreshed', 'refreshed'],
  ['upToDate', 'up to date (rescheduled)'],
  ['skipped', 'skipped (held by another replica)'],
  ['failedTransient', 'failed: transient'],
  ['failedNeedsReauth', 'failed: needs re-authorization'],
  ['failedUndecryptable', 'failed: undecryptable'],
  ['failedOther', 'failed: other'],
  ['refreshTokensRenewed', 'refresh tokens renewed'],
  ['expiredAuthorizationsRemoved', 'expired pending authorizations removed'],
  ['leftDue', 'left due (stopped early)'],
  ['durationSeconds', 'duration (s)'],
];

/** Shown in the table; the JSON report holds up to SWEEP_REPORT_LIST_LIMIT of each list. */
const LIST_ROWS = 20;

/** The report as a table for people; `--json` is for machines. */
export function renderSweepReport(report: SigningAuthSweepReport): string {
  const title = report.dryRun
    ? 'Sweep dry run: nothing was changed. A pass now would take:'
    : `Sweep pass (${report.trigger}) started ${report.startedAt}${report.stoppedEarly ? ', stopped early' : ''}`;
  const labels = report.dryRun
    ? ROWS.filter(([field]) =>
        ['examined', 'skipped', 'expiredAuthorizationsRemoved', 'durationSeconds'].includes(field as string),
      )
    : ROWS;
  const lines = [
    title,
    table(
      ['', 'value'],
      labels.map(([field, label]) => [label, String(report[field])]),
    ),
  ];
  if (report.failures.length > 0) {
    lines.push('Failed connections:');
    lines.push(
      table(
        ['tenant', 'provider', 'class', 'reason'],
        report.failures.slice(0, LIST_ROWS).map((f) => [f.tenantId, f.provider, f.class, f.reason]),
      ),
    );
    if (report.failures.length > LIST_ROWS) lines.push(`… and more: see --json`);
  }
  if (report.due && report.due.length > 0) {
    lines.push('Due connections:');
    lines.push(
      table(
        ['tenant', 'provider', 'status', 'due at', 'why'],
        report.due.slice(0, LIST_ROWS).map((d) => [d.tenantId, d.provider, d.status, d.dueAt, d.reason]),
      ),
    );
    if (report.examined > LIST_ROWS) lines.push(`… ${report.examined - LIST_ROWS} more: see --json`);
  }
  return lines.join('\n');
}

function table(header: string[], rows: string[][]): string {
  const clean = (cell: string) => cell.replace(/[\r\n\t]+/g, ' ').slice(0, 120);
  const all = [header, ...rows].map((row) => row.map(clean));
  const widths = header.map((_, i) => Math.max(...all.map((row) => row[i].length)));
  const line = (row: string[]) => `| ${row.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  return [line(all[0]), rule, ...all.slice(1).map(line)].join('\n');
}
