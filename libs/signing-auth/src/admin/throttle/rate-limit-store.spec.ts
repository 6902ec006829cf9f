import { MemoryRateLimitStore } from './rate-limit-store.js';

describe('MemoryRateLimitStore', () => {
  const at = (ms: number) => new Date(1_700_000_000_000 + ms);

  it('counts failures in fixed windows and forgets a closed window', async () => {
    const store = new MemoryRateLimitStore();
    expect(await store.get('a', at(0))).toBeUndefined();
    expect(await store.increment('a', 60_000, at(0))).toEqual({ count: 1, resetAt: at(60_000) });
    expect(await store.increment('a', 60_000, at(59_000))).toEqual({ count: 2, resetAt: at(60_000) });
    expect(await store.get('a', at(59_999))).toEqual({ count: 2, resetAt: at(60_000) });
    expect(await store.get('a', at(60_000))).toBeUndefined();
    expect(await store.increment('a', 60_000, at(60_000))).toEqual({ count: 1, resetAt: at(120_000) });
  });

  it('keeps at most maxKeys addresses, dropping the oldest windows first', async () => {
    const store = new MemoryRateLimitStore(3);
    for (const key of ['a', 'b', 'c', 'd']) await store.increment(key, 60_000, at(0));
    expect(await store.get('a', at(1))).toBeUndefined();
    expect((await store.get('d', at(1)))?.count).toBe(1);
    const started = Date.now();
    const big = new MemoryRateLimitStore(1_000);
    for (let i = 0; i < 50_000; i++) await big.increment(`k${i}`, 60_000, at(0));
    expect(Date.now() - started).toBeLessThan(5_000); // O(1) per new key, not a scan of the map
  });
});
