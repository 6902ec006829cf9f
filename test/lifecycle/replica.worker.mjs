/* global fetch */
// One app replica for the multi-process lifecycle tests: a plain Node process running the BUILT library
// (libs/signing-auth/dist) against a real PostgreSQL schema, driven by its parent over IPC.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  SIGNING_AUTH_ENTITIES,
  SigningAuthModule,
  TokenService,
} from '../../libs/signing-auth/dist/index.js';

const config = JSON.parse(process.env.REPLICA_CONFIG ?? '{}');

class ReplicaModule {}
Module({
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
      hosts: { docusignOAuthUrl: config.emulatorUrl },
      refresh: config.refresh,
      sweep: { enabled: false },
    }),
  ],
})(ReplicaModule);

const app = await NestFactory.createApplicationContext(ReplicaModule, { logger: ['error'] });
const tokens = app.get(TokenService);

process.on('message', (msg) => {
  handle(msg).catch((e) => process.send({ type: 'result', id: msg.id, error: `${e.name}: ${e.message}` }));
});
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
  } else if (msg.type === 'stop') {
    await app.close();
    process.exit(0);
  }
}

/** Calls getAccessToken for random connections and uses each token at the emulator's REST API. */
async function hammer({ tenants, durationMs, concurrency }) {
  const stats = { calls: 0, accepted: 0, rejected: 0, errors: 0, firstProblem: null };
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
          stats.firstProblem ??= `${e.name}: ${e.message}`;
        }
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
