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
});
