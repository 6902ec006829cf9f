import fc from 'fast-check';
import { StaticTokenStrategy } from '../support/fake-strategy.js';
import { ADMIN_TOKEN, startAdminApp, type AdminTestApp } from './admin-test-app.js';
import { AdminClient } from './admin-client.js';

const RUNS = 5000;
const HOSTILE_RUNS = 1500;
/** Placed only where nothing may ever come back: secrets, unknown field names, broken or non-JSON bodies. */
const CANARY = 'CANARY-FUZZ-7f3a';

/**
 * Generated requests against one running app: whatever the path, body or credentials, the admin API
 * answers 2xx/3xx/4xx, never 5xx.
 */
describe('admin API under generated input', () => {
  let harness: AdminTestApp;
  let api: AdminClient;

  beforeAll(async () => {
    // Thousands of wrong tokens from one address: the guessing limit (guessing-limits.e2e-spec.ts) would
    // answer 429 to everything after the first few; this file is about what the handlers answer.
    harness = await startAdminApp({ strategies: [new StaticTokenStrategy()], admin: { rateLimit: false } });
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

  // Hostile encodings of the same requests: content types, the prefix in any case, deep nesting, huge
  // numbers, unicode; a canary where nothing may echo it. Zero 5xx, zero echoes.
  const contentType = fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'APPLICATION/JSON',
    'application/merge-patch+json',
    'application/x-www-form-urlencoded',
    'text/plain',
    'text/html',
    'application/xml',
    'multipart/form-data; boundary=zz',
    'application/octet-stream',
    'application/json; charset=latin1',
    'application/jsonx',
    '',
  );
  const prefix = fc.constantFrom('signing-auth', 'SIGNING-AUTH', 'Signing-Auth', 'sIgNiNg-aUtH');
  const provider = fc.constantFrom(
    'static-test',
    'docusign',
    'oauth2',
    'signicat',
    'docspring',
    'formstack-sign',
  );
  const unicode = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 12 }),
    fc.string({ unit: 'binary', maxLength: 12 }),
    fc.constantFrom('\u0000', '\u202e', '\ud800', '\uffff', '🔑🔑', 'é'.normalize('NFD'), '\\u0000'),
  );
  const hugeNumber = fc.constantFrom(
    '1e400',
    '-1e400',
    '123456789012345678901234567890',
    '1e-400',
    '-0',
    '0.0000000000000000000000001',
    '9007199254740993',
  );
  const nested = fc
    .tuple(fc.integer({ min: 1, max: 20_000 }), fc.boolean())
    .map(([depth, arrays]) =>
      arrays ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth),
    );
  const leaf = fc.oneof(
    hugeNumber,
    unicode.map((u) => JSON.stringify(u)),
    unicode.map((u) => `"${u}"`), // raw, possibly invalid JSON escapes
    nested,
  );
  const hostileBody = fc
    .tuple(leaf, leaf, fc.constantFrom('config', 'secrets', 'both', 'top', 'broken', 'form'))
    .map(([a, b, where]) => {
      const secrets = `{"clientSecret":"${CANARY}","${CANARY}-k":${b}}`;
      switch (where) {
        case 'config':
          return `{"config":{"clientId":"c","scopes":${a}},"secrets":${secrets}}`;
        case 'secrets':
          return `{"config":{"clientId":"c"},"secrets":{"clientSecret":${a},"x":"${CANARY}"}}`;
        case 'both':
          return `{"config":${a},"secrets":${secrets},"${CANARY}":${b}}`;
        case 'top':
          return `{"${CANARY} top":${a}}`;
        case 'broken':
          return `{"config":{"clientId":"c"},"secrets":{"clientSecret":${CANARY}${a}`;
        default:
          return `config[clientId]=c&secrets[clientSecret]=${CANARY}&x=${Buffer.from(a.slice(0, 50)).toString('hex')}`;
      }
    });
  const hostile = fc.record({
    method: fc.constantFrom('PUT', 'POST', 'PATCH'),
    prefix,
    tenant: fc.constantFrom('acme', 'tenant-1'),
    provider,
    tail: fc.constantFrom('', '/refresh', '/authorize'),
    contentType,
    body: hostileBody,
    authorized: fc.integer({ min: 0, max: 9 }).map((n) => n > 0),
  });

  it(`answers ${HOSTILE_RUNS} hostile encodings without a 5xx and never echoes the canary`, async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(hostile, async (r) => {
        const headers: Record<string, string> = {
          authorization: r.authorized ? `Bearer ${ADMIN_TOKEN}` : 'Bearer not-the-token',
        };
        if (r.contentType) headers['content-type'] = r.contentType;
        const url = `${harness.baseUrl}/${r.prefix}/tenants/${r.tenant}/connections/${r.provider}${r.tail}`;
        const res = await fetch(url, { method: r.method, headers, body: r.body });
        const text = await res.text();
        const seen = `${text}\n${JSON.stringify([...res.headers])}`;
        if (res.status >= 500)
          throw new Error(`${r.method} ${url} (${r.contentType}) → ${res.status}: ${text}`);
        if (seen.includes(CANARY) || seen.includes('CANARY'))
          throw new Error(`${r.method} ${url} (${r.contentType}) echoed the canary: ${text.slice(0, 300)}`);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      }),
      { numRuns: HOSTILE_RUNS },
    );
    const count = (status: number) => statuses.get(status) ?? 0;
    expect(count(415)).toBeGreaterThan(50);
    expect(count(400)).toBeGreaterThan(100);
    // A budget for 1500 sequential requests on a shared CI machine (about 30 s when it is idle), not a timing assertion.
  }, 180_000);
});
