import { execFileSync } from 'node:child_process';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * The npm tarball is what users install: this test packs it, unpacks it into a fresh app folder (peers
 * linked from this repository instead of downloaded, so it needs no network), and boots a Nest app that
 * imports `signing-auth` exactly as the README shows — catching files missing from the package, broken
 * `exports`, or imports of packages the package does not declare.
 */
describe('the packed library', () => {
  let appDir: string;

  beforeAll(async () => {
    appDir = await mkdtemp(join(tmpdir(), 'signing-auth-consumer-'));
  });

  afterAll(async () => {
    await rm(appDir, { recursive: true, force: true });
  });

  it('installs from its tarball and works in a fresh app', async () => {
    const repo = resolve('.');
    const out = execFileSync(
      'npm',
      ['pack', '--json', '--pack-destination', appDir, '-w', 'libs/signing-auth'],
      {
        encoding: 'utf8',
        env: { ...process.env, npm_config_loglevel: 'silent' },
      },
    );
    const [{ filename, files }] = JSON.parse(out) as Array<{
      filename: string;
      files: Array<{ path: string }>;
    }>;
    const paths = files.map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining(['dist/index.js', 'dist/index.d.ts', 'README.md', 'package.json']),
    );
    expect(paths.some((p) => p.endsWith('.spec.js') || p.startsWith('src/'))).toBe(false);

    const modules = join(appDir, 'node_modules');
    await mkdir(join(modules, 'signing-auth'), { recursive: true });
    execFileSync('tar', [
      '-xzf',
      join(appDir, filename),
      '-C',
      join(modules, 'signing-auth'),
      '--strip-components=1',
    ]);
    const pkg = (await import(join(repo, 'libs/signing-auth/package.json'), { with: { type: 'json' } }))
      .default as {
      dependencies: Record<string, string>;
      peerDependencies: Record<string, string>;
    };
    // Exactly the declared dependencies and peers, plus what the consumer app itself uses.
    const linked = [
      ...Object.keys(pkg.dependencies),
      ...Object.keys(pkg.peerDependencies),
      '@nestjs/platform-express',
      '@electric-sql/pglite',
      'typeorm-pglite',
    ];
    for (const name of linked) {
      await mkdir(join(modules, name, '..'), { recursive: true });
      await symlink(join(repo, 'node_modules', name), join(modules, name), 'dir');
    }
    await writeFile(join(appDir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
    await writeFile(
      join(appDir, 'main.js'),
      `import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PGliteDriver } from 'typeorm-pglite';
import { randomBytes } from 'node:crypto';
import { SigningAuthModule, SIGNING_AUTH_MIGRATIONS, ConnectionsService, TokenService } from 'signing-auth';

class AppModule {}
Module({
  imports: [
    TypeOrmModule.forRoot({ type: 'postgres', driver: new PGliteDriver().driver, installExtensions: false,
      autoLoadEntities: true, migrations: SIGNING_AUTH_MIGRATIONS, migrationsRun: true }),
    // Offline: no DocSpring to check the token with when it is saved (verifyOnSave).
    SigningAuthModule.forRoot({ encryptionKeys: 'k1:' + randomBytes(32).toString('base64'), verifyOnSave: false }),
  ],
})(AppModule);

const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
await app.get(ConnectionsService).upsert('acme', 'docspring', {
  config: { region: 'eu', tokenId: 'tok_123' }, secrets: { tokenSecret: 'sec_456' },
});
console.log(await app.get(TokenService).getAuthorizationHeader('acme', 'docspring'));
await app.close();
`,
    );
    const printed = execFileSync(process.execPath, ['main.js'], { cwd: appDir, encoding: 'utf8' }).trim();
    expect(printed).toBe(`Basic ${Buffer.from('tok_123:sec_456').toString('base64')}`);
  }, 120_000);
});
