import fc from 'fast-check';
import { StaticTokenStrategy } from '../support/fake-strategy.js';
import { ADMIN_TOKEN, startAdminApp, type AdminTestApp } from './admin-test-app.js';
import { AdminClient } from './admin-client.js';

const RUNS = 5000;

/**
 * Generated requests against one running app: whatever the path, body or credentials, the admin API
 * answers 2xx/3xx/4xx, never 5xx.
 */
describe('admin API under generated input', () => {
  let harness: AdminTestApp;
  let api: AdminClient;

  beforeAll(async () => {
    harness = await startAdminApp({ strategies: [new StaticTokenStrategy()] });
    api = new AdminClient(harness.baseUrl, ADMIN_TOKEN);
  });

  afterAll(() => harness?.close());

  const weirdText = fc.oneof(
    fc.string({ maxLength: 30 }),
    fc.string({ unit: 'grapheme', maxLength: 10 }),
    fc.constantFrom(
      '',
      '.',
      '..',
      '%',
      '%zz',
      '%00',
      'a%2Fb',
      '-x',
      'x'.repeat(250),
      '__proto__',
      'constructor',
    ),
  );
  const segment = fc.oneof(
    fc.constantFrom('acme', 'tenant-1', 'static-test', 'docusign', 'oauth2', 'nope'),
    weirdText.map((s) => encodeURIComponent(s)),
    weirdText.map((s) => s.replace(/[/?#\s]/g, '')),
  );
  const path = fc.oneof(
    fc
      .tuple(segment, segment, fc.constantFrom('', '/refresh', '/authorize', '/x'))
      .map(([tenant, provider, tail]) => `/signing-auth/tenants/${tenant}/connections/${provider}${tail}`),
    segment.map((tenant) => `/signing-auth/tenants/${tenant}/connections`),
    fc
      .tuple(segment, segment)
      .map(([tenant, id]) => `/signing-auth/tenants/${tenant}/docspring/data-requests/${id}/tokens`),
    fc
      .tuple(segment, weirdText, weirdText)
      .map(
        ([provider, code, state]) =>
          `/signing-auth/oauth/${provider}/callback?code=${encodeURIComponent(code)}&state=${encodeURIComponent(state)}`,
      ),
    fc.webPath().map((p) => `/signing-auth${p}`),
  );
  const secretsValue = fc.oneof(fc.string({ maxLength: 20 }), fc.jsonValue({ maxDepth: 2 }));
  const plausible = fc.record({
    config: fc.record({ clientId: fc.string({ minLength: 1, maxLength: 20 }) }),
    secrets: fc.record({ clientSecret: fc.string({ minLength: 1, maxLength: 20 }) }),
  });
  const body = fc.oneof(
    plausible,
    fc.record(
      {
        config: fc.oneof(
          fc.dictionary(fc.constantFrom('clientId', 'grant', 'x'), fc.jsonValue({ maxDepth: 2 })),
          fc.jsonValue({ maxDepth: 2 }),
        ),
        secrets: fc.oneof(
          fc.dictionary(fc.constantFrom('clientSecret', 'y'), secretsValue),
          fc.jsonValue({ maxDepth: 2 }),
        ),
        type: fc.constantFrom('api', 'email', 'other', 1),
      },
      { requiredKeys: [] },
    ),
    fc.jsonValue({ maxDepth: 3 }),
  );
  const request = fc.record({
    method: fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'PATCH'),
    path,
    body: fc.option(
      fc.oneof(
        body.map((b) => ({ body: b })),
        fc.string({ maxLength: 40 }).map((raw) => ({ raw })),
      ),
      {
        nil: undefined,
      },
    ),
    authorized: fc.integer({ min: 0, max: 9 }).map((n) => n > 0),
  });

  it(`answers ${RUNS} generated requests without a 5xx`, async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(request, async ({ method, path, body, authorized }) => {
        const res = await api.request(method, path, {
          ...(body ?? {}),
          authorization: authorized ? undefined : 'Bearer not-the-token',
        });
        if (res.status >= 500) throw new Error(`${method} ${path} → ${res.status}: ${res.text}`);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      }),
      { numRuns: RUNS },
    );
    // The generator must reach the handlers, not only the guard and the router.
    const count = (status: number) => statuses.get(status) ?? 0;
    expect(count(200) + count(204)).toBeGreaterThan(30);
    expect(count(400)).toBeGreaterThan(500);
  });
});
