/** A retry (spec.retryOf) continues a failed execution: what succeeded is kept, the rest runs; its revert undoes both. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createPlanStages } from '../../../../functions/plan-stages/plan-stages.js';
import { createRevert } from '../../../../functions/revert/revert.js';
import { findActionStatus } from '../../../../shared/engine/status-tree.js';
import { driveToEnd, executionObject, fatal, harness, http, id, ok, seedPlan, stageOf, statusOf } from '../../../support/orchestration-helpers.js';
import type { Harness } from '../../../support/orchestration-helpers.js';

const undo = (name: string): Record<string, unknown> => ({ type: 'HTTP', http: { url: `https://svc.example/undo-${name}`, method: 'POST' } });

/** run-1 of plan p (a, b, c with rollbacks) Failed at b. */
async function failedRun(h: Harness): Promise<void> {
  seedPlan(h.kube, 'p', [stageOf('s', ['wf'])], {
    wf: [http('a', { rollback: undo('a') }), http('b', { rollback: undo('b') }), http('c', { rollback: undo('c') })],
  });
  h.kube.seed(executionObject('run-1', 'p'));
  await driveToEnd(h, createPlanStages(h), 'run-1', (path) => (path === 's/0/b' ? fatal('HTTP 503') : ok));
}

const retryOf = (name: string, target: string, skip?: { action: string; reason: string }[]) => {
  const object = executionObject(name, 'p');
  return { ...object, spec: { ...(object.spec as object), retryOf: target, ...(skip === undefined ? {} : { skip }) } };
};

describe('a retry of a failed execution', () => {
  test('runs only what had not succeeded, keeps what had (shown as such), and Succeeds', async () => {
    const h = harness();
    await failedRun(h);
    assert.equal((await statusOf(h.kube, 'run-1')).phase, 'Failed');
    h.kube.seed(retryOf('retry-1', 'run-1'));

    const driven = await driveToEnd(h, createPlanStages(h), 'retry-1');

    assert.deepEqual(driven.batches, [['s/0/b'], ['s/0/c']]);
    const status = await statusOf(h.kube, 'retry-1');
    assert.equal(status.phase, 'Succeeded', status.message);
    assert.deepEqual(
      [findActionStatus(status, 's/0/a')?.phase, findActionStatus(status, 's/0/a')?.message],
      ['Succeeded', 'succeeded in run-1; not run again'],
    );
  });

  test('a skipped action counts as done by decision: Skipped with the reason, never run', async () => {
    const h = harness();
    await failedRun(h);
    h.kube.seed(retryOf('retry-1', 'run-1', [{ action: 's/0/b', reason: 'fenced by hand' }]));

    const driven = await driveToEnd(h, createPlanStages(h), 'retry-1');

    assert.deepEqual(driven.batches, [['s/0/c']]);
    const status = await statusOf(h.kube, 'retry-1');
    assert.equal(status.phase, 'Succeeded');
    assert.deepEqual(
      [findActionStatus(status, 's/0/b')?.phase, findActionStatus(status, 's/0/b')?.message],
      ['Skipped', 'skipped by decision: fenced by hand'],
    );
  });

  test('its revert undoes the work of both executions; the earlier one is not reverted on its own', async () => {
    const h = harness();
    await failedRun(h);
    h.kube.seed(retryOf('retry-1', 'run-1'));
    await driveToEnd(h, createPlanStages(h), 'retry-1');
    h.kube.seed(executionObject('undo-retry', 'p', { operationType: 'Revert', revertExecutionRef: 'retry-1' }));
    h.kube.seed(executionObject('undo-run', 'p', { operationType: 'Revert', revertExecutionRef: 'run-1' }));

    const reverted = await driveToEnd(h, createRevert(h), 'undo-retry');
    await createRevert(h).reconcile(id('undo-run'));

    assert.deepEqual(reverted.batches, [['s/0/s.0.c'], ['s/0/s.0.b'], ['s/0/s.0.a']]);
    assert.equal((await statusOf(h.kube, 'undo-retry')).phase, 'Succeeded');
    const refused = await statusOf(h.kube, 'undo-run');
    assert.equal(refused.phase, 'Failed');
    assert.match(refused.message ?? '', /was continued by the retry "retry-1", which holds its work: revert "retry-1" instead/);
  });

  test('is refused for a Succeeded execution, and for a skip that names no action', async () => {
    const h = harness();
    seedPlan(h.kube, 'p', [stageOf('s', ['wf'])], { wf: ['a'] });
    h.kube.seed(executionObject('good', 'p'));
    await driveToEnd(h, createPlanStages(h), 'good');
    h.kube.seed(retryOf('again', 'good'));
    await failedRun(h);
    h.kube.seed(retryOf('typo', 'run-1', [{ action: 's/0/z', reason: 'x' }]));

    await createPlanStages(h).reconcile(id('again'));
    await createPlanStages(h).reconcile(id('typo'));

    assert.equal(
      (await statusOf(h.kube, 'again')).message,
      'spec.retryOf: execution "good" is Succeeded; only a Failed or Cancelled execution can be continued',
    );
    assert.equal((await statusOf(h.kube, 'typo')).message, 'spec.skip: "s/0/z" is not an action of execution "run-1" (paths are stage/workflowIndex/action)');
  });
});
