import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MAX_RETRY_DELAY_MS, retriesLeft, retryDelayMs } from '../../../shared/engine/retry.js';

describe('retryDelayMs', () => {
  const cases: { name: string; policy: Parameters<typeof retryDelayMs>[0]; index: number; ms: number }[] = [
    { name: 'no policy waits the default 5s before the first retry', policy: undefined, index: 0, ms: 5000 },
    { name: 'no policy doubles the wait for each retry', policy: undefined, index: 2, ms: 20_000 },
    { name: 'the interval is a Go duration', policy: { limit: 3, interval: '1m30s', backoffMultiplier: '1.0' }, index: 4, ms: 90_000 },
    { name: 'the multiplier is a decimal string', policy: { limit: 3, interval: '10s', backoffMultiplier: '1.5' }, index: 2, ms: 22_500 },
    { name: 'the wait is capped at 5 minutes', policy: { limit: 10, interval: '1m', backoffMultiplier: '3.0' }, index: 5, ms: MAX_RETRY_DELAY_MS },
    { name: 'an interval above the cap is capped too', policy: { limit: 1, interval: '1h', backoffMultiplier: '2.0' }, index: 0, ms: 300_000 },
    { name: 'a zero interval retries at once', policy: { limit: 1, interval: '0s', backoffMultiplier: '2.0' }, index: 3, ms: 0 },
    { name: 'fields left out take their defaults', policy: { interval: '2s' }, index: 1, ms: 4000 },
    { name: 'an unreadable interval falls back to 5s', policy: { limit: 1, interval: 'soon', backoffMultiplier: '2.0' }, index: 0, ms: 5000 },
    { name: 'an unreadable multiplier falls back to 2', policy: { limit: 1, interval: '1s', backoffMultiplier: 'x2' }, index: 1, ms: 2000 },
    { name: 'a negative index is the first retry', policy: undefined, index: -3, ms: 5000 },
    { name: 'a huge index stays at the cap', policy: undefined, index: 5000, ms: MAX_RETRY_DELAY_MS },
  ];
  for (const { name, policy, index, ms } of cases) {
    test(name, () => {
      assert.equal(retryDelayMs(policy, index), ms);
    });
  }

  test('the wait never shrinks from one retry to the next and never passes the cap', () => {
    const policies = fc.record({
      limit: fc.nat(10),
      interval: fc.integer({ min: 0, max: 600 }).map((s) => `${s}s`),
      backoffMultiplier: fc.integer({ min: 10, max: 40 }).map((n) => (n / 10).toFixed(1)),
    });
    fc.assert(
      fc.property(policies, fc.nat(30), (policy, index) => {
        const now = retryDelayMs(policy, index);
        const next = retryDelayMs(policy, index + 1);
        assert.ok(next >= now);
        assert.ok(next <= MAX_RETRY_DELAY_MS);
      }),
    );
  });
});

describe('retriesLeft', () => {
  const cases: { name: string; policy: Parameters<typeof retriesLeft>[0]; count: number; left: boolean }[] = [
    { name: 'no policy allows a first retry', policy: undefined, count: 0, left: true },
    { name: 'no policy allows the third retry', policy: undefined, count: 2, left: true },
    { name: 'no policy allows no fourth retry', policy: undefined, count: 3, left: false },
    { name: 'a limit of 0 allows no retry at all', policy: { limit: 0, interval: '5s', backoffMultiplier: '2.0' }, count: 0, left: false },
    { name: 'a limit of 1 allows one retry', policy: { limit: 1, interval: '5s', backoffMultiplier: '2.0' }, count: 0, left: true },
    { name: 'a limit of 1 allows no second retry', policy: { limit: 1, interval: '5s', backoffMultiplier: '2.0' }, count: 1, left: false },
  ];
  for (const { name, policy, count, left } of cases) {
    test(name, () => {
      assert.equal(retriesLeft(policy, count), left);
    });
  }
});
