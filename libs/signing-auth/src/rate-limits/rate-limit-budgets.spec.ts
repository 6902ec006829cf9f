import { resolveOptions } from '../common/resolved-options.js';
import { SigningAuthEventBus } from '../events/event-bus.js';
import type { SigningAuthRateLimitOptions } from '../signing-auth.options.js';
import { RateLimitBudgets } from './rate-limit-budgets.js';
import { readRateLimit } from './rate-limit-headers.js';
import { SigningAuthRateLimitError } from './rate-limit.errors.js';

const T0 = Date.parse('2026-06-01T10:15:00Z');

describe('readRateLimit: the budget an answer reports', () => {
  it("DocuSign's headers (epoch-seconds reset) and a spent burst window", () => {
    const headers = {
      'x-ratelimit-limit': '3000',
      'x-ratelimit-remaining': '12',
      'x-ratelimit-reset': String(Date.parse('2026-06-01T11:00:00Z') / 1000),
      'x-burstlimit-limit': '200',
      'x-burstlimit-remaining': '0',
    };
    expect(readRateLimit(headers, 200, T0)).toEqual({
      limit: 3000,
      remaining: 12,
      resetAt: Date.parse('2026-06-01T11:00:00Z'),
      retryAt: T0 + 30_000,
    });
  });

  it('the IETF draft headers, both generations', () => {
    expect(
      readRateLimit(
        { 'ratelimit-limit': '100', 'ratelimit-remaining': '5', 'ratelimit-reset': '40' },
        200,
        T0,
      ),
    ).toEqual({ limit: 100, remaining: 5, resetAt: T0 + 40_000 });
    expect(
      readRateLimit({ ratelimit: '"default";r=7;t=20', 'ratelimit-policy': '"default";q=50;w=60' }, 200, T0),
    ).toEqual({ limit: 50, remaining: 7, resetAt: T0 + 20_000 });
  });

  it('Retry-After (seconds or a date) on a 429 or 503 only; nothing on a plain answer', () => {
    expect(readRateLimit({ 'retry-after': '120' }, 429, T0)).toEqual({ retryAt: T0 + 120_000 });
    expect(readRateLimit({ 'retry-after': new Date(T0 + 5_000).toUTCString() }, 503, T0)).toEqual({
      retryAt: T0 + 5_000,
    });
    expect(readRateLimit({ 'retry-after': '120' }, 200, T0)).toBeUndefined();
    expect(readRateLimit({ 'content-type': 'application/json' }, 200, T0)).toBeUndefined();
  });

  it('hostile values are ignored, and no answer can hold calls back for more than a day', () => {
    expect(
      readRateLimit(
        { 'x-ratelimit-remaining': '-1', 'x-ratelimit-limit': '1e9', 'x-ratelimit-reset': 'soon' },
        200,
        T0,
      ),
    ).toEqual({ remaining: undefined, limit: undefined, resetAt: undefined });
    expect(readRateLimit({ 'retry-after': '999999999' }, 429, T0)?.retryAt).toBe(T0 + 86_400_000);
  });
});

describe('RateLimitBudgets', () => {
  let nowMs = T0;
  const budgetsWith = (rateLimit: SigningAuthRateLimitOptions = {}) => {
    const options = resolveOptions(
      {
        encryptionKeys: 'k1:' + Buffer.alloc(32, 7).toString('base64'),
        clock: () => new Date(nowMs),
        http: { rateLimit },
      },
      { routePrefix: 'signing-auth', adminApi: false },
    );
    return new RateLimitBudgets(options, new SigningAuthEventBus(options));
  };
  beforeEach(() => {
    nowMs = T0;
  });

  it('each call sent takes a unit at once: concurrent calls cannot overrun the last one', () => {
    const budgets = budgetsWith();
    budgets.observe('t', 'docusign', 'a', { limit: 10, remaining: 2, resetAt: T0 + 60_000 }, 200);
    expect(budgets.admit('t', 'docusign', 'a')).toBeUndefined();
    expect(budgets.admit('t', 'docusign', 'a')).toBeUndefined();
    expect(() => budgets.admit('t', 'docusign', 'a')).toThrow(SigningAuthRateLimitError);
    expect(budgets.admit('t', 'docusign', 'other-account')).toBeUndefined();
    nowMs = T0 + 60_000;
    expect(budgets.admit('t', 'docusign', 'a')).toBeUndefined();
  });

  it("whenSpent 'wait': holds a call until the reset, within maxWaitMs and maxWaiting", async () => {
    const budgets = budgetsWith({ whenSpent: 'wait', maxWaitMs: 300, maxWaiting: 1 });
    budgets.observe('t', 'p', '', { retryAt: T0 + 150 }, 429);
    const started = Date.now();
    const held = budgets.admit('t', 'p', '');
    expect(held).toBeInstanceOf(Promise);
    // A second caller while one waits: the bound refuses it at once.
    expect(() => budgets.admit('t', 'p', '')).toThrow(expect.objectContaining({ reason: 'queue_full' }));
    nowMs = T0 + 150; // the module clock reaches the retry time as the timer fires
    await held;
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);

    budgets.observe('t', 'p', '', { retryAt: nowMs + 10_000 }, 429);
    expect(() => budgets.admit('t', 'p', '')).toThrow(expect.objectContaining({ reason: 'wait_too_long' }));
  });

  it('memory stays bounded by maxTracked', () => {
    const budgets = budgetsWith({ maxTracked: 3 });
    for (let i = 0; i < 10; i++) budgets.observe(`t${i}`, 'p', '', { limit: 5, remaining: 5 }, 200);
    expect(['t7', 't8', 't9'].map((t) => budgets.view(t, 'p', '')?.limit)).toEqual([5, 5, 5]);
    expect(budgets.view('t0', 'p', '')).toBeUndefined();
  });
});
