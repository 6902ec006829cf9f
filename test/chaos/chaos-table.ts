import { writeFileSync } from 'node:fs';

/** One scenario's line in the table: what was tried, what survived, and each check that held or failed. */
export interface ChaosRow {
  scenario: string;
  tried: string;
  survived: string;
  checks: Array<[label: string, held: boolean]>;
  seconds: number;
  /** When a check fails for a reason already known (a fix not yet merged), the reason. */
  pending?: string;
  /** Not run here: covered by the named test of `npm test`. */
  reference?: string;
}

/**
 * The table the suite prints at the end (and after every scenario, so a run cut short still shows what it did).
 * Also written to CHAOS_TABLE_FILE when set, for the docs.
 */
export class ChaosTable {
  private readonly rows: ChaosRow[] = [];

  add(row: ChaosRow): ChaosRow {
    this.rows.push(row);
    return row;
  }

  render(title: string): string {
    const lines = [['#', 'scenario', 'tried', 'survived', 'result', 's']];
    this.rows.forEach((row, i) => {
      const failed = row.checks.filter(([, held]) => !held).map(([label]) => label);
      const result = row.reference
        ? `covered by ${row.reference}`
        : failed.length === 0
          ? 'PASS'
          : `FAIL: ${failed.join('; ')}${row.pending ? ` (PENDING: ${row.pending})` : ''}`;
      lines.push([String(i + 1), row.scenario, row.tried, row.survived, result, row.seconds.toFixed(0)]);
    });
    const widths = lines[0].map((_, c) => Math.max(...lines.map((l) => l[c].length)));
    const fmt = (l: string[]) => `| ${l.map((cell, c) => cell.padEnd(widths[c])).join(' | ')} |`;
    return [
      title,
      fmt(lines[0]),
      `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
      ...lines.slice(1).map(fmt),
    ].join('\n');
  }

  print(title: string): void {
    const text = this.render(title);
    process.stdout.write(`\n${text}\n\n`);
    if (process.env.CHAOS_TABLE_FILE) writeFileSync(process.env.CHAOS_TABLE_FILE, `${text}\n`);
  }
}
