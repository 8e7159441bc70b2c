import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limit.ts';

describe('rate limiter', () => {
  it('allows a burst of perMinute, then one more every 60/perMinute seconds', () => {
    const r = new RateLimiter(3);
    expect([r.take('ip', 0), r.take('ip', 0), r.take('ip', 0), r.take('ip', 0)]).toEqual([true, true, true, false]);
    expect(r.retryAfterS('ip')).toBe(20);
    expect(r.take('ip', 19_999)).toBe(false);
    expect(r.take('ip', 20_000)).toBe(true);
  });
  it('keeps keys apart', () => {
    const r = new RateLimiter(1);
    expect(r.take('a', 0)).toBe(true);
    expect(r.take('b', 0)).toBe(true);
    expect(r.take('a', 0)).toBe(false);
  });
  it('never limits with 0', () => {
    const r = new RateLimiter(0);
    for (let i = 0; i < 100; i++) expect(r.take('a', 0)).toBe(true);
  });
});
