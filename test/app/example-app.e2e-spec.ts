import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { runAppToExit, startApp } from '../support/app-process.js';

describe('example app (npm start)', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'signing-auth-app-'));
  });

  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('starts with no environment on the embedded database, and a restart keeps its key and data', async () => {
    const first = await startApp({ SIGNING_AUTH_DATA_DIR: dataDir });
    try {
      const health = await fetch(`${first.url}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok' });
      expect(first.output()).toMatch(/Generated a DEVELOPMENT encryption key and admin token/);
      expect(first.output()).toMatch(/Development admin token: \S+/);
    } finally {
      await first.stop();
    }
    const secretsAfterFirst = await readFile(join(dataDir, 'dev-secrets.json'), 'utf8');

    const second = await startApp({ SIGNING_AUTH_DATA_DIR: dataDir });
    try {
      expect((await fetch(`${second.url}/health`)).status).toBe(200);
      expect(second.output()).not.toMatch(/Generated a DEVELOPMENT encryption key/);
    } finally {
      await second.stop();
    }
    expect(await readFile(join(dataDir, 'dev-secrets.json'), 'utf8')).toBe(secretsAfterFirst);
  });

  it('refuses to start in production without explicit keys and admin tokens, naming both variables', async () => {
    const { code, output } = await runAppToExit({ NODE_ENV: 'production', SIGNING_AUTH_DATA_DIR: dataDir });
    expect(code).not.toBe(0);
    expect(output).toContain('SIGNING_AUTH_ENCRYPTION_KEYS');
    expect(output).toContain('SIGNING_AUTH_ADMIN_TOKENS');
  });

  it('starts in production when both are set, and never prints them', async () => {
    const key = randomBytes(32).toString('base64');
    const token = randomBytes(16).toString('hex');
    const app = await startApp({
      NODE_ENV: 'production',
      SIGNING_AUTH_DATA_DIR: join(dataDir, 'prod'),
      SIGNING_AUTH_ENCRYPTION_KEYS: `prod1:${key}`,
      SIGNING_AUTH_ADMIN_TOKENS: token,
    });
    try {
      expect((await fetch(`${app.url}/health`)).status).toBe(200);
      expect(app.output()).not.toContain(key);
      expect(app.output()).not.toContain(token);
    } finally {
      await app.stop();
    }
  });

  it('rejects a malformed variable with a message naming it', async () => {
    const { code, output } = await runAppToExit({ SIGNING_AUTH_DATA_DIR: dataDir, PORT: 'eighty' });
    expect(code).not.toBe(0);
    expect(output).toContain('PORT must be an integer');
  });
});
