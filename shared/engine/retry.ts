/** The retry schedule: `interval × multiplier^n` between attempts, capped at 5 minutes, at most `limit` retries. */
import type { RetryPolicy } from '../api/index.js';
import { parseDuration, parseMultiplier } from '../api/index.js';

/** What the original's webhook applied to an action without a `retryPolicy`. */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = { limit: 3, interval: '5s', backoffMultiplier: '2.0' };
export const MAX_RETRY_DELAY_MS = 5 * 60_000;

const DEFAULT_INTERVAL_MS = 5000;
const DEFAULT_MULTIPLIER = 2;

/**
 * The wait before retry number `retryIndex + 1` (index 0 waits one interval). Fields left out, or that do
 * not parse, take their defaults.
 */
export function retryDelayMs(policy: Partial<RetryPolicy> | undefined, retryIndex: number): number {
  const interval = parseDuration(policy?.interval ?? DEFAULT_RETRY_POLICY.interval) ?? DEFAULT_INTERVAL_MS;
  const multiplier = parseMultiplier(policy?.backoffMultiplier ?? DEFAULT_RETRY_POLICY.backoffMultiplier) ?? DEFAULT_MULTIPLIER;
  const exponent = Math.max(0, retryIndex);
  return Math.min(interval * multiplier ** exponent, MAX_RETRY_DELAY_MS);
}

/** Whether another retry is allowed after `retryCount` retries: at most `limit` (limit + 1 attempts in all). */
export function retriesLeft(policy: Partial<RetryPolicy> | undefined, retryCount: number): boolean {
  return retryCount < retryLimit(policy);
}

export function retryLimit(policy: Partial<RetryPolicy> | undefined): number {
  return policy?.limit ?? DEFAULT_RETRY_POLICY.limit;
}
