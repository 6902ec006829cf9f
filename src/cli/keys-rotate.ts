import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { KeyRotationService } from 'signing-auth';
import { CliModule } from './cli.module.js';

/**
 * `npm run keys:rotate`: re-encrypts every stored secret with the active key (the first of
 * SIGNING_AUTH_ENCRYPTION_KEYS). Online and re-runnable: see KeyRotationService. Exit code 1 when some
 * value could not be decrypted (listed, without secrets).
 */
const app = await NestFactory.createApplicationContext(CliModule, { logger: ['error', 'warn', 'log'] });
try {
  const batchSize = Number(process.env.SIGNING_AUTH_ROTATION_BATCH_SIZE ?? 500);
  const report = await app.get(KeyRotationService).rotate({ batchSize });
  console.log(JSON.stringify(report, null, 2));
  if (report.failures.length > 0) process.exitCode = 1;
} finally {
  await app.close();
}
