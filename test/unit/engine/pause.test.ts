import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DRPlanExecutionStatus } from '../../../shared/api/index.js';
import { claimAttempt } from '../../../shared/engine/attempt.js';
import { at, complete, httpAction, ok, requestedPaths, run, singleWorkflowPlan, T0 } from './scheduler-helpers.js';

const paused = (status: DRPlanExecutionStatus) => status.conditions?.find((condition) => condition.type === 'Paused');

describe('a paused execution', () => {
  const resolved = singleWorkflowPlan(['a', 'b']);

  test('starts nothing new while paused; what runs finishes; resuming requests the next action at once', () => {
    // Prepare: a is running
    const started = run(resolved, {}, T0);
    const [first] = started.requests;
    assert.ok(first !== undefined);

    // Act: paused, a finishes; then resumed
    const whilePaused = run(resolved, complete(started.status, first, ok, at(1)), at(2), { paused: true });
    const stillPaused = run(resolved, whilePaused.status, at(60), { paused: true });
    const resumed = run(resolved, stillPaused.status, at(61));

    // Assess
    assert.deepEqual(requestedPaths(whilePaused), []);
    assert.equal(whilePaused.status.phase, 'Running');
    assert.deepEqual([paused(whilePaused.status)?.status, paused(whilePaused.status)?.reason], ['True', 'Paused']);
    assert.deepEqual(
      whilePaused.events.filter((event) => event.reason === 'ExecutionPaused').map((event) => event.message),
      ['Execution paused: no new action starts; 0 running actions go on (resume: drplan resume, or remove the annotation dr.bkbcs.tencent.com/pause)'],
    );
    assert.deepEqual(requestedPaths(stillPaused), []);
    assert.equal(stillPaused.changed, false, 'a paused execution stays as it is');
    assert.deepEqual(requestedPaths(resumed), ['s/0/b']);
    assert.deepEqual([paused(resumed.status)?.status, paused(resumed.status)?.reason], ['False', 'Resumed']);
    assert.ok(resumed.events.some((event) => event.reason === 'ExecutionResumed'));
  });

  test('a request made before the pause, not yet claimed, waits and is made again at once on resume', () => {
    const started = run(resolved, {}, T0);
    const whilePaused = run(resolved, started.status, at(120), { paused: true });
    const resumed = run(resolved, whilePaused.status, at(121));
    assert.deepEqual(requestedPaths(whilePaused), [], 'not requested again while paused, however long');
    assert.deepEqual(requestedPaths(resumed), ['s/0/a']);
  });
});

describe('an action skipped by decision', () => {
  test('a running one is Skipped with the reason, its attempt stopped, and the workflow goes on', () => {
    // Prepare: a is running (claimed)
    const resolved = singleWorkflowPlan(['a', 'b']);
    const started = run(resolved, {}, T0);
    const claimed = claimAttempt(started.status, 's/0/a', 1, at(1));
    assert.equal(claimed.claimed, true);

    // Act
    const skipped = run(resolved, claimed.status, at(5), { skips: { 's/0/a': 'promoted by hand' } });

    // Assess
    const a = skipped.status.stageStatuses?.[0]?.workflowExecutions?.[0]?.actionStatuses?.[0];
    assert.deepEqual([a?.phase, a?.message], ['Skipped', 'skipped by decision: promoted by hand']);
    assert.deepEqual(
      skipped.cancelled.map((request) => request.path),
      ['s/0/a'],
      'its attempt is stopped (a Job is deleted)',
    );
    assert.deepEqual(requestedPaths(skipped), ['s/0/b']);
    assert.ok(skipped.events.some((event) => event.reason === 'ActionSkipped' && event.message === 'Action s/0/a skipped by decision: promoted by hand'));
  });

  test('what depends on it runs (it counts as done)', () => {
    const resolved = singleWorkflowPlan(['a', httpAction('b', { dependsOn: ['a'] })]);
    const started = run(resolved, {}, T0);
    const skipped = run(resolved, started.status, at(5), { skips: { 's/0/a': 'done by hand' } });
    assert.deepEqual(requestedPaths(skipped), ['s/0/b']);
  });

  test('an action already done is left as it was', () => {
    const resolved = singleWorkflowPlan(['a', 'b']);
    const started = run(resolved, {}, T0);
    const [first] = started.requests;
    assert.ok(first !== undefined);
    const done = run(resolved, complete(started.status, first, ok, at(1)), at(2));
    const after = run(resolved, done.status, at(3), { skips: { 's/0/a': 'late' } });
    assert.equal(after.status.stageStatuses?.[0]?.workflowExecutions?.[0]?.actionStatuses?.[0]?.phase, 'Succeeded');
  });
});
