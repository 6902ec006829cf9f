/**
 * Cost of signing a request: SigningAuthHttpService with `signingAuth` (token from TokenService's cache,
 * header from the strategy, the 401/403-aware transport) against a plain axios instance sending a fixed
 * header, both to the same local node:http server, sequentially, in the same run. Blocks of the two paths
 * alternate so drift (CPU frequency, GC, JIT) hits both alike. Also prints the library's instance without
 * `signingAuth` (the untouched path) against the same plain instance.
 *
 *   npm run bench -- http          (REQUESTS=20000 by default; REQUESTS=5000 npm run bench -- http for a quick look)
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import axios, { type AxiosAdapter, type AxiosInstance, type AxiosRequestConfig } from 'axios';
import { PGliteDriver } from 'typeorm-pglite';
import type { DataSourceOptions } from 'typeorm';
import {
  ConnectionsService,
  SIGNING_AUTH_ENTITIES,
  SIGNING_AUTH_MIGRATIONS,
  SigningAuthHttpService,
  SigningAuthModule,
  TokenService,
} from 'signing-auth';

const REQUESTS = Number(process.env.REQUESTS ?? 20_000);
const BLOCK = 200;
const TOKEN = `bench-${randomBytes(16).toString('hex')}`;

export async function run(): Promise<void> {
  const server = await startServer();
  const base = `http://127.0.0.1:${server.port}`;
  const app = await startApp();
  try {
    await app.get(ConnectionsService).upsert('bench-tenant', 'oauth2', {
      config: {
        tokenUrl: `${base}/token`,
        apiBaseUrls: [base],
        clientId: 'bench',
        grant: 'client_credentials',
      },
      secrets: { clientSecret: 'bench-secret' },
    });
    const signing = app.get(SigningAuthHttpService).axiosRef;
    const plain = axios.create({ headers: { Authorization: `Bearer ${TOKEN}` } });
    const signed: AxiosRequestConfig = { signingAuth: { tenantId: 'bench-tenant', provider: 'oauth2' } };
    const url = `${base}/api/ping`;

    // Warm-up: first token (then cached), JIT, keep-alive sockets.
    await app.get(TokenService).getAccessToken('bench-tenant', 'oauth2');
    await measure(plain, url, {}, 2_000);
    await measure(signing, url, signed, 2_000);

    // Alternate short blocks of the two paths (which one goes first alternates too), so load from other
    // processes, GC and CPU frequency changes hit both alike; wall and CPU time are both recorded.
    const signedRun = await compare(plain, url, {}, signing, url, signed, REQUESTS);
    const untouchedRun = await compare(
      plain,
      `${base}/public`,
      {},
      signing,
      `${base}/public`,
      {},
      REQUESTS / 4,
    );
    report('signed (signingAuth, cached token)', signedRun);
    report('untouched (same instance, no signingAuth)', untouchedRun);
    reportIsolated(await isolated(plain, signing, url, signed), signedRun);
  } finally {
    await app.close();
    server.close();
  }
}

interface Sample {
  wallMs: number;
  cpuMs: number;
}

interface Comparison {
  requests: number;
  plain: Sample;
  other: Sample;
  /** other/plain wall-time ratio of each pair of blocks. */
  blockRatios: number[];
}

async function measure(
  client: AxiosInstance,
  url: string,
  config: AxiosRequestConfig,
  n: number,
): Promise<Sample> {
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const res = await client.get(url, config);
    if (res.status !== 200) throw new Error(`unexpected status ${res.status}`);
  }
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const used = process.cpuUsage(cpu);
  return { wallMs, cpuMs: (used.user + used.system) / 1000 };
}

async function compare(
  plain: AxiosInstance,
  plainUrl: string,
  plainConfig: AxiosRequestConfig,
  other: AxiosInstance,
  otherUrl: string,
  otherConfig: AxiosRequestConfig,
  requests: number,
): Promise<Comparison> {
  const result: Comparison = {
    requests: 0,
    plain: { wallMs: 0, cpuMs: 0 },
    other: { wallMs: 0, cpuMs: 0 },
    blockRatios: [],
  };
  for (let block = 0; result.requests < requests; block++) {
    const n = Math.min(BLOCK, requests - result.requests);
    let a: Sample;
    let b: Sample;
    if (block % 2 === 0) {
      a = await measure(plain, plainUrl, plainConfig, n);
      b = await measure(other, otherUrl, otherConfig, n);
    } else {
      b = await measure(other, otherUrl, otherConfig, n);
      a = await measure(plain, plainUrl, plainConfig, n);
    }
    result.plain.wallMs += a.wallMs;
    result.plain.cpuMs += a.cpuMs;
    result.other.wallMs += b.wallMs;
    result.other.cpuMs += b.cpuMs;
    result.blockRatios.push(b.wallMs / a.wallMs);
    result.requests += n;
  }
  return result;
}

function report(label: string, c: Comparison): void {
  const us = (ms: number) => ((ms * 1000) / c.requests).toFixed(1);
  const extra = (ratio: number) => `${ratio >= 1 ? '+' : ''}${((ratio - 1) * 100).toFixed(2)}%`;
  const blocks = median(c.blockRatios);
  const wall = c.other.wallMs / c.plain.wallMs;
  const cpu = c.other.cpuMs / c.plain.cpuMs;
  console.log(`\n${label} vs plain axios with a fixed header: ${c.requests} sequential GETs each`);
  console.log(`  plain  ${us(c.plain.wallMs)} µs/req wall, ${us(c.plain.cpuMs)} µs/req CPU`);
  console.log(`  other  ${us(c.other.wallMs)} µs/req wall, ${us(c.other.cpuMs)} µs/req CPU`);
  console.log(
    `  ratio  wall ${wall.toFixed(4)} (${extra(wall)}), CPU ${cpu.toFixed(4)} (${extra(cpu)}), ` +
      `median of ${c.blockRatios.length} paired blocks ${blocks.toFixed(4)} (${extra(blocks)})`,
  );
}

/**
 * The library's own cost, without the network: both instances get a transport that answers at once, and
 * the CPU time per request is compared (median over alternating blocks); the response carries the raw
 * header text a real one does, so the redaction is measured too. Robust against load from other
 * processes, which makes the round-trip ratios above swing by several percent on a busy machine.
 */
async function isolated(
  plain: AxiosInstance,
  signing: AxiosInstance,
  url: string,
  signed: AxiosRequestConfig,
): Promise<{ plainUs: number; signedUs: number }> {
  const instant: AxiosAdapter = async (config) => ({
    status: 200,
    statusText: 'OK',
    headers: {},
    config,
    data: { ok: true },
    // What node leaves on a ClientRequest, so the redaction of a real response is part of the figure.
    request: {
      _header:
        `GET /api/ping HTTP/1.1\r\nAccept: application/json, text/plain, */*\r\nAuthorization: Bearer ${TOKEN}\r\n` +
        'User-Agent: axios/1.21.1\r\nAccept-Encoding: gzip, compress, deflate, br\r\nHost: 127.0.0.1\r\n' +
        'Connection: keep-alive\r\n\r\n',
    },
  });
  const saved = [plain.defaults.adapter, signing.defaults.adapter];
  plain.defaults.adapter = instant;
  signing.defaults.adapter = instant;
  const samples = { plain: [] as number[], signed: [] as number[] };
  try {
    for (let block = 0; block < 80; block++) {
      samples.plain.push((await measure(plain, url, {}, 500)).cpuMs / 0.5);
      samples.signed.push((await measure(signing, url, signed, 500)).cpuMs / 0.5);
    }
  } finally {
    [plain.defaults.adapter, signing.defaults.adapter] = saved;
  }
  return { plainUs: median(samples.plain), signedUs: median(samples.signed) };
}

function reportIsolated(r: { plainUs: number; signedUs: number }, run: Comparison): void {
  const extra = r.signedUs - r.plainUs;
  const roundTripUs = (run.plain.cpuMs * 1000) / run.requests;
  console.log('\nthe same two paths with the network taken out (transport answering at once), CPU medians:');
  console.log(
    `  plain ${r.plainUs.toFixed(1)} µs/req, signed ${r.signedUs.toFixed(1)} µs/req: signing adds ${extra.toFixed(1)} µs/req`,
  );
  console.log(
    `  = ${((extra / roundTripUs) * 100).toFixed(2)}% of the plain local round trip measured above ` +
      `(${roundTripUs.toFixed(1)} µs CPU/req)`,
  );
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

/**
 * The API server runs in a child process, so the CPU figures are the client's alone and the server's
 * work does not share the client's event loop.
 */
async function startServer(): Promise<{ port: number; close(): void }> {
  const source = `
    const token = ${JSON.stringify(TOKEN)};
    const server = require('node:http').createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.method === 'POST' && req.url === '/token') {
          res.writeHead(200, { 'content-type': 'application/json' });
          return res.end(JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: 3600 }));
        }
        const ok = req.url === '/public' || req.headers.authorization === 'Bearer ' + token;
        res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
        res.end(ok ? '{"ok":true}' : '{"error":"invalid_token"}');
      });
    });
    server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
  `;
  const child = spawn(process.execPath, ['-e', source], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
  });
  return { port, close: () => child.kill() };
}

async function startApp() {
  @Module({
    imports: [
      TypeOrmModule.forRoot({
        type: 'postgres',
        driver: new PGliteDriver().driver,
        installExtensions: false,
        entities: SIGNING_AUTH_ENTITIES,
        migrations: SIGNING_AUTH_MIGRATIONS,
        migrationsRun: true,
        logging: false,
      } as DataSourceOptions),
      SigningAuthModule.forRoot({
        encryptionKeys: [{ id: 'bench', key: randomBytes(32).toString('base64') }],
        sweep: { enabled: false },
      }),
    ],
  })
  class BenchModule {}
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: ['error', 'warn'] });
  await app.init();
  return app;
}
