import fc from 'fast-check';
import { boundedGrant, MAX_ACCESS_TOKEN_LIFETIME_MS, MAX_REFRESH_TOKEN_LIFETIME_MS } from './grant-bounds.js';
import { grantFromTokenResponse } from './token-response.js';

const now = new Date('2026-12-02T10:00:00Z');
const failure = { provider: 'oauth2', operation: 'refresh', tenantId: 't1' } as const;
/** What PostgreSQL's timestamptz and the varchar(32) token_type column accept. */
const storable = (d: Date | null | undefined) =>
  d === null || d === undefined || (!Number.isNaN(d.getTime()) && Math.abs(d.getTime()) < 8.64e15);

describe('token answers are bounded so the write-back can always store them', () => {
  it('any token_type, expires_in and refresh_token_expires_in give a storable grant with the refresh token', () => {
    const anything = fc.oneof(
      fc.string(),
      fc.double(),
      fc.integer(),
      fc.constant(1e13),
      fc.constant(-5),
      fc.constant('9'.repeat(40)),
      fc.constant(null),
      fc.object(),
    );
    fc.assert(
      fc.property(anything, anything, anything, (tokenType, expiresIn, refreshExpiresIn) => {
        const grant = grantFromTokenResponse(
          {
            access_token: 'at',
            refresh_token: 'rt-new',
            token_type: tokenType,
            expires_in: expiresIn,
            refresh_token_expires_in: refreshExpiresIn,
          } as never,
          { now, refreshToken: 'required' },
          failure as never,
        );
        expect(grant.refreshToken).toBe('rt-new');
        expect(grant.tokenType.length).toBeLessThanOrEqual(32);
        expect(storable(grant.expiresAt)).toBe(true);
        expect(storable(grant.refreshTokenExpiresAt)).toBe(true);
        if (grant.expiresAt) {
          expect(grant.expiresAt.getTime()).toBeLessThanOrEqual(now.getTime() + MAX_ACCESS_TOKEN_LIFETIME_MS);
        }
      }),
    );
  });

  it('a custom strategy returning invalid dates or a long token type is bounded too', () => {
    const grant = boundedGrant(
      {
        accessToken: 'at',
        tokenType: 'z'.repeat(100),
        expiresAt: new Date(Number.NaN),
        refreshToken: 'rt',
        refreshTokenExpiresAt: new Date(8e15),
      },
      now,
    );
    expect(grant.tokenType).toBe('Bearer');
    expect(grant.expiresAt!.getTime()).toBe(now.getTime() + 3_600_000);
    expect(grant.refreshTokenExpiresAt!.getTime()).toBe(now.getTime() + MAX_REFRESH_TOKEN_LIFETIME_MS);
    expect(boundedGrant({ accessToken: 'a', tokenType: 'DPoP', expiresAt: null }, now)).toMatchObject({
      tokenType: 'DPoP',
      expiresAt: null,
    });
  });
});
