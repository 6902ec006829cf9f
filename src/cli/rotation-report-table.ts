import type { KeyRotationReport } from 'signing-auth';

/**
 * The rotation report as an operator reads it: per table and key id, what this run re-encrypted and what is
 * stored under that key now (counted after the run, not running totals), then the one number to wait for.
 */
export function formatRotationReport(report: KeyRotationReport): string {
  const lines: string[][] = [['table', 'key id', 're-encrypted', 'left']];
  for (const table of report.tables) {
    const left = new Map(
      report.remaining.filter((c) => c.table === table.table).map((c) => [c.keyId, c.values]),
    );
    const keyIds = [...new Set([...Object.keys(table.reencryptedByKeyId), ...left.keys()])].sort();
    if (keyIds.length === 0) lines.push([table.table, '-', '0', '0']);
    for (const keyId of keyIds) {
      const name = keyId === report.activeKeyId ? `${keyId} (active)` : keyId;
      lines.push([
        table.table,
        name,
        String(table.reencryptedByKeyId[keyId] ?? 0),
        String(left.get(keyId) ?? 0),
      ]);
    }
  }
  const widths = lines[0].map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  const text = lines.map((l) =>
    l.map((cell, i) => (i >= 2 ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  '),
  );
  const failures = report.failures.map(
    (f) =>
      `  cannot decrypt ${f.table} ${f.field} of tenant "${f.tenantId}" (${f.provider}), key "${f.keyId}": ${f.reason}`,
  );
  return [
    `Key rotation to "${report.activeKeyId}": ${report.rowsScanned} rows scanned, ${report.valuesReencrypted} values re-encrypted` +
      (report.concurrentUpdates ? `, ${report.concurrentUpdates} concurrent writes re-read` : ''),
    ...text,
    ...(failures.length
      ? [`${failures.length} values could not be re-encrypted (left as they were):`, ...failures]
      : []),
    `${report.valuesUnderOtherKeys} values left under keys other than "${report.activeKeyId}".`,
  ].join('\n');
}
