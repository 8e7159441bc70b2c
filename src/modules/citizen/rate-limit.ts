/** Token buckets per key (an address, an API key): `capacity` requests at once, refilled evenly over a minute. Pure (time is a parameter). */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    /** Requests per minute (also the burst). 0 = unlimited. */
    private readonly perMinute: number,
    private readonly maxKeys = 100_000,
  ) {}

  /** Takes one token for key; false when the bucket is empty (the caller answers 429). */
  take(key: string, nowMs: number): boolean {
    if (this.perMinute <= 0) return true;
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.maxKeys) this.prune(nowMs);
      b = { tokens: this.perMinute, at: nowMs };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(this.perMinute, b.tokens + ((nowMs - b.at) * this.perMinute) / 60_000);
    b.at = nowMs;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Seconds until key has a token again (for Retry-After). */
  retryAfterS(key: string): number {
    const b = this.buckets.get(key);
    if (!b || b.tokens >= 1) return 0;
    return Math.ceil(((1 - b.tokens) * 60) / this.perMinute);
  }

  /** Forgets full buckets (they behave as new ones); if still too many, forgets all. */
  private prune(nowMs: number) {
    for (const [k, b] of this.buckets) if (b.tokens + ((nowMs - b.at) * this.perMinute) / 60_000 >= this.perMinute) this.buckets.delete(k);
    if (this.buckets.size >= this.maxKeys) this.buckets.clear();
  }
}
