/**
 * One sweeping replica of the sweep scenario, as a process of its own: the built library against the
 * benchmark's PostgreSQL schema, driven over IPC by its parent (replica-process.ts). It holds one app per
 * sweep profile (e.g. defaults, and concurrency 50 / batch 200), because sweep options are fixed when an
 * app starts and starting a process per profile would cost seconds of the time budget; only one app
 * sweeps at a time. For each `pass` it reports the pass's wall time, this process's CPU time and the
 * statements it sent.
 */
import 'reflect-metadata';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  SIGNING_AUTH_ENTITIES,
  SigningAuthModule,
  SigningAuthSweeper,
  type SweepOptions,
} from 'signing-auth';
import { countStatements } from '../lib/statement-counter.js';

export interface SweepReplicaConfig {
  databaseUrl: string;
  schema: string;
  /** `id:base64key`, the same key the rows were seeded with. */
  encryptionKeys: string;
  profiles: Record<string, SweepOptions>;
}

export interface PassReply {
  wallMs: number;
  cpuMs: number;
  statements: number;
  transactions: number;
  refreshed: number;
  examined: number;
  skipped: number;
  upToDate: number;
  failed: number;
  /** The first failures' classes and reasons (secret-free by the library's contract). */
  failures: string[];
}

const statementsSoFar = countStatements();
const config = JSON.parse(process.env.SWEEP_REPLICA_CONFIG ?? '{}') as SweepReplicaConfig;

async function startApp(sweep: SweepOptions): Promise<INestApplicationContext> {
  @Module({
    imports: [
      TypeOrmModule.forRoot({
        type: 'postgres',
        url: config.databaseUrl,
        schema: config.schema,
        extra: { options: `-c search_path=${config.schema}` },
        entities: SIGNING_AUTH_ENTITIES,
        logging: false,
      }),
      SigningAuthModule.forRoot({
        encryptionKeys: config.encryptionKeys,
        // The token endpoint is a loopback http:// URL.
        developmentMode: true,
        sweep: { ...sweep, enabled: false },
      }),
    ],
  })
  class SweepReplicaModule {}
  return NestFactory.createApplicationContext(SweepReplicaModule, { logger: ['error', 'warn'] });
}

async function pass(app: INestApplicationContext): Promise<PassReply> {
  const sweeper = app.get(SigningAuthSweeper);
  const statementsBefore = statementsSoFar();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const report = await sweeper.runOnce();
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const statementsAfter = statementsSoFar();
  return {
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    statements: statementsAfter.statements - statementsBefore.statements,
    transactions: statementsAfter.transactions - statementsBefore.transactions,
    refreshed: report.refreshed,
    examined: report.examined,
    skipped: report.skipped,
    upToDate: report.upToDate,
    failed:
      report.failedTransient + report.failedNeedsReauth + report.failedUndecryptable + report.failedOther,
    failures: report.failures.slice(0, 3).map((f) => `${f.class}: ${f.reason}`),
  };
}

const loadedMs = performance.now();
const apps = new Map<string, INestApplicationContext>();
for (const [name, sweep] of Object.entries(config.profiles)) apps.set(name, await startApp(sweep));

process.on('message', (msg: { id: number; type: string; profile?: string }) => {
  if (msg.type === 'stop') {
    void Promise.all([...apps.values()].map((app) => app.close())).finally(() => process.exit(0));
    return;
  }
  const app = apps.get(msg.profile ?? '');
  if (msg.type !== 'pass' || !app) {
    process.send!({ type: 'result', id: msg.id, error: `unknown request ${msg.type} ${msg.profile}` });
    return;
  }
  pass(app).then(
    (reply) => process.send!({ type: 'result', id: msg.id, ...reply }),
    (e: Error) => process.send!({ type: 'result', id: msg.id, error: `${e.name}: ${e.message}` }),
  );
});
process.on('disconnect', () => process.exit(0));
// Start-up cost, for the log: loading the modules, then starting the apps.
process.send!({ type: 'ready', loadedMs, startedMs: performance.now() });
