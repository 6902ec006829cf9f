import 'reflect-metadata';
import { KeyRotationService } from 'signing-auth';
import { createCliContext, EXIT, runCommand } from './cli-runner.js';
import { formatRotationReport } from './rotation-report-table.js';

/**
 * `npm run keys:rotate [-- --json]`: re-encrypts every stored secret with the active key (SIGNING_AUTH_ACTIVE_KEY_ID,
 * else the first of SIGNING_AUTH_ENCRYPTION_KEYS; in development the keys of .data/dev-secrets.json). Online and
 * re-runnable: see KeyRotationService. Prints per table and key id what it re-encrypted and what is left, and
 * ends with the number of values still under other keys. On the embedded database the app must be stopped
 * first (one process at a time). Exit codes: cli-runner.ts's EXIT (1: some value could not be decrypted,
 * listed without secrets; 2: did not run, one line says why).
 */
await runCommand('keys:rotate', async () => {
  // Progress lines (the library's `log` level) go to stderr; stdout carries only the report.
  const app = await createCliContext('keys:rotate', ['error', 'warn', 'log']);
  try {
    const batchSize = Number(process.env.SIGNING_AUTH_ROTATION_BATCH_SIZE ?? 500);
    const report = await app.get(KeyRotationService).rotate({ batchSize });
    process.stdout.write(
      `${process.argv.includes('--json') ? JSON.stringify(report, null, 2) : formatRotationReport(report)}\n`,
    );
    return report.failures.length > 0 ? EXIT.attention : EXIT.ok;
  } finally {
    await app.close();
  }
});
