import fc from 'fast-check';
import { StaticTokenStrategy } from '../support/fake-strategy.js';
import { ADMIN_TOKEN, startAdminApp, type AdminTestApp } from './admin-test-app.js';
import { AdminClient } from './admin-client.js';

interface ErrorBody {
  statusCode: number;
  message: string;
  errors?: { field?: unknown; message?: unknown }[];
}

const RESERVED = ['__proto__', 'constructor', 'prototype'] as const;

/**
 * A body with `__proto__` (or `constructor`, `prototype`) at any depth is refused with a
 * 400 that names the field; before, `Object.assign` let `__proto__` replace the DTO's prototype and the
 * answer read "undefined: an unknown value…" with no `field`.
 */
describe('prototype keys in admin bodies', () => {
  let harness: AdminTestApp;
  let api: AdminClient;

  beforeAll(async () => {
    harness = await startAdminApp({ strategies: [new StaticTokenStrategy()] });
    api = new AdminClient(harness.baseUrl, ADMIN_TOKEN);
  });
  afterAll(() => harness?.close());

  function expectNamedRefusal(body: ErrorBody, status: number, reservedKey: string): void {
    expect(status).toBe(400);
    expect(body.message).not.toMatch(/undefined/);
    expect(body.errors?.length).toBeGreaterThan(0);
    for (const problem of body.errors ?? []) {
      expect(typeof problem.field).toBe('string');
      expect(problem.field).not.toBe('undefined');
    }
    expect(body.errors?.some((p) => String(p.field).endsWith(reservedKey))).toBe(true);
  }

  it.each([
    ['top level', '{"__proto__":{"config":{},"secrets":{}},"config":{},"secrets":{}}', '__proto__'],
    ['in config', '{"config":{"__proto__":{"x":1}},"secrets":{"token":"t"}}', 'config.__proto__'],
    [
      'deep in secrets',
      '{"config":{},"secrets":{"a":{"b":{"constructor":{"prototype":1}}}}}',
      'secrets.a.b.constructor',
    ],
    ['in a list', '{"config":{"scopes":[{"prototype":1}]},"secrets":{}}', 'config.scopes[0].prototype'],
  ])('PUT with a reserved key %s → 400 naming the field', async (_where, raw, field) => {
    const res = await api.request('PUT', '/signing-auth/tenants/acme/connections/static-test', { raw });
    const body = res.json as ErrorBody;
    expectNamedRefusal(
      body,
      res.status,
      field
        .split('.')
        .pop()!
        .replace(/^.*\]\./, ''),
    );
    expect(body.errors?.map((p) => p.field)).toContain(field);
  });

  it('the DocSpring token body too', async () => {
    const res = await api.request('POST', '/signing-auth/tenants/acme/docspring/data-requests/drq_1/tokens', {
      raw: '{"__proto__":{"type":"api"}}',
    });
    expectNamedRefusal(res.json as ErrorBody, res.status, '__proto__');
  });

  /** A JSON text with a reserved key under a path of ordinary names (within the 10-level limit), anywhere. */
  const bodyWithReservedKey = fc
    .record({
      reserved: fc.constantFrom(...RESERVED),
      where: fc.constantFrom('body', 'config', 'secrets'),
      path: fc.array(fc.stringMatching(/^[a-z][a-zA-Z0-9]{0,8}$/), { maxLength: 5 }),
      inner: fc.jsonValue({ maxDepth: 1 }),
      inList: fc.boolean(),
    })
    .map(({ reserved, where, path, inner, inList }) => {
      let node = `{${JSON.stringify(reserved)}:${JSON.stringify(inner) ?? 'null'}}`;
      // A list needs a key to sit under at the top of the body.
      if (inList && (where !== 'body' || path.length > 0)) node = `[${node}]`;
      for (const key of [...path].reverse()) node = `{${JSON.stringify(key)}:${node}}`;
      const raw =
        where === 'body'
          ? `{"config":{},"secrets":{},${node.slice(1)}`
          : where === 'config'
            ? `{"config":${node},"secrets":{"token":"t"}}`
            : `{"config":{},"secrets":${node}}`;
      return { raw, reserved };
    });

  it('property: any reserved key at any depth → 400, every problem names a field, never "undefined"', async () => {
    await fc.assert(
      fc.asyncProperty(bodyWithReservedKey, async ({ raw, reserved }) => {
        const res = await api.request('PUT', '/signing-auth/tenants/acme/connections/static-test', { raw });
        expectNamedRefusal(res.json as ErrorBody, res.status, reserved);
      }),
      { numRuns: 300 },
    );
  });
});
