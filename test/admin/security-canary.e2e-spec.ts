import type { INestApplication, LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { firstValueFrom } from 'rxjs';
import { ConnectionsService, SigningAuthHttpService, SigningAuthModule, TokenService } from 'signing-auth';
import { startOAuth2Emulator, type OAuth2Emulator } from '../emulators/index.js';
import { everythingPrintable, rejectionOf } from '../http/http-test-app.js';
import { startRecordingServer, type RecordingServer } from '../support/recording-server.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { newKey } from '../support/test-keys.js';
import { AdminClient } from './admin-client.js';
import { ADMIN_TOKEN } from './admin-test-app.js';

const CLIENT_SECRET = 'CANARY-client-secret-5b1e';
const INTERNAL = 'INTERNAL-ONLY: db=10.0.0.5 user=svc_admin build=4711';

/** Every log line of both apps. */
class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];
  private add(level: string, message: unknown, rest: unknown[]): void {
    this.lines.push([level, String(message), ...rest.map(String)].join(' '));
  }
  log(m: unknown, ...r: unknown[]) {
    this.add('log', m, r);
  }
  error(m: unknown, ...r: unknown[]) {
    this.add('error', m, r);
  }
  warn(m: unknown, ...r: unknown[]) {
    this.add('warn', m, r);
  }
  debug(m: unknown, ...r: unknown[]) {
    this.add('debug', m, r);
  }
  verbose(m: unknown, ...r: unknown[]) {
    this.add('verbose', m, r);
  }
}

/**
 * Every path decision 008 added (host refusals, tenant-URL refusals at save and at connection time, capped and
 * sanitized provider answers, 415s, browser-bound callbacks), driven with canary secrets, and everything
 * the library lets out scanned: admin answers, lastError, thrown errors, log lines, events, metrics.
 */
describe('Canary scan over the security paths', () => {
  let db: TestDatabase;
  let dev: INestApplication;
  let prod: INestApplication;
  let oauth: OAuth2Emulator;
  let echo: RecordingServer;
  let internal: RecordingServer;
  let foreign: RecordingServer;
  const logger = new CapturingLogger();
  const events: string[] = [];
  const printed: string[] = [];
  const canaries = [
    CLIENT_SECRET,
    'INTERNAL-ONLY',
    'svc_admin',
    Buffer.from(`echo-client:${CLIENT_SECRET}`).toString('base64'),
  ];

  async function app(
    options: Record<string, unknown>,
  ): Promise<{ app: INestApplication; admin: AdminClient }> {
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot(db.options),
        SigningAuthModule.forRoot({
          encryptionKeys: [KEY],
          adminApi: true,
          admin: { tokens: [ADMIN_TOKEN] },
          sweep: { enabled: false },
          // These scans drive the refresh paths; saving goes through the same sanitizing client.
          verifyOnSave: false,
          observer: { onEvent: (name, payload) => events.push(`${name} ${JSON.stringify(payload)}`) },
          ...options,
        }),
      ],
    }).compile();
    const nest = moduleRef.createNestApplication({ logger });
    await nest.listen(0, '127.0.0.1');
    const { port } = nest.getHttpServer().address() as { port: number };
    return { app: nest, admin: new AdminClient(`http://127.0.0.1:${port}`, ADMIN_TOKEN) };
  }
  const KEY = newKey('k1');
  let devAdmin: AdminClient;
  let prodAdmin: AdminClient;

  beforeAll(async () => {
    db = await createTestDatabase();
    oauth = await startOAuth2Emulator({
      clients: [{ clientId: 'echo-client', secret: CLIENT_SECRET, allowedScopes: ['read'] }],
    });
    // A provider that echoes everything we send (headers and form) in an OAuth error description.
    echo = await startRecordingServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      res.writeHead(400, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          error: 'invalid_request',
          error_description: `you sent ${req.headers.authorization} ${body}`,
        }),
      );
    });
    internal = await startRecordingServer((_req, res) => res.writeHead(404).end(INTERNAL));
    foreign = await startRecordingServer();
    ({ app: dev, admin: devAdmin } = await app({ developmentMode: true }));
    ({ app: prod, admin: prodAdmin } = await app({ developmentMode: false, metrics: true }));
  });
  afterAll(async () => {
    await dev?.close();
    await prod?.close();
    await db?.close();
    await Promise.all([oauth, echo, internal, foreign].map((s) => s?.close()));
  });

  const oauth2 = (tokenUrl: string, extra: Record<string, unknown> = {}) => ({
    config: { tokenUrl, clientId: 'echo-client', grant: 'client_credentials', ...extra },
    secrets: { clientSecret: CLIENT_SECRET },
  });

  it('drives every new path', async () => {
    // A provider echoing the request: error code and a sanitized description, no credential in any form.
    await devAdmin.request('PUT', '/signing-auth/tenants/t-echo/connections/oauth2', {
      body: oauth2(`${echo.url}/token`),
    });
    const echoed = await devAdmin.request('POST', '/signing-auth/tenants/t-echo/connections/oauth2/refresh');
    expect(echoed.status).toBeGreaterThanOrEqual(400);
    expect(echoed.text).toContain('invalid_request');
    expect(echoed.text).toContain('[redacted]'); // the echoed Basic credential and secret
    await devAdmin.request('GET', '/signing-auth/tenants/t-echo/connections/oauth2');

    // Saved in development mode (loopback allowed), refreshed by a production replica: refused at connection time.
    await devAdmin.request('PUT', '/signing-auth/tenants/t-internal/connections/oauth2', {
      body: oauth2(`${internal.url}/internal/admin/reindex`),
    });
    const before = internal.requests.length;
    const refused = await prodAdmin.request(
      'POST',
      '/signing-auth/tenants/t-internal/connections/oauth2/refresh',
    );
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.text).toMatch(/resolves to a loopback address/);
    expect(internal.requests.length).toBe(before);
    const view = await prodAdmin.request('GET', '/signing-auth/tenants/t-internal/connections/oauth2');
    expect((view.json as { lastError: string }).lastError).toMatch(/resolves to a loopback address/);

    // Refused at save in production mode.
    const save = await prodAdmin.request('PUT', '/signing-auth/tenants/t-save/connections/oauth2', {
      body: oauth2(`${internal.url}/x`),
    });
    expect(save.status).toBe(400);

    // Host binding: a signed call to a foreign host, and one with no apiBaseUrls.
    await devAdmin.request('PUT', '/signing-auth/tenants/t-api/connections/oauth2', {
      body: oauth2(oauth.tokenUrl, { apiBaseUrls: [oauth.url] }),
    });
    const http = dev.get(SigningAuthHttpService);
    const hostError = await rejectionOf(() =>
      firstValueFrom(
        http.get(`${foreign.url}/steal`, { signingAuth: { tenantId: 't-api', provider: 'oauth2' } }),
      ),
    );
    printed.push(everythingPrintable(hostError));
    const token = (await dev.get(TokenService).getAccessToken('t-api', 'oauth2')).accessToken;
    canaries.push(token);
    expect(foreign.requests).toHaveLength(0);

    // Non-JSON body with the secret, and a browser-bound callback from another browser.
    const form = await fetch(`${devAdmin.baseUrl}/signing-auth/tenants/t-form/connections/oauth2`, {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: JSON.stringify(oauth2(oauth.tokenUrl)),
    });
    devAdmin.responses.push(await form.text());
    expect(form.status).toBe(415);

    // The service API too: the save-time refusal as an exception.
    const thrown = await rejectionOf(() =>
      prod.get(ConnectionsService).upsert('t-svc', 'oauth2', oauth2('https://169.254.169.254/token')),
    );
    printed.push(everythingPrintable(thrown));
  });

  it('finds no canary in admin answers, lastError, errors, logs, events or metrics', async () => {
    const { register } = await import('prom-client');
    const metrics = await register.metrics();
    const views = await Promise.all(
      ['t-echo', 't-internal', 't-api'].map((t) =>
        prodAdmin.request('GET', `/signing-auth/tenants/${t}/connections`),
      ),
    );
    const everything = {
      answers: [...devAdmin.responses, ...prodAdmin.responses, ...views.map((v) => v.text)].join('\n'),
      errors: printed.join('\n'),
      logs: logger.lines.join('\n'),
      events: events.join('\n'),
      metrics,
    };
    expect(events.length).toBeGreaterThan(0);
    expect(logger.lines.length).toBeGreaterThan(0);
    for (const [where, text] of Object.entries(everything)) {
      for (const canary of canaries) {
        if (text.includes(canary)) throw new Error(`${where} contains ${canary.slice(0, 12)}…`);
      }
    }
  });
});
