import { ThrottlingException } from '../api/errors.js';

export interface ThrottleOptions {
  /** Tokens added per second to each bucket: the sustained request rate of one (account, region, operation). */
  rate: number;
  /** Bucket size: how many requests may arrive at once after a quiet spell. */
  burst: number;
  /** At most this many buckets are kept (least recently used go first). */
  maxBuckets?: number;
  /** Milliseconds, monotonic; tests inject their own. */
  now?: () => number;
}

/**
 * Our defaults when the service listens beyond loopback. AWS publishes per-account, per-Region request
 * quotas for Customer Profiles but we could not confirm the figures for these operations, so these are
 * a deliberate choice: generous for one application, a brake for a runaway loop.
 */
export const DEFAULT_THROTTLE_RATE = 10;
export const DEFAULT_THROTTLE_BURST = 20;
const DEFAULT_MAX_BUCKETS = 10_000;

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Token buckets per (account, region, operation), the way AWS quotas are scoped (per account and Region,
 * per API). A bucket that has refilled to full is indistinguishable from a missing one, so buckets are
 * dropped when full and the map is also capped (LRU): memory stays bounded whatever the callers do.
 */
export class Throttle {
  private readonly buckets = new Map<string, Bucket>();
  private readonly maxBuckets: number;
  private readonly now: () => number;
  /** Requests answered with ThrottlingException since start (for tests and metrics). */
  rejected = 0;

  constructor(readonly options: ThrottleOptions) {
    if (!(options.rate > 0) || !Number.isFinite(options.rate)) throw new RangeError('throttle rate must be a positive number');
    if (!Number.isInteger(options.burst) || options.burst < 1) throw new RangeError('throttle burst must be a whole number of at least 1');
    this.maxBuckets = options.maxBuckets ?? DEFAULT_MAX_BUCKETS;
    this.now = options.now ?? (() => performance.now());
  }

  get size(): number {
    return this.buckets.size;
  }

  /** Takes one token or throws ThrottlingException (429). */
  take(accountId: string, region: string, operation: string): void {
    const key = `${accountId}\u0000${region}\u0000${operation}`;
    const now = this.now();
    const { rate, burst } = this.options;
    const existing = this.buckets.get(key);
    let tokens = burst;
    if (existing) {
      tokens = Math.min(burst, existing.tokens + ((now - existing.at) / 1000) * rate);
      this.buckets.delete(key);
    }
    this.sweep(now);
    if (tokens < 1) {
      this.buckets.set(key, { tokens, at: now });
      this.rejected++;
      throw new ThrottlingException('Rate exceeded');
    }
    this.buckets.set(key, { tokens: tokens - 1, at: now });
    while (this.buckets.size > this.maxBuckets) {
      const oldest = this.buckets.keys().next().value as string;
      this.buckets.delete(oldest);
    }
  }

  /** Drops up to a few least recently used buckets that have refilled: they hold no information. */
  private sweep(now: number): void {
    let checked = 0;
    for (const [key, bucket] of this.buckets) {
      if (checked++ >= 4) break;
      if (bucket.tokens + ((now - bucket.at) / 1000) * this.options.rate >= this.options.burst) this.buckets.delete(key);
      else break;
    }
  }
}
