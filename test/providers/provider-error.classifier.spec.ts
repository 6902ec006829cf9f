import {
  classifyHttpFailure,
  parseProviderErrorBody,
  parseRetryAfter,
} from '../../libs/signing-auth/src/providers/shared/provider-error.classifier.js';

const ctx = { provider: 'p', tenantId: 't', operation: 'refresh', secrets: ['CANARY-SECRET-VALUE'] };
const now = new Date('2026-01-01T00:00:00Z');

describe('provider error classifier', () => {
  it('reads every provider error shape', () => {
    expect(
      parseProviderErrorBody({ error: 'invalid_grant', error_description: 'expired_client_token' }),
    ).toEqual({
      code: 'invalid_grant',
      description: 'expired_client_token',
    });
    expect(
      parseProviderErrorBody({
        type: 't',
        title: 'Invalid authentication token.',
        detail: 'd',
        code: 'invalid_token',
      }),
    ).toEqual({
      code: 'invalid_token',
      description: 'd',
    });
    expect(parseProviderErrorBody({ status: 'error', error: 'Invalid API token secret' })).toEqual({
      description: 'Invalid API token secret',
    });
    expect(parseProviderErrorBody('<html>')).toEqual({});
    expect(parseProviderErrorBody(null)).toEqual({});
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });

  it('maps grant loss, refused credentials, rate limits and outages', () => {
    const kind = (status: number, body: unknown) => classifyHttpFailure(ctx, { status, body }, now);
    expect(kind(400, { error: 'invalid_grant' }).kind).toBe('needs_reauth');
    expect(kind(400, { error: 'consent_required' }).kind).toBe('needs_reauth');
    expect(
      kind(400, { error: 'invalid_grant', error_description: 'unauthorized_client' }).details
        .credentialsRefused,
    ).toBe(true);
    expect(kind(401, { status: 'error', error: 'Invalid API token secret' }).details.credentialsRefused).toBe(
      true,
    );
    expect(kind(503, undefined).kind).toBe('transient');
    expect(kind(408, undefined).kind).toBe('transient');
    const limited = classifyHttpFailure(ctx, { status: 429, retryAfter: '5', body: undefined }, now);
    expect(limited).toMatchObject({
      kind: 'transient',
      details: { retryAfterMs: 5000, code: 'rate_limited' },
    });
    const echoed = kind(400, {
      error: 'invalid_grant',
      error_description: 'token CANARY-SECRET-VALUE is bad',
    });
    expect(echoed.message).not.toContain('CANARY-SECRET-VALUE');
    expect(echoed.message).toContain('tenant "t"');
  });

  describe('failure classes as the providers mean them (issue 11, defect 4)', () => {
    const headers = (h: Record<string, string>) => new Headers(h);
    const classify = (
      status: number,
      body: unknown,
      h: Record<string, string> = {},
      extra: Partial<typeof ctx> & { bearer?: boolean } = {},
    ) => classifyHttpFailure({ ...ctx, ...extra }, { status, body, headers: headers(h) }, now);

    it('a userinfo 401 is a bearer problem, transient, not "client refused"', () => {
      const failure = classify(
        401,
        { error: 'internal_server_error', reference_id: 'r' },
        {},
        { bearer: true },
      );
      expect(failure.kind).toBe('transient');
      expect(failure.details.credentialsRefused).toBeUndefined();
      expect(classify(401, undefined, {}, { bearer: true }).kind).toBe('transient');
    });

    it('a token endpoint 401 is the client refused only when the provider says so', () => {
      expect(classify(401, { error: 'invalid_client' }).details.credentialsRefused).toBe(true);
      expect(classify(401, undefined, { 'www-authenticate': 'Basic realm="oauth"' }).details).toMatchObject({
        credentialsRefused: true,
      });
      // An HTML 401 from a proxy in front of the provider: nothing to act on yet.
      expect(classify(401, undefined).kind).toBe('transient');
    });

    it('3xx, HTML and non-JSON answers are transient', () => {
      for (const status of [301, 302, 303, 307, 308]) {
        expect(classify(status, undefined, { location: 'https://login.example/' })).toMatchObject({
          kind: 'transient',
          details: { code: 'redirect' },
        });
      }
      expect(classify(403, undefined)).toMatchObject({
        kind: 'transient',
        details: { code: 'invalid_response' },
      });
      expect(classify(404, undefined).kind).toBe('transient');
    });

    it('rate limits: Retry-After, else X-RateLimit-Reset (epoch seconds); DocuSign limit codes on a 400', () => {
      const reset = String(Math.floor(now.getTime() / 1000) + 1800);
      expect(classify(429, undefined, { 'retry-after': '7' }).details.retryAfterMs).toBe(7000);
      expect(classify(429, undefined, { 'x-ratelimit-reset': reset }).details.retryAfterMs).toBe(1_800_000);
      const hourly = classify(
        400,
        {
          errorCode: 'HOURLY_APIINVOCATION_LIMIT_EXCEEDED',
          message: 'The maximum number of hourly API invocations has been exceeded.',
        },
        { 'x-ratelimit-reset': reset, 'x-ratelimit-remaining': '0' },
      );
      expect(hourly).toMatchObject({
        kind: 'transient',
        details: { code: 'HOURLY_APIINVOCATION_LIMIT_EXCEEDED', retryAfterMs: 1_800_000 },
      });
      expect(classify(400, { errorCode: 'BURST_APIINVOCATION_LIMIT_EXCEEDED' }).kind).toBe('transient');
      expect(
        classify(403, undefined, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset }).details
          .retryAfterMs,
      ).toBe(1_800_000);
    });

    it('5xx and temporarily_unavailable are transient, with Retry-After honoured', () => {
      expect(
        classify(503, { error: 'temporarily_unavailable' }, { 'retry-after': '12' }).details.retryAfterMs,
      ).toBe(12_000);
      expect(classify(400, { error: 'temporarily_unavailable' }).kind).toBe('transient');
      expect(classify(502, undefined).kind).toBe('transient');
    });

    it('needs_reauth for grant loss and refused clients, with the provider code', () => {
      expect(classify(400, { error: 'invalid_grant' })).toMatchObject({
        kind: 'needs_reauth',
        details: { code: 'invalid_grant' },
      });
      expect(classify(400, { error: 'unauthorized_client' }).details.credentialsRefused).toBe(true);
      expect(
        classify(400, { error: 'invalid_grant', error_description: 'no_valid_keys_or_signatures' }).details
          .credentialsRefused,
      ).toBe(true);
      expect(classify(401, { errorCode: 'PARTNER_AUTHENTICATION_FAILED' }).details.credentialsRefused).toBe(
        true,
      );
      expect(
        classify(401, { status: 'error', error: 'Could not find API token with ID: x' }).details
          .credentialsRefused,
      ).toBe(true);
      expect(classify(400, { error: 'invalid_scope' }).kind).toBe('needs_reauth');
    });
  });
});
