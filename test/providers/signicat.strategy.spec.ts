import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { SigningAuthStrategy } from 'signing-auth';
import { startSignicatEmulator, type SignicatEmulator } from '../emulators/index.js';
import { builtInStrategy, connectionFor, context, expectNoSecrets, failureOf } from './strategy-test-kit.js';

const SECRET = 'CANARY-signicat-secret-0123456789';

describe('Signicat strategy against the emulator', () => {
  let emu: SignicatEmulator;
  let strategy: SigningAuthStrategy;

  const conn = (clientId: string, generation: string, extra: Record<string, unknown> = {}) =>
    connectionFor(strategy, {
      config: { clientId, generation, ...extra },
      secrets: { clientSecret: SECRET },
    });

  beforeAll(async () => {
    emu = await startSignicatEmulator({
      strictHosts: true,
      clients: [
        {
          clientId: 'express-client',
          secret: SECRET,
          generation: 'express',
          scopes: ['document_read', 'document_write'],
        },
        { clientId: 'platform-client', secret: SECRET, generation: 'platform', scopes: ['sign'] },
        { clientId: 'idfy-client', secret: SECRET, generation: 'idfy', scopes: ['document_read'] },
      ],
    });
    strategy = builtInStrategy('signicat', { signicatUrl: emu.url, signicatIdfyUrl: emu.idfyUrl });
  });
  afterEach(() => emu.clearFailures());
  afterAll(() => emu.close());

  it('validates: generation enum, scopes required except on the platform, clientAuth enum', () => {
    expect(() =>
      strategy.validate({
        config: { clientId: 'c', generation: 'v2', scopes: ['a'] },
        secrets: { clientSecret: 's' },
      }),
    ).toThrow(expect.objectContaining({ field: 'config.generation' }));
    expect(() =>
      strategy.validate({ config: { clientId: 'c', generation: 'express' }, secrets: { clientSecret: 's' } }),
    ).toThrow(expect.objectContaining({ field: 'config.scopes' }));
    expect(() =>
      strategy.validate({
        config: { clientId: 'c', generation: 'platform', clientAuth: 'jwt' },
        secrets: { clientSecret: 's' },
      }),
    ).toThrow(expect.objectContaining({ field: 'config.clientAuth' }));
    expect(
      strategy.validate({ config: { clientId: 'c', generation: 'platform' }, secrets: { clientSecret: 's' } })
        .scopes,
    ).toEqual(['signicat-api']);
  });

  it('platform: the scope is always signicat-api; any other scope is a 400 naming config.scopes and the rule', async () => {
    const platform = (scopes: unknown) =>
      strategy.validate({
        config: { clientId: 'c', generation: 'platform', scopes },
        secrets: { clientSecret: 's' },
      });
    expect(() => platform(['document_read'])).toThrow(
      expect.objectContaining({
        field: 'config.scopes',
        message: expect.stringMatching(/platform generation.*always "signicat-api".*Dashboard/),
      }),
    );
    expect(() => platform(['signicat-api', 'sign'])).toThrow(
      expect.objectContaining({ field: 'config.scopes' }),
    );
    expect(platform(['signicat-api']).scopes).toEqual(['signicat-api']);
    expect(platform([]).scopes).toEqual(['signicat-api']);

    // A row stored before the rule (scopes the platform never accepts) still sends signicat-api.
    const stored = conn('platform-client', 'platform');
    await strategy.refresh({ ...stored, config: { ...stored.config, scopes: ['document_read'] } }, context());
    expect(emu.requests.at(-1)!.body).toMatchObject({ scope: 'signicat-api' });
  });

  it('Express: space-delimited scopes with Basic auth; the 3600 s token', async () => {
    const now = new Date();
    const grant = await strategy.refresh(
      conn('express-client', 'express', { scopes: ['document_read', 'document_write'] }),
      context(now),
    );
    expect(grant).toMatchObject({
      tokenType: 'Bearer',
      refreshToken: null,
      scopes: ['document_read', 'document_write'],
    });
    expect(grant.expiresAt?.getTime()).toBe(now.getTime() + 3_600_000);
    const req = emu.requests.at(-1)!;
    expect(req.path).toBe('/oauth/connect/token');
    expect(req.body).toMatchObject({
      grant_type: 'client_credentials',
      scope: 'document_read document_write',
    });
    expect(req.headers.authorization).toMatch(/^Basic /);
    expect(req.body).not.toHaveProperty('client_secret');
  });

  it('platform: scope signicat-api on /auth/open/connect/token, 600 s tokens, client_secret_post', async () => {
    const now = new Date();
    const grant = await strategy.refresh(
      conn('platform-client', 'platform', { clientAuth: 'post' }),
      context(now),
    );
    expect(grant.expiresAt?.getTime()).toBe(now.getTime() + 600_000);
    const req = emu.requests.at(-1)!;
    expect(req.path).toBe('/auth/open/connect/token');
    expect(req.body).toMatchObject({
      scope: 'signicat-api',
      client_id: 'platform-client',
      client_secret: SECRET,
    });
    expect(req.headers.authorization).toBeUndefined();
  });

  it('idfy: its own host, and a deprecation warning once per connection', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const idfy = conn('idfy-client', 'idfy', { scopes: ['document_read'] });
      await strategy.refresh(idfy, context());
      await strategy.refresh(idfy, context());
      expect(emu.requests.at(-1)!.listener).toBe('idfy');
      const deprecations = warn.mock.calls.filter(([m]) => String(m).includes('deprecated Idfy'));
      expect(deprecations).toHaveLength(1);
      await strategy.refresh({ ...idfy, tenantId: 'tenant-2' }, context());
      expect(warn.mock.calls.filter(([m]) => String(m).includes('deprecated Idfy'))).toHaveLength(2);
    } finally {
      warn.mockRestore();
    }
  });

  it('bad credentials and a scope the client lacks are needs_reauth; the secret never shows', async () => {
    const bad = await failureOf(() =>
      strategy.refresh(
        {
          ...conn('express-client', 'express', { scopes: ['document_read'] }),
          secrets: { clientSecret: 'wrong-one' },
        },
        context(),
      ),
    );
    expect(bad).toMatchObject({
      kind: 'needs_reauth',
      details: { code: 'invalid_client', credentialsRefused: true },
    });
    const scope = await failureOf(() =>
      strategy.refresh(conn('express-client', 'express', { scopes: ['identify'] }), context()),
    );
    expect(scope).toMatchObject({ kind: 'needs_reauth', details: { code: 'invalid_scope' } });
    expect(scope.message).toMatch(
      /refused the scopes requested \(scopes asked: identify\); the client's configuration at signicat must allow them/,
    );
    expect(scope.message).not.toMatch(/refused the (client )?credentials/);
    expectNoSecrets(bad, [SECRET, 'wrong-one']);
  });

  it('parses the platform problem body and handles 429 / timeouts as transient', async () => {
    const platform = conn('platform-client', 'platform');
    emu.failNext({
      status: 403,
      body: {
        type: 'x',
        title: 'Forbidden.',
        detail: `no permission ${SECRET}`,
        code: 'insufficient_permissions',
        status: 403,
      },
    });
    const forbidden = await failureOf(() => strategy.refresh(platform, context()));
    expect(forbidden).toMatchObject({
      kind: 'needs_reauth',
      details: { code: 'insufficient_permissions', httpStatus: 403 },
    });
    expect(forbidden.details.description).toContain('[redacted]');
    expectNoSecrets(forbidden, [SECRET]);

    emu.failNext({ status: 429, retryAfterSeconds: 12 });
    expect(await failureOf(() => strategy.refresh(platform, context()))).toMatchObject({
      details: { retryAfterMs: 12_000 },
    });

    const controller = new AbortController();
    emu.failNext({ delayMs: 1000 });
    setTimeout(() => controller.abort(), 50);
    expect(
      (await failureOf(() => strategy.refresh(platform, context(new Date(), controller.signal)))).kind,
    ).toBe('transient');
  });
});
