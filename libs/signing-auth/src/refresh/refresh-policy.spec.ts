import { ConnectionEntity } from '../connections/connection.entity.js';
import { backoffMs, leewayMs, nextScheduledRefresh, type RefreshTiming } from './refresh-policy.js';

const timing: RefreshTiming = {
  refresh: {
    leewaySeconds: 300,
    leewayFraction: 0.1,
    leaseSeconds: 30,
    providerTimeoutMs: 10_000,
    backoffBaseMs: 30_000,
    backoffMaxMs: 3_600_000,
    refreshTokenRenewFraction: 1 / 3,
    reauthorizationNoticeDays: 7,
  },
  sweep: { enabled: true, cron: '0 * * * * *', batchSize: 50, concurrency: 5, activeWindowSeconds: 86_400 },
};
const T0 = new Date('2026-01-01T00:00:00Z').getTime();
const at = (ms: number) => new Date(T0 + ms);
const DAY = 86_400_000;

function row(values: Partial<ConnectionEntity>): ConnectionEntity {
  return Object.assign(new ConnectionEntity(), {
    status: 'active',
    accessTokenCiphertext: 'x',
    refreshTokenCiphertext: 'x',
    lastUsedAt: null,
    ...values,
  });
}

describe('refresh policy', () => {
  it('uses the fixed leeway for long tokens and a proportional one for short tokens', () => {
    expect(leewayMs(timing, at(0), at(8 * 3_600_000))).toBe(300_000); // DocuSign 8 h
    expect(leewayMs(timing, at(0), at(600_000))).toBe(60_000); // Signicat 600 s
  });

  it('renews a 30-day refresh token after 10 days, and keeps in-use access tokens warm first', () => {
    const idle = row({
      lastRefreshedAt: at(0),
      accessTokenExpiresAt: at(8 * 3_600_000),
      refreshTokenIssuedAt: at(0),
      refreshTokenExpiresAt: at(30 * DAY),
    });
    expect(nextScheduledRefresh(timing, idle, at(0))).toEqual(at(10 * DAY));
    const used = row({ ...idle, lastUsedAt: at(0) });
    expect(nextScheduledRefresh(timing, used, at(0))).toEqual(at(8 * 3_600_000 - 300_000));
  });

  it('schedules nothing for a refresh token whose renewal would not extend it (issue time cleared)', () => {
    const fixedExpiry = row({ refreshTokenIssuedAt: null, refreshTokenExpiresAt: at(30 * DAY) });
    expect(nextScheduledRefresh(timing, fixedExpiry, at(0))).toBeNull();
  });

  it('backs off exponentially with full jitter, capped, honouring Retry-After, never below a second', () => {
    expect(backoffMs(timing, 1, undefined, () => 1)).toBe(30_000);
    expect(backoffMs(timing, 3, undefined, () => 1)).toBe(120_000);
    expect(backoffMs(timing, 40, undefined, () => 1)).toBe(3_600_000);
    expect(backoffMs(timing, 3, undefined, () => 0)).toBe(1_000);
    expect(backoffMs(timing, 1, 90_000, () => 0.5)).toBe(90_000);
  });
});
