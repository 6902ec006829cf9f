/* global fetch, setTimeout */
// One app replica for the multi-process lifecycle and chaos tests: a plain Node process running the BUILT
// library (libs/signing-auth/dist) against a real PostgreSQL schema, driven by its parent over IPC.
// Optional config (chaos suite): `sweep` (runs the scheduled sweep), `clockOffsetMs` (this replica's clock),
// `activeKeyId`, `database` (pg pool settings), `events` (counts lifecycle events by name).
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { firstValueFrom } from 'rxjs';
import {
  SIGNING_AUTH_ENTITIES,
  SigningAuthHealthIndicator,
  SigningAuthHttpService,
  SigningAuthModule,
  TokenService,
} from '../../libs/signing-auth/dist/index.js';

// Internal, for the chaos suite only: whether the LISTEN connection is up (it drops the token cache on reconnect).
import { TokenChangeNotifier } from '../../libs/signing-auth/dist/refresh/token-change.notifier.js';
// Internal: the stored-key census runs after start; "ready" waits for it so the boot findings are in health.
import { StoredKeyCheck } from '../../libs/signing-auth/dist/crypto/stored-key.check.js';

const config = JSON.parse(process.env.REPLICA_CONFIG ?? '{}');
const clockOffsetMs = config.clockOffsetMs ?? 0;
const eventCounts = {};

class ReplicaModule {}
Module({
  imports: [
    TypeOrmModule.forRoot({
      type: 'postgres',
      url: config.databaseUrl,
      schema: config.schema,
      extra: { options: `-c search_path=${config.schema}`, ...config.database },
      entities: SIGNING_AUTH_ENTITIES,
      logging: false,
    }),
    ...(config.sweep ? [ScheduleModule.forRoot()] : []),
    SigningAuthModule.forRoot({
      encryptionKeys: config.encryptionKeys,
      activeKeyId: config.activeKeyId,
      hosts: { docusignOAuthUrl: config.emulatorUrl },
      refresh: config.refresh,
      sweep: config.sweep ?? { enabled: false },
      ...(clockOffsetMs ? { clock: () => new Date(Date.now() + clockOffsetMs) } : {}),
      observer: { onEvent: (name) => (eventCounts[name] = (eventCounts[name] ?? 0) + 1) },
    }),
  ],
})(ReplicaModule);

const app = await NestFactory.createApplicationContext(ReplicaModule, { logger: config.logger ?? ['error'] });
const tokens = app.get(TokenService);
const http = app.get(SigningAuthHttpService);
const health = app.get(SigningAuthHealthIndicator);

process.on('message', (msg) => {
  handle(msg).catch((e) => process.send({ type: 'result', id: msg.id, error: `${e.name}: ${e.message}` }));
});
await app.get(StoredKeyCheck).checked;
process.send({ type: 'ready' });

async function handle(msg) {
  if (msg.type === 'get') {
    const token = await tokens.getAccessToken(msg.tenantId, 'docusign');
    const accepted = await apiAccepts(token);
    process.send({
      type: 'result',
      id: msg.id,
      accepted,
      ...(msg.withToken ? { accessToken: token.accessToken } : {}),
    });
  } else if (msg.type === 'hammer') {
    process.send({ type: 'result', id: msg.id, stats: await hammer(msg) });
  } else if (msg.type === 'call') {
    // A provider API call through SigningAuthHttpService, as a host app makes it.
    const started = Date.now();
    try {
      const res = await firstValueFrom(
        http.get('/envelopes', {
          signingAuth: { tenantId: msg.tenantId, provider: 'docusign', docusignAccountBase: true },
          timeout: 5000,
        }),
      );
      process.send({ type: 'result', id: msg.id, ok: res.status === 200, ms: Date.now() - started });
    } catch (e) {
      process.send({
        type: 'result',
        id: msg.id,
        ok: false,
        errorName: e?.name,
        error: String(e?.message),
        ms: Date.now() - started,
      });
    }
  } else if (msg.type === 'refreshNow') {
    try {
      const view = await tokens.refreshNow(msg.tenantId, 'docusign');
      process.send({ type: 'result', id: msg.id, ok: true, status: view.status });
    } catch (e) {
      process.send({ type: 'result', id: msg.id, ok: false, errorName: e?.name, error: String(e?.message) });
    }
  } else if (msg.type === 'health') {
    const started = Date.now();
    const result = await health.isHealthy('signingAuth');
    process.send({ type: 'result', id: msg.id, ms: Date.now() - started, health: result.signingAuth });
  } else if (msg.type === 'listening') {
    process.send({ type: 'result', id: msg.id, listening: app.get(TokenChangeNotifier).listening });
  } else if (msg.type === 'events') {
    process.send({ type: 'result', id: msg.id, events: { ...eventCounts } });
  } else if (msg.type === 'stop') {
    await app.close();
    process.exit(0);
  }
}

/** Calls getAccessToken for random connections and uses each token at the emulator's REST API. */
async function hammer({ tenants, durationMs, concurrency, pauseMs = 0 }) {
  const stats = { calls: 0, accepted: 0, rejected: 0, errors: 0, firstProblem: null, errorNames: {} };
  const deadline = Date.now() + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < deadline) {
        const tenant = tenants[Math.floor(Math.random() * tenants.length)];
        stats.calls++;
        try {
          const token = await tokens.getAccessToken(tenant, 'docusign');
          if (await apiAccepts(token)) stats.accepted++;
          else {
            stats.rejected++;
            stats.firstProblem ??= `token of ${tenant} rejected`;
          }
        } catch (e) {
          stats.errors++;
          stats.errorNames[e.name] = (stats.errorNames[e.name] ?? 0) + 1;
          stats.firstProblem ??= `${e.name}: ${e.message}`;
        }
        if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
      }
    }),
  );
  return stats;
}

async function apiAccepts(token) {
  const res = await fetch(
    `${config.emulatorUrl}/restapi/v2.1/accounts/${token.metadata.accountId}/envelopes`,
    {
      headers: { authorization: `${token.tokenType} ${token.accessToken}` },
    },
  );
  await res.arrayBuffer();
  return res.status === 200;
}
