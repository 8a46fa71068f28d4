/** Retry policy as data (the Temporal habit). Three retries on transient failures: AWS admin guide. */
export interface RetryPolicy {
  initialIntervalMs: number;
  backoffCoefficient: number;
  maximumIntervalMs: number;
  maximumRetries: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  initialIntervalMs: 1_000,
  backoffCoefficient: 2,
  maximumIntervalMs: 60_000,
  maximumRetries: 3,
};

/** The longest wait a source's Retry-After may impose: beyond it a workflow would look stuck. */
export const MAX_SOURCE_RETRY_AFTER_MS = 3_600_000;

/**
 * The wait before retry number `retry` (1-based): initial × coefficient^(retry−1), capped; at least what
 * the source asked for (Retry-After, up to an hour), since retrying sooner only spends an attempt.
 */
export function retryDelayMs(policy: RetryPolicy, retry: number, sourceRetryAfterMs?: number): number {
  const backoff = Math.min(policy.initialIntervalMs * policy.backoffCoefficient ** (retry - 1), policy.maximumIntervalMs);
  return Math.max(backoff, Math.min(sourceRetryAfterMs ?? 0, MAX_SOURCE_RETRY_AFTER_MS));
}
