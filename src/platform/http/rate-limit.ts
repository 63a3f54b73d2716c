/**
 * Token bucket per operator, in memory. Each API replica enforces its share: with N replicas
 * behind a balancer, set RATE_LIMIT_RPS to the operator's budget divided by N.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number,
  ) {}

  /** Takes one token; returns 0 if allowed, else the seconds until one is available. */
  take(key: string, nowMs: number): number {
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: nowMs };
    b.tokens = Math.min(this.burst, b.tokens + ((nowMs - b.at) / 1000) * this.ratePerSec);
    b.at = nowMs;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.ratePerSec));
  }
}
