import { startSignicatEmulator, type SignicatEmulator } from './index.js';
import { basic, getJson, postForm } from './spec-helpers.js';

describe('Signicat emulator', () => {
  let emu: SignicatEmulator;

  beforeAll(async () => {
    emu = await startSignicatEmulator({
      clients: [
        { clientId: 'exp', secret: 's1', generation: 'express', scopes: ['document_read', 'identify'] },
        { clientId: 'plat', secret: 's2', generation: 'platform', scopes: ['sign'] },
        { clientId: 'idfy', secret: 's3', generation: 'idfy', scopes: ['document_read'] },
      ],
    });
  });
  afterAll(() => emu.close());
  beforeEach(() => emu.reset());

  const express = (form: Record<string, string>, headers?: Record<string, string>) =>
    postForm(`${emu.url}/oauth/connect/token`, form, headers);
  const platform = (form: Record<string, string>, headers?: Record<string, string>) =>
    postForm(`${emu.url}/auth/open/connect/token`, form, headers);

  it('accepts client_secret_basic and client_secret_post on Express', async () => {
    const viaBasic = await express(
      { grant_type: 'client_credentials', scope: 'document_read' },
      { authorization: basic('exp', 's1') },
    );
    expect(viaBasic.body).toEqual({
      access_token: expect.any(String),
      expires_in: 3600,
      token_type: 'Bearer',
      scope: 'document_read',
    });
    const viaPost = await express({
      grant_type: 'client_credentials',
      scope: 'identify',
      client_id: 'exp',
      client_secret: 's1',
    });
    expect(viaPost.status).toBe(200);
    expect(viaPost.body.refresh_token).toBeUndefined();
  });

  it('rejects bad credentials and unconfigured scopes', async () => {
    expect(
      await express({ grant_type: 'client_credentials', client_id: 'exp', client_secret: 'x' }),
    ).toMatchObject({ status: 400, body: { error: 'invalid_client' } });
    expect((await express({ grant_type: 'client_credentials' })).body.error).toBe('invalid_client');
    expect(
      await express({
        grant_type: 'client_credentials',
        scope: 'document_write',
        client_id: 'exp',
        client_secret: 's1',
      }),
    ).toMatchObject({
      status: 400,
      body: { error: 'invalid_scope' },
    });
    // A platform client cannot use the Express endpoint and vice versa.
    expect(
      (await express({ grant_type: 'client_credentials', client_id: 'plat', client_secret: 's2' })).body
        .error,
    ).toBe('invalid_client');
    expect(
      (
        await platform({
          grant_type: 'client_credentials',
          scope: 'signicat-api',
          client_id: 'exp',
          client_secret: 's1',
        })
      ).body.error,
    ).toBe('invalid_client');
  });

  it('requires scope signicat-api on the platform and defaults to 600 s', async () => {
    expect(
      (
        await platform(
          { grant_type: 'client_credentials', scope: 'document_read' },
          { authorization: basic('plat', 's2') },
        )
      ).body.error,
    ).toBe('invalid_scope');
    const t = await platform(
      { grant_type: 'client_credentials', scope: 'signicat-api' },
      { authorization: basic('plat', 's2') },
    );
    expect(t.body).toMatchObject({ expires_in: 600, token_type: 'Bearer', scope: 'signicat-api' });
  });

  it('answers 401 for missing/expired tokens and 403 for a missing scope (Express)', async () => {
    const t = await express(
      { grant_type: 'client_credentials', scope: 'document_read' },
      { authorization: basic('exp', 's1') },
    );
    const bearer = { authorization: `Bearer ${t.body.access_token}` };
    expect((await getJson(`${emu.url}/signature/documents`, bearer)).status).toBe(200);
    expect((await getJson(`${emu.url}/signature/documents`, bearer, 'POST')).status).toBe(403);
    expect((await getJson(`${emu.url}/identification/v2/sessions`, bearer)).status).toBe(403);
    expect((await getJson(`${emu.url}/signature/documents`)).status).toBe(401);
    emu.advance(3600_000);
    expect(emu.isAccessTokenValid(String(t.body.access_token))).toBe(false);
    expect((await getJson(`${emu.url}/signature/documents`, bearer)).status).toBe(401);
  });

  it('uses the platform error object for 401 and 403', async () => {
    const limited = await startSignicatEmulator({
      clients: [{ clientId: 'p', secret: 's', generation: 'platform', scopes: ['info'] }],
    });
    try {
      const t = await postForm(`${limited.url}/auth/open/connect/token`, {
        grant_type: 'client_credentials',
        scope: 'signicat-api',
        client_id: 'p',
        client_secret: 's',
      });
      const bearer = { authorization: `Bearer ${t.body.access_token}` };
      expect((await getJson(`${limited.url}/info/lookup/x`, bearer)).status).toBe(200);
      const forbidden = await getJson(`${limited.url}/sign/documents`, bearer);
      expect(forbidden).toMatchObject({
        status: 403,
        body: { status: 403, code: expect.any(String), title: expect.any(String) },
      });
      expect(Object.keys(forbidden.body).sort()).toEqual([
        'code',
        'detail',
        'status',
        'title',
        'traceId',
        'type',
      ]);
      const unauth = await getJson(`${limited.url}/sign/documents`);
      expect(unauth.body).toMatchObject({
        status: 401,
        code: 'invalid_token',
        title: 'Invalid authentication token.',
      });
    } finally {
      await limited.close();
    }
  });

  it('serves Idfy on its own listener', async () => {
    const t = await postForm(`${emu.idfyUrl}/oauth/connect/token`, {
      grant_type: 'client_credentials',
      client_id: 'idfy',
      client_secret: 's3',
    });
    expect(t.body).toMatchObject({ expires_in: 3600, scope: 'document_read' });
    expect(
      (await getJson(`${emu.url}/signature/documents`, { authorization: `Bearer ${t.body.access_token}` }))
        .status,
    ).toBe(200);
    expect(emu.stats.tokenRequests).toBe(1);
    expect(emu.requests[0].listener).toBe('idfy');
  });
});
