import { strict as assert } from 'node:assert';
import { after, describe, test } from 'node:test';
import { createRunAction } from '../../../../functions/run-action/run-action.js';
import { Annotations } from '../../../../shared/api/index.js';
import { EventTypes } from '../../../../shared/events.js';
import { cancelExecution } from '../../../../shared/execution/reconcile.js';
import type { Target } from '../../../support/run-action-helpers.js';
import { editAction, EXEC, executionKey, httpAction, NS, pathOf, requested, startTarget, worldOf } from '../../../support/run-action-helpers.js';
import type { World } from '../../../support/run-action-helpers.js';

const PATH = pathOf('promote');
const servers: Target[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

/** A target that never answers; `closed` resolves when the caller gives up the request (its connection closes). */
async function silentTarget(): Promise<{ server: Target; closed: Promise<void> }> {
  let onClose: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => {
    onClose = resolve;
  });
  const server = await startTarget((_request, response) => {
    response.on('close', onClose);
  });
  servers.push(server);
  return { server, closed };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

/** What `drplan cancel` does: the annotation, then the cancel function's decision. */
async function cancel(w: World): Promise<void> {
  await w.kube.mergePatch(executionKey, { metadata: { annotations: { [Annotations.cancel]: 'true' } } });
  await cancelExecution(w.deps, { name: EXEC, namespace: NS });
}

describe('an HTTP request in flight when its attempt is no longer wanted', () => {
  test('is aborted when the execution is cancelled, and the action records that it may have had its effect', async () => {
    // Prepare: a POST the target never answers, with a 5m timeout
    const { server, closed } = await silentTarget();
    const w = worldOf([httpAction('promote', { url: `${server.url}/promote`, method: 'POST' })], { config: { stopCheckMs: 5 } });
    const running = createRunAction(w.deps).onActionRequested(requested(PATH));
    await until(() => server.requests.length === 1);

    // Act
    await cancel(w);
    const replies = await running;
    await closed;

    // Assess: the request was given up, and the status says what became of it (not only "cancelled")
    // the only reply tells whoever listens that the action failed: it may have had its effect
    assert.deepEqual(
      replies.map((reply) => [reply.type, (reply.data as { path?: string }).path]),
      [[EventTypes.actionFailed, PATH]],
    );
    const action = w.action(PATH);
    assert.equal(w.status().phase, 'Cancelled');
    assert.equal(action?.phase, 'Failed');
    assert.match(
      action.message ?? '',
      /^cancelled while running; then: POST http:\/\/127\.0\.0\.1:\d+\/promote was aborted in flight, before an answer \(the execution was cancelled\): it may have had its effect$/,
    );
    assert.equal(action.outputs?.unsettledAttempt, 1);
  });

  test('aborted before the cancel function has acted, it is recorded as cancel records it, and the step carries out the cancel', async () => {
    // Prepare
    const { server, closed } = await silentTarget();
    const w = worldOf([httpAction('promote', { url: `${server.url}/promote`, method: 'POST' })], { config: { stopCheckMs: 5 } });
    const running = createRunAction(w.deps).onActionRequested(requested(PATH));
    await until(() => server.requests.length === 1);

    // Act: only the annotation; run-action sees it first
    await w.kube.mergePatch(executionKey, { metadata: { annotations: { [Annotations.cancel]: 'true' } } });
    await running;
    await closed;

    // Assess
    const action = w.action(PATH);
    assert.equal(w.status().phase, 'Cancelled');
    assert.equal(action?.phase, 'Failed');
    assert.match(action.message ?? '', /^cancelled while running; then: POST http:\/\/127\.0\.0\.1:\d+\/promote was aborted in flight/);
  });

  test('is aborted when its attempt was timed out and retried, and nothing of it is recorded over the retry', async () => {
    // Prepare
    const { server, closed } = await silentTarget();
    const w = worldOf([httpAction('promote', { url: `${server.url}/promote`, method: 'POST' })], { config: { stopCheckMs: 5 } });
    const running = createRunAction(w.deps).onActionRequested(requested(PATH));
    await until(() => server.requests.length === 1);

    // Act: the scheduler found attempt 1 past its timeout and made attempt 2 due
    await editAction(w, PATH, (action) => {
      Object.assign(action, { phase: 'Pending', attempt: 2, message: 'attempt 1 failed: timed out' });
    });
    await running;
    await closed;

    // Assess
    assert.deepEqual(
      { phase: w.action(PATH)?.phase, attempt: w.action(PATH)?.attempt, message: w.action(PATH)?.message },
      { phase: 'Pending', attempt: 2, message: 'attempt 1 failed: timed out' },
    );
    assert.ok(w.log.lines.some((line) => line.message === 'stopping a running attempt' && String(line.object.reason).includes('superseded')));
  });

  test('is left alone while its attempt is still wanted', async () => {
    // Prepare: the target answers the third check's worth of time later
    let release: () => void = () => undefined;
    const answered = new Promise<void>((resolve) => {
      release = resolve;
    });
    const server = await startTarget((_request, response) => {
      void answered.then(() => response.writeHead(200).end());
    });
    servers.push(server);
    const w = worldOf([httpAction('promote', { url: `${server.url}/promote`, method: 'POST' })], { config: { stopCheckMs: 1 } });
    let reads = 0;
    const get = w.kube.get.bind(w.kube);
    w.kube.get = (key) => {
      if (key.kind === 'DRPlanExecution') reads++;
      return get(key);
    };
    const running = createRunAction(w.deps).onActionRequested(requested(PATH));
    await until(() => server.requests.length === 1 && reads >= 3);

    // Act
    release();
    await running;

    // Assess
    assert.equal(w.action(PATH)?.phase, 'Succeeded');
  });
});
