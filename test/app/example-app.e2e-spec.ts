import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { runAppToExit, startApp, type AppProcess } from '../support/app-process.js';

/**
 * A bound on polling, not a timing assertion: the first start creates the embedded database, which took
 * 45–55 s on the shared 2-core machine at a load average of 14–23 (docs/reference/example-app.md).
 */
const STARTUP_WAIT_MS = 120_000;

/** /health can answer a moment before the banner is written: wait for it (bounded) instead of sleeping. */
async function waitForOutput(app: AppProcess, pattern: RegExp, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(app.output())) {
    if (Date.now() > deadline) throw new Error(`No ${pattern} in the output:\n${app.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return app.output();
}

describe('example app (npm start)', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'signing-auth-app-'));
  });

  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it(
    'starts with no environment on the embedded database, and a restart keeps its key and data',
    async () => {
      const started = Date.now();
      const first = await startApp({ SIGNING_AUTH_DATA_DIR: dataDir }, STARTUP_WAIT_MS);
      console.log(`example app answered /health ${Date.now() - started} ms after spawn (goal: 15000 ms)`);
      const admin = { authorization: '', 'content-type': 'application/json' };
      try {
        const health = await fetch(`${first.url}/health`);
        expect(health.status).toBe(200);
        expect(first.output()).toMatch(/Generated a DEVELOPMENT encryption key and admin token/);
        // The slow first step says what it is doing, and when it is done.
        expect(first.output()).toMatch(/Creating the embedded PostgreSQL database in .*first start only/);
        // ...from the repository's template of an empty cluster, not by initdb: when this fails after a
        // PGlite upgrade, run `npm run db:template` (docs/decisions/017-fast-first-start.md).
        expect(first.output()).toMatch(/from the repository template/);
        expect(first.output()).not.toMatch(/Creating the database by initdb/);
        expect(first.output()).toMatch(/Embedded database created in [\d.]+ s/);
        admin.authorization = `Bearer ${/Development admin token: ([A-Za-z0-9_-]+)/.exec(first.output())![1]}`;
        const put = await fetch(`${first.url}/signing-auth/tenants/acme/connections/docspring`, {
          method: 'PUT',
          headers: admin,
          body: JSON.stringify({
            config: { region: 'us', tokenId: 'tok_restart' },
            secrets: { tokenSecret: 'kept' },
          }),
        });
        expect(put.status).toBe(200);
      } finally {
        await first.stop();
      }
      const secretsAfterFirst = await readFile(join(dataDir, 'dev-secrets.json'), 'utf8');

      const second = await startApp({ SIGNING_AUTH_DATA_DIR: dataDir }, STARTUP_WAIT_MS);
      try {
        expect(second.output()).not.toMatch(/Generated a DEVELOPMENT encryption key/);
        expect(second.output()).not.toMatch(/Creating the embedded PostgreSQL database/);
        // The row survived, and its secret still decrypts with the key read back from .data/.
        const view = await fetch(`${second.url}/signing-auth/tenants/acme/connections/docspring`, {
          headers: admin,
        });
        expect(view.status).toBe(200);
        expect(await view.json()).toMatchObject({
          tenantId: 'acme',
          provider: 'docspring',
          config: { tokenId: 'tok_restart' },
        });
        const refreshed = await fetch(
          `${second.url}/signing-auth/tenants/acme/connections/docspring/refresh`,
          {
            method: 'POST',
            headers: admin,
          },
        );
        // The secret decrypted with the key read back: the refresh got as far as asking DocSpring. The
        // made-up token was saved without DocSpring's yes (no network here, or DocSpring refuses it), so
        // the refresh re-runs the check and it never turns active (decision 028).
        expect([409, 502]).toContain(refreshed.status);
        expect(((await refreshed.json()) as { message: string }).message).toMatch(
          /docspring authentication check for tenant "acme"/,
        );
      } finally {
        await second.stop();
      }
      expect(await readFile(join(dataDir, 'dev-secrets.json'), 'utf8')).toBe(secretsAfterFirst);
    },
    2 * STARTUP_WAIT_MS + 30_000,
  );

  it(
    'ends its start-up output with what to open and what to paste, and sends / to the Connect page',
    async () => {
      const app = await startApp({ SIGNING_AUTH_DATA_DIR: dataDir }, STARTUP_WAIT_MS);
      try {
        const port = new URL(app.url).port;
        const banner = await waitForOutput(app, /Development admin token: ([A-Za-z0-9_-]+)/);
        const token = /Development admin token: ([A-Za-z0-9_-]+)/.exec(banner)![1];
        const saved = JSON.parse(await readFile(join(dataDir, 'dev-secrets.json'), 'utf8')) as {
          adminToken: string;
        };
        expect(token).toBe(saved.adminToken);
        // The banner is the last screen: nothing (such as Nest's route listing) follows or floods it.
        const lastLines = banner.trimEnd().split('\n').slice(-12).join('\n');
        expect(lastLines).toContain(`Connect page   http://localhost:${port}/signing-auth/connect/`);
        expect(lastLines).toContain(`API docs       http://localhost:${port}/docs`);
        expect(lastLines).toContain(`Health         http://localhost:${port}/health`);
        expect(lastLines).toContain(join(dataDir, 'dev-secrets.json'));
        expect(banner).not.toMatch(/Mapped \{/);
        expect(banner.split('\n').length).toBeLessThan(30);

        const root = await fetch(`${app.url}/`, { redirect: 'manual' });
        expect(root.status).toBe(302);
        expect(root.headers.get('location')).toBe('/signing-auth/connect/');
        // The library's page (connectPage: true), the only copy.
        const page = await fetch(`${app.url}/signing-auth/connect/`);
        expect((await fetch(`${app.url}/connect/`)).status).toBe(404);
        expect(page.status).toBe(200);
        expect(await page.text()).toContain('<html');
        // The token the banner shows opens the admin API.
        const list = await fetch(`${app.url}/signing-auth/tenants/acme/connections`, {
          headers: { authorization: `Bearer ${token}` },
        });
        expect(list.status).toBe(200);
      } finally {
        await app.stop();
      }
    },
    2 * STARTUP_WAIT_MS + 30_000,
  );

  it(
    'names the admin token variable instead of a token when the token comes from the environment',
    async () => {
      const app = await startApp(
        { SIGNING_AUTH_DATA_DIR: dataDir, SIGNING_AUTH_ADMIN_TOKENS: 'env-token-not-printed' },
        STARTUP_WAIT_MS,
      );
      try {
        const banner = await waitForOutput(app, /Admin token +the one you set in SIGNING_AUTH_ADMIN_TOKENS/);
        expect(banner).not.toContain('env-token-not-printed');
        expect(banner).not.toMatch(/Development admin token/);
      } finally {
        await app.stop();
      }
    },
    2 * STARTUP_WAIT_MS + 30_000,
  );

  it(
    'refuses to start in production without explicit keys and admin tokens, naming both variables',
    async () => {
      const { code, output } = await runAppToExit({ NODE_ENV: 'production', SIGNING_AUTH_DATA_DIR: dataDir });
      expect(code).not.toBe(0);
      expect(output).toContain('SIGNING_AUTH_ENCRYPTION_KEYS');
      expect(output).toContain('SIGNING_AUTH_ADMIN_TOKENS');
    },
    2 * STARTUP_WAIT_MS + 30_000,
  );

  it(
    'starts in production when both are set, and never prints them',
    async () => {
      const key = randomBytes(32).toString('base64');
      const token = randomBytes(16).toString('hex');
      const app = await startApp(
        {
          NODE_ENV: 'production',
          SIGNING_AUTH_DATA_DIR: join(dataDir, 'prod'),
          SIGNING_AUTH_ENCRYPTION_KEYS: `prod1:${key}`,
          SIGNING_AUTH_ADMIN_TOKENS: token,
        },
        STARTUP_WAIT_MS,
      );
      try {
        expect((await fetch(`${app.url}/health`)).status).toBe(200);
        expect(app.output()).not.toContain(key);
        expect(app.output()).not.toContain(token);
      } finally {
        await app.stop();
      }
    },
    2 * STARTUP_WAIT_MS + 30_000,
  );

  it('rejects a malformed variable with a message naming it', async () => {
    const { code, output } = await runAppToExit({ SIGNING_AUTH_DATA_DIR: dataDir, PORT: 'eighty' });
    expect(code).not.toBe(0);
    expect(output).toContain('PORT must be an integer');
  });
});
