import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { DEFAULT_RUN_ACTION_CONFIG, runActionConfigFromEnv } from '../../../../functions/run-action/config.js';

describe('the run-action configuration', () => {
  test('defaults to refusing private targets, a 10s in-process wait, a 1m chain, a 1024-character body, a 30s heartbeat and a 1s check for stopped attempts', () => {
    assert.deepEqual(runActionConfigFromEnv({}), {
      allowPrivateTargets: false,
      maxInlineWaitMs: 10_000,
      maxInlineChainMs: 60_000,
      bodyLimit: 1024,
      heartbeatMs: 30_000,
      stopCheckMs: 1000,
    });
    assert.deepEqual(DEFAULT_RUN_ACTION_CONFIG, runActionConfigFromEnv({}));
  });

  test('reads each setting from its environment variable', () => {
    const config = runActionConfigFromEnv({ ALLOW_PRIVATE_TARGETS: 'true', MAX_INLINE_WAIT: '1m30s', MAX_INLINE_CHAIN: '0s', HTTP_BODY_LIMIT: '64' });
    assert.deepEqual(config, {
      allowPrivateTargets: true,
      maxInlineWaitMs: 90_000,
      maxInlineChainMs: 0,
      bodyLimit: 64,
      heartbeatMs: 30_000,
      stopCheckMs: 1000,
    });
  });

  test('beats four times within UNKNOWN_AFTER when that is shorter than 2 minutes, and never less often than every 30s', () => {
    assert.equal(runActionConfigFromEnv({ UNKNOWN_AFTER: '4s' }).heartbeatMs, 1000);
    assert.equal(runActionConfigFromEnv({ UNKNOWN_AFTER: '10m' }).heartbeatMs, 30_000);
  });

  const invalid = [
    { env: { ALLOW_PRIVATE_TARGETS: 'yes please' }, message: 'ALLOW_PRIVATE_TARGETS: "yes please" is not a boolean (true or false)' },
    { env: { MAX_INLINE_WAIT: '10' }, message: 'MAX_INLINE_WAIT: "10" is not a duration such as 10s or 500ms' },
    { env: { MAX_INLINE_CHAIN: 'forever' }, message: 'MAX_INLINE_CHAIN: "forever" is not a duration such as 10s or 500ms' },
    { env: { HTTP_BODY_LIMIT: '-1' }, message: 'HTTP_BODY_LIMIT: "-1" is not a whole number ≥ 0' },
  ];
  for (const c of invalid) {
    test(`refuses ${Object.keys(c.env).join()}=${Object.values(c.env).join()}, naming the variable`, () => {
      assert.throws(() => runActionConfigFromEnv(c.env), { message: c.message });
    });
  }
});
