import { HttpModule } from '@nestjs/axios';
import type { DynamicModule } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { inspect } from 'node:util';
import type { Logger as TypeOrmLogger } from 'typeorm';
import {
  SigningAuthModule,
  type ProviderHostOverrides,
  type SigningAuthHttpOptions,
  type SigningAuthModuleOptions,
} from 'signing-auth';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { newKey } from '../support/test-keys.js';

/** Counts every SQL statement the app sends, to prove a code path never touches the database. */
export class QueryCounter implements TypeOrmLogger {
  count = 0;
  logQuery(): void {
    this.count++;
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

export interface HttpTestApp {
  app: TestingModule;
  db: TestDatabase;
  queries: QueryCounter;
  close(): Promise<void>;
}

/** A Nest app with the library on a test database, provider hosts pointing at the emulators. */
export async function startHttpTestApp(options: {
  hosts?: ProviderHostOverrides;
  http?: SigningAuthHttpOptions;
  /** The host's own HttpModule (global), next to the library's. */
  hostHttpModule?: boolean;
  imports?: DynamicModule[];
  /** Further module options (developmentMode, allowPrivateNetworks, ...). */
  module?: Partial<SigningAuthModuleOptions>;
  clock?: () => Date;
  verifyOnSave?: boolean;
}): Promise<HttpTestApp> {
  const db = await createTestDatabase();
  const queries = new QueryCounter();
  const app = await Test.createTestingModule({
    imports: [
      ...(options.hostHttpModule ? [HttpModule.register({ global: true })] : []),
      TypeOrmModule.forRoot({ ...db.options, logging: ['query'], logger: queries }),
      SigningAuthModule.forRoot({
        encryptionKeys: [newKey('k1')],
        hosts: options.hosts,
        http: options.http,
        sweep: { enabled: false },
        clock: options.clock,
        verifyOnSave: options.verifyOnSave,
        ...options.module,
      }),
      ...(options.imports ?? []),
    ],
  }).compile();
  await app.init();
  return {
    app,
    db,
    queries,
    close: async () => {
      await app.close();
      await db.close();
    },
  };
}

/** Every way an error could reach a log: message, stack, JSON, util.inspect (deep), its cause. */
export function everythingPrintable(error: unknown): string {
  const e = error as Error & { cause?: unknown };
  return [
    String(e?.message),
    String(e?.stack),
    safeJson(e),
    inspect(e, { depth: 6 }),
    e?.cause ? everythingPrintable(e.cause) : '',
  ].join('\n');
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}

/** Runs `fn` and returns what it threw (fails the test if it did not throw). */
export async function rejectionOf(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}
