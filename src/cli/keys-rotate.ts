import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { KeyRotationService } from 'signing-auth';
import { CliModule } from './cli.module.js';
import { formatRotationReport } from './rotation-report-table.js';

/**
 * `npm run keys:rotate [-- --json]`: re-encrypts every stored secret with the active key (SIGNING_AUTH_ACTIVE_KEY_ID,
 * else the first of SIGNING_AUTH_ENCRYPTION_KEYS; in development the keys of .data/dev-secrets.json). Online and
 * re-runnable: see KeyRotationService. Prints per table and key id what it re-encrypted and what is left, and
 * ends with the number of values still under other keys. Exit code 1 when some value could not be decrypted
 * (listed, without secrets).
 */
const app = await NestFactory.createApplicationContext(CliModule, { logger: ['error', 'warn', 'log'] });
try {
  const batchSize = Number(process.env.SIGNING_AUTH_ROTATION_BATCH_SIZE ?? 500);
  const report = await app.get(KeyRotationService).rotate({ batchSize });
  console.log(
    process.argv.includes('--json') ? JSON.stringify(report, null, 2) : formatRotationReport(report),
  );
  if (report.failures.length > 0) process.exitCode = 1;
} finally {
  await app.close();
}
