import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SigningAuthModule } from 'signing-auth';
import { DOCS_CONTENT_SECURITY_POLICY, setupSwagger } from '../../src/docs/swagger.js';
import { startDocSpringEmulator, type DocSpringEmulator } from '../emulators/index.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { newKey } from '../support/test-keys.js';
import { ADMIN_TOKEN, startAdminApp, type AdminTestApp } from './admin-test-app.js';
import { AdminClient } from './admin-client.js';

/**
 * Every admin answer (success, error, body-parser failure, the DocSpring token answer that
 * holds a secret, the OAuth callback) says `Cache-Control: no-store`; Swagger UI at /docs, on the origin
 * whose session storage holds the admin token, has a Content-Security-Policy.
 */
describe('admin answers are never cached', () => {
  let emu: DocSpringEmulator;
  let t: AdminTestApp;
  let admin: AdminClient;

  beforeAll(async () => {
    emu = await startDocSpringEmulator({
      apiTokens: [{ id: 'tok_1', secret: 'docspring-secret-0123' }],
      dataRequests: ['drq_123'],
    });
    t = await startAdminApp({ hosts: { docspringApiUrl: emu.url } });
    admin = new AdminClient(t.baseUrl, ADMIN_TOKEN);
    const saved = await admin.request('PUT', '/signing-auth/tenants/acme/connections/docspring', {
      body: { config: { region: 'us', tokenId: 'tok_1' }, secrets: { tokenSecret: 'docspring-secret-0123' } },
    });
    expect(saved.status).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
    await emu?.close();
  });

  it.each([
    ['a view (200)', 'GET', '/signing-auth/tenants/acme/connections/docspring', {}, 200],
    ['a list (200)', 'GET', '/signing-auth/tenants/acme/connections', {}, 200],
    [
      'the DocSpring data-request token (201, holds a secret)',
      'POST',
      '/signing-auth/tenants/acme/docspring/data-requests/drq_123/tokens',
      { body: { type: 'api' } },
      201,
    ],
    ['no credentials (401)', 'GET', '/signing-auth/tenants/acme/connections', { authorization: null }, 401],
    [
      'a wrong token (401)',
      'GET',
      '/signing-auth/tenants/acme/connections',
      { authorization: 'Bearer wrong-token-wrong-token-wrong-token' },
      401,
    ],
    ['no such connection (404)', 'GET', '/signing-auth/tenants/acme/connections/oauth2', {}, 404],
    [
      'bad input (400)',
      'PUT',
      '/signing-auth/tenants/acme/connections/docspring',
      { body: { config: 1 } },
      400,
    ],
    [
      'malformed JSON (400, before routing)',
      'PUT',
      '/signing-auth/tenants/acme/connections/docspring',
      { raw: '{"config":' },
      400,
    ],
    [
      'a callback with an unknown state (400)',
      'GET',
      '/signing-auth/oauth/docusign/callback?code=c&state=s',
      { authorization: null },
      400,
    ],
  ] as const)('%s: Cache-Control: no-store', async (_what, method, path, options, status) => {
    const res = await admin.request(method, path, options);
    expect(res.status).toBe(status);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });
});

describe('/docs (Swagger UI) has a Content-Security-Policy', () => {
  @Controller()
  class NothingController {
    @Get('nothing')
    nothing(): string {
      return '';
    }
  }
  @Module({ controllers: [NothingController] })
  class DocsHostModule {}

  let app: INestApplication;
  let db: TestDatabase;
  let base: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot(db.options),
        SigningAuthModule.forRoot({
          encryptionKeys: [newKey('k1')],
          adminApi: true,
          admin: { tokens: [ADMIN_TOKEN] },
        }),
        DocsHostModule,
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: ['error'] });
    setupSwagger(app);
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it.each(['/docs', '/docs/', '/docs/swagger-ui-init.js', '/docs-json'])('%s', async (path) => {
    const res = await fetch(`${base}${path}`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toBe(DOCS_CONTENT_SECURITY_POLICY);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it("the page's scripts are all its own files (so script-src 'self' does not break it)", async () => {
    const html = await (await fetch(`${base}/docs`)).text();
    const inline = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)].filter(
      ([, attrs, body]) => !/src=/.test(attrs ?? '') && (body ?? '').trim() !== '',
    );
    expect(inline).toHaveLength(0);
  });
});
