/**
 * A restarted run-action resumes, at start, the attempts an earlier boot of its own pod held — they
 * cannot be running any more — instead of leaving them to their timeout and the resync tick (ADR 13).
 */
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { holderFromEnv, isEarlierBoot } from '../../../../functions/run-action/holder.js';
import { createRunAction } from '../../../../functions/run-action/run-action.js';
import { resumeEarlierBoots } from '../../../../functions/run-action/takeover.js';
import { EventTypes } from '../../../../shared/events.js';
import type { Outcome } from '../../../../shared/function-deps.js';
import { editAction, httpAction, pathOf, requested, T0, UID, worldOf, type World } from '../../../support/run-action-helpers.js';

const ME = { instance: 'run-action-1', boot: 'now' };
const PATH = pathOf('call');

/** A world whose one HTTP action is Running, held by `holder`; the target's Idempotency-Keys are recorded. */
async function heldBy(holder: string | undefined, keys: string[] = []): Promise<World> {
  const fetch: typeof globalThis.fetch = (_input, init) => {
    keys.push(new Headers(init?.headers).get('idempotency-key') ?? '');
    return Promise.resolve(new Response('ok', { status: 200 }));
  };
  const w = worldOf([httpAction('call', { url: 'http://127.0.0.1:9/call' })], { fetch });
  await editAction(w, PATH, (action) => {
    Object.assign(action, { phase: 'Running', attempt: 1, startTime: T0.toISOString(), lastUpdateTime: T0.toISOString() });
    if (holder !== undefined) action.holder = holder;
    delete action.requestedAt;
  });
  return w;
}

function collecting(w: World): { deps: World['deps']; emitted: Outcome[] } {
  const emitted: Outcome[] = [];
  return { deps: { ...w.deps, emit: (outcome) => Promise.resolve(void emitted.push(outcome)) }, emitted };
}

describe('resuming what an earlier boot of this pod held', () => {
  test('an attempt held by an earlier boot is resumed at once with the same identity, and what follows is sent to the broker', async () => {
    // Prepare
    const keys: string[] = [];
    const w = await heldBy('run-action-1/before', keys);
    const { deps, emitted } = collecting(w);

    // Act
    const found = await resumeEarlierBoots(deps, ME);

    // Assess
    assert.equal(found, 1);
    assert.deepEqual(keys, [`${UID}/${PATH}/1`]);
    assert.equal(w.action(PATH)?.phase, 'Succeeded');
    assert.equal(w.action(PATH)?.holder, undefined);
    assert.deepEqual(
      emitted.flat().map((reply) => reply.type),
      [EventTypes.executionFinished],
    );
    assert.ok(
      w.kube.events.some((event) => event.reason === 'ActionStarted' && event.message.includes('resumed')),
      'the resume is an Event',
    );
  });

  const leftAlone = [
    { name: 'another pod (it may well be running it)', holder: 'run-action-2/before' },
    { name: 'this very boot', holder: 'run-action-1/now' },
    { name: 'no one recorded (an older version claimed it)', holder: undefined },
  ];
  for (const { name, holder } of leftAlone) {
    test(`an attempt held by ${name} is left alone`, async () => {
      // Prepare
      const keys: string[] = [];
      const w = await heldBy(holder, keys);
      const { deps, emitted } = collecting(w);

      // Act
      const found = await resumeEarlierBoots(deps, ME);

      // Assess
      assert.equal(found, 0);
      assert.deepEqual(keys, []);
      assert.equal(w.action(PATH)?.phase, 'Running');
      assert.deepEqual(emitted, []);
    });
  }

  test('an attempt claimed here records this process as its holder while it runs, and releases it with the result', async () => {
    // Prepare
    let seenWhileRunning: string | undefined;
    const w = worldOf([httpAction('call', { url: 'http://127.0.0.1:9/call' })], {
      fetch: () => {
        seenWhileRunning = w.action(PATH)?.holder;
        return Promise.resolve(new Response('ok', { status: 200 }));
      },
    });

    // Act
    await createRunAction({ ...w.deps, holder: ME }).onActionRequested(requested(PATH));

    // Assess
    assert.equal(seenWhileRunning, 'run-action-1/now');
    assert.equal(w.action(PATH)?.holder, undefined);
  });
});

describe('the holder of an attempt', () => {
  test('is the pod (HOSTNAME) and a new boot id each start', () => {
    const first = holderFromEnv({ HOSTNAME: 'run-action-00001-deployment-7c9f-abcde' });
    const second = holderFromEnv({ HOSTNAME: 'run-action-00001-deployment-7c9f-abcde' });

    assert.equal(first?.instance, 'run-action-00001-deployment-7c9f-abcde');
    assert.notEqual(first.boot, second?.boot);
  });

  test('is not recorded without a HOSTNAME to tell the pod', () => {
    assert.equal(holderFromEnv({}), undefined);
    assert.equal(holderFromEnv({ HOSTNAME: '  ' }), undefined);
  });

  const cases = [
    { recorded: 'pod-a/1', earlier: true },
    { recorded: 'pod-a/2', earlier: false },
    { recorded: 'pod-b/1', earlier: false },
    { recorded: 'pod-a', earlier: false },
    { recorded: 'pod-ab/1', earlier: false },
  ];
  for (const { recorded, earlier } of cases) {
    test(`"${recorded}" ${earlier ? 'is' : 'is not'} an earlier boot of pod-a/2`, () => {
      assert.equal(isEarlierBoot(recorded, { instance: 'pod-a', boot: '2' }), earlier);
    });
  }
});
