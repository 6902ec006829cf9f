import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

/**
 * The npm tarball is what users install. This test packs it, unpacks it into a fresh app folder (peers
 * linked from this repository instead of downloaded, so it needs no network) and then follows ONLY the
 * package's own README: every code block of it that starts with `// file: <path>` is written into the app,
 * the README's tsconfig compiles them (a module with forRoot, one with forRootAsync, a service calling a
 * provider API, the health snippet), and a signed call goes through them. A second app without the
 * optional peers shows that swagger and terminus really are optional.
 */
const repo = resolve('.');
const pkg = JSON.parse(readFileSync(join(repo, 'libs/signing-auth/package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
};
const OPTIONAL = Object.keys(pkg.peerDependenciesMeta).filter(
  (name) => pkg.peerDependenciesMeta[name].optional,
);

describe('the packed library', () => {
  let workDir: string;
  let tarball: string;
  let db: TestDatabase | undefined;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'signing-auth-consumer-'));
    const out = execFileSync(
      'npm',
      ['pack', '--json', '--pack-destination', workDir, '-w', 'libs/signing-auth'],
      {
        encoding: 'utf8',
        env: { ...process.env, npm_config_loglevel: 'silent' },
      },
    );
    const [{ filename, files }] = JSON.parse(out) as Array<{
      filename: string;
      files: Array<{ path: string }>;
    }>;
    tarball = join(workDir, filename);
    packedFiles = files.map((f) => f.path);
    if (process.env.DATABASE_URL) db = await createTestDatabase();
  }, 120_000);

  afterAll(async () => {
    await db?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  let packedFiles: string[] = [];

  it('ships its own README, license, changelog, code and the sources its maps point to — nothing else', async () => {
    expect(packedFiles).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'LICENSE',
        'CHANGELOG.md',
        'dist/index.js',
        'dist/index.d.ts',
        'src/index.ts',
      ]),
    );
    expect(packedFiles.filter((p) => /\.spec\.(ts|js)$|tsbuildinfo/.test(p))).toEqual([]);
    const app = await unpackInto('maps');
    const root = join(app, 'node_modules/signing-auth');
    const maps = packedFiles.filter((p) => p.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(50);
    const unresolved: string[] = [];
    for (const map of maps) {
      const { sources } = JSON.parse(await readFile(join(root, map), 'utf8')) as { sources: string[] };
      for (const source of sources) {
        if (!existsSync(resolve(root, dirname(map), source))) unresolved.push(`${map} → ${source}`);
      }
    }
    expect(unresolved).toEqual([]);

    // The README is written for a user of the package, not for this repository.
    const readme = await readFile(join(root, 'README.md'), 'utf8');
    expect(readme).not.toMatch(
      /npm start|docs\/decisions|test\/|example app|libs\/signing-auth|SIGNING_AUTH_DATA_DIR/,
    );
    expect(readme).toMatch(/ESM only/);
    expect(readme).toMatch(/Fastify/);
  }, 120_000);

  it('compiles the README modules (forRoot, forRootAsync, health) and makes a signed call through them', async () => {
    const app = await unpackInto('readme', [
      ...Object.keys(pkg.peerDependencies),
      // What the README's own examples use beside the package and its peers.
      '@nestjs/config',
      '@nestjs/platform-express',
      // The test harness: a TypeScript compiler and an embedded PostgreSQL when no server is given.
      'typescript',
      '@types/node',
      '@electric-sql/pglite',
      'typeorm-pglite',
    ]);
    const readme = await readFile(join(app, 'node_modules/signing-auth/README.md'), 'utf8');
    const written = await writeReadmeFiles(readme, app);
    // The repository README shows some of the same files: they must be these (so they compile too).
    const repoReadme = await readFile(join(repo, 'README.md'), 'utf8');
    for (const [path, body] of readmeFiles(repoReadme)) expect(readmeFiles(readme).get(path)).toBe(body);
    expect(written).toEqual(
      expect.arrayContaining([
        'tsconfig.json',
        'src/app.module.ts',
        'src/app-async.module.ts',
        'src/envelopes.service.ts',
        'src/health.controller.ts',
      ]),
    );
    await writeFile(join(app, 'package.json'), JSON.stringify({ type: 'module', private: true }));
    await writeFile(join(app, 'src/pack-check.ts'), HARNESS);
    execFileSync(process.execPath, [join(app, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], {
      cwd: app,
      encoding: 'utf8',
    });

    const env = {
      PATH: process.env.PATH ?? '',
      SIGNING_AUTH_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      ...(db?.url ? { DATABASE_URL: db.url } : {}),
    };
    const printed = execFileSync(process.execPath, ['dist/pack-check.js'], {
      cwd: app,
      encoding: 'utf8',
      env,
    });
    const result = JSON.parse(printed.trim().split('\n').pop()!) as Record<string, unknown>;
    const expected = 'Bearer pack-token';
    expect(result.embedded).toMatchObject({
      authorization: expected,
      health: { status: 'up', database: 'up' },
    });
    if (db) {
      // With a real server the README's modules themselves boot and sign.
      expect(result.forRoot).toMatchObject({ authorization: expected });
      expect(result.forRootAsync).toMatchObject({ authorization: expected });
    }
  }, 240_000);

  it('works without its optional peers, and says what adminApi needs when swagger is missing', async () => {
    const required = Object.keys(pkg.peerDependencies).filter((name) => !OPTIONAL.includes(name));
    expect(OPTIONAL).toEqual(expect.arrayContaining(['@nestjs/swagger', '@nestjs/terminus']));
    const app = await unpackInto('minimal', [...required, '@electric-sql/pglite', 'typeorm-pglite']);
    await writeFile(join(app, 'package.json'), JSON.stringify({ type: 'module', private: true }));
    await writeFile(join(app, 'main.js'), MINIMAL_APP);
    const printed = execFileSync(process.execPath, ['main.js'], { cwd: app, encoding: 'utf8' }).trim();
    const result = JSON.parse(printed.split('\n').pop()!) as Record<string, string>;
    expect(result.authorization).toBe(`Basic ${Buffer.from('tok_9:sec_9').toString('base64')}`);
    expect(result.health).toBe('up');
    expect(result.adminApi).toMatch(/AdminApiUnavailableError: .*adminApi: true needs .*@nestjs\/swagger/);
  }, 120_000);

  /** A fresh app folder with the tarball unpacked and exactly `linked` packages beside it. */
  async function unpackInto(name: string, linked: string[] = []): Promise<string> {
    const app = join(workDir, name);
    const target = join(app, 'node_modules/signing-auth');
    await mkdir(target, { recursive: true });
    execFileSync('tar', ['-xzf', tarball, '-C', target, '--strip-components=1']);
    for (const dep of [...Object.keys(pkg.dependencies), ...linked]) {
      await mkdir(dirname(join(app, 'node_modules', dep)), { recursive: true });
      await symlink(join(repo, 'node_modules', dep), join(app, 'node_modules', dep), 'dir');
    }
    return app;
  }
});

/** Every fenced block whose first line is `// file: <path>`, by path. */
function readmeFiles(readme: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const [, body] of readme.matchAll(/```[a-z]*\n([\s\S]*?)```/g)) {
    const header = /^\/\/ file: (\S+)\n/.exec(body);
    if (header) files.set(header[1], body.slice(header[0].length));
  }
  return files;
}

/** Writes the README's files into `dir`; returns their paths. */
async function writeReadmeFiles(readme: string, dir: string): Promise<string[]> {
  const files = readmeFiles(readme);
  for (const [path, body] of files) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), body);
  }
  return [...files.keys()];
}

/** Test-owned, compiled together with the README's files: boots them and makes a signed call. */
const HARNESS = `import 'reflect-metadata';
import { createServer } from 'node:http';
import { Module, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { PGliteDriver } from 'typeorm-pglite';
import { ConnectionsService, SIGNING_AUTH_MIGRATIONS, SigningAuthHealthIndicator, SigningAuthModule } from 'signing-auth';
import { AppModule } from './app.module.js';
import { AppAsyncModule } from './app-async.module.js';
import { EnvelopesService } from './envelopes.service.js';
import { HealthModule } from './health.controller.js';

const seen: string[] = [];
// Both sides of a generic OAuth 2.0 provider on loopback (allowed outside production): its token endpoint,
// and the API the signed call goes to (a host the connection's config names, so host binding lets it through).
const server = createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  if (req.url === '/oauth/token') {
    res.end('{"access_token":"pack-token","token_type":"Bearer","expires_in":3600}');
    return;
  }
  seen.push(req.headers.authorization ?? '');
  res.end('{"ok":true}');
});
await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
const origin = \`http://127.0.0.1:\${(server.address() as { port: number }).port}\`;
const url = \`\${origin}/api/v1/templates\`;

async function signedCall(root: Type<unknown>) {
  @Module({ imports: [root, HealthModule], providers: [EnvelopesService] })
  class Harness {}
  const app = await NestFactory.createApplicationContext(Harness, { logger: false });
  try {
    const tenant = 'acme-' + Math.random().toString(36).slice(2);
    await app.get(ConnectionsService).upsert(tenant, 'oauth2', {
      config: {
        grant: 'client_credentials',
        tokenUrl: \`\${origin}/oauth/token\`,
        clientId: 'pack-client',
        apiBaseUrls: [origin],
      },
      secrets: { clientSecret: 'pack-secret' },
    });
    await app.get(EnvelopesService).get(tenant, 'oauth2', url);
    const health = await app.get(SigningAuthHealthIndicator).isHealthy('signingAuth');
    return { authorization: seen.at(-1), health: health.signingAuth };
  } finally {
    await app.close();
  }
}

@Module({
  imports: [
    TypeOrmModule.forRoot({ type: 'postgres', driver: new PGliteDriver().driver, installExtensions: false,
      autoLoadEntities: true, migrations: [...SIGNING_AUTH_MIGRATIONS], migrationsRun: true } as never),
    SigningAuthModule.forRoot({ encryptionKeys: process.env.SIGNING_AUTH_ENCRYPTION_KEYS! }),
  ],
})
class EmbeddedRoot {}

const result: Record<string, unknown> = { embedded: await signedCall(EmbeddedRoot) };
if (process.env.DATABASE_URL) {
  result.forRoot = await signedCall(AppModule);
  result.forRootAsync = await signedCall(AppAsyncModule);
}
server.close();
console.log(JSON.stringify(result));
`;

/** Plain JavaScript, no swagger, no terminus, no event-emitter, no prom-client installed. */
const MINIMAL_APP = `import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { PGliteDriver } from 'typeorm-pglite';
import { ConnectionsService, SIGNING_AUTH_MIGRATIONS, SigningAuthHealthIndicator, SigningAuthModule, TokenService } from 'signing-auth';

const keys = 'k1:' + randomBytes(32).toString('base64');
class AppModule {}
Module({
  imports: [
    TypeOrmModule.forRoot({ type: 'postgres', driver: new PGliteDriver().driver, installExtensions: false,
      autoLoadEntities: true, migrations: SIGNING_AUTH_MIGRATIONS, migrationsRun: true }),
    // Offline: no DocSpring to check the token with when it is saved (verifyOnSave).
    SigningAuthModule.forRoot({ encryptionKeys: keys, verifyOnSave: false }),
  ],
})(AppModule);

const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
await app.get(ConnectionsService).upsert('acme', 'docspring', {
  config: { region: 'eu', tokenId: 'tok_9' }, secrets: { tokenSecret: 'sec_9' },
});
const authorization = await app.get(TokenService).getAuthorizationHeader('acme', 'docspring');
const health = (await app.get(SigningAuthHealthIndicator).isHealthy('db')).db.status;
await app.close();
let adminApi = 'no error';
try {
  SigningAuthModule.forRoot({ encryptionKeys: keys, adminApi: true, admin: { tokens: ['t'] } });
} catch (error) {
  adminApi = error.name + ': ' + error.message;
}
console.log(JSON.stringify({ authorization, health, adminApi }));
`;
