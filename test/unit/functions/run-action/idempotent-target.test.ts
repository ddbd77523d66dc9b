/**
 * The example target of the user guide (examples/idempotent-target/server.mjs) against run-action: an
 * action whose first request times out is retried with the same Idempotency-Key, and the target applies
 * the effect once.
 */
import { strict as assert } from 'node:assert';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { createRunAction } from '../../../../functions/run-action/run-action.js';
import { httpAction, pathOf, requested, worldOf } from '../../../support/run-action-helpers.js';

interface ExampleTarget {
  server: Server;
  state: { promotions: number; primary: string };
}
type Example = { createIdempotentTarget(options: { promoteDelayMs: number }): ExampleTarget };

const EXAMPLE = '../../../../examples/idempotent-target/server.mjs';
const servers: Server[] = [];
after(() => {
  for (const server of servers) {
    server.closeAllConnections();
    server.close();
  }
});

async function startExample(promoteDelayMs: number): Promise<{ url: string; state: ExampleTarget['state']; keys: string[] }> {
  const example = (await import(EXAMPLE)) as Example;
  const { server, state } = example.createIdempotentTarget({ promoteDelayMs });
  const keys: string[] = [];
  server.prependListener('request', (request) => {
    keys.push(String(request.headers['idempotency-key']));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, state, keys };
}

describe('the example idempotent target', () => {
  test('a promote whose first request timed out is retried with the same key and applied once', async () => {
    // Prepare: the promotion takes longer than the action's timeout
    const target = await startExample(700);
    const w = worldOf([
      httpAction('promote', { url: `${target.url}/promote`, method: 'POST' }, { timeout: '400ms', retryPolicy: { limit: 8, interval: '100ms' } }),
    ]);
    // the retries' pauses pass for real (the promotion goes on meanwhile), and on the world's clock
    w.deps.sleep = async (ms) => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      w.clock.advance(ms);
    };

    // Act
    await createRunAction(w.deps).onActionRequested(requested(pathOf('promote')));

    // Assess
    const action = w.action(pathOf('promote'));
    assert.equal(action?.phase, 'Succeeded', action?.message);
    assert.ok(target.keys.length >= 2, `the first request timed out, so there was a retry (requests: ${target.keys.length})`);
    assert.equal(new Set(target.keys).size, 1, `every request carried the first attempt's key: ${target.keys.join(', ')}`);
    assert.deepEqual(target.state, { promotions: 1, primary: 'site-b' });
    assert.equal(action.outputs?.httpResponse?.statusCode, 200);
  });
});
