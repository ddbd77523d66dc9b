import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AttemptResult } from '../../../shared/engine/attempt.js';
import { claimAttempt } from '../../../shared/engine/attempt.js';
import type { ActionRequest } from '../../../shared/engine/scheduler.js';
import {
  actionStatus,
  at,
  complete,
  driveToEnd,
  fatal,
  ok,
  phases,
  plan,
  requestedPaths,
  run,
  singleWorkflowPlan,
  stage,
  stageStatus,
  T0,
  workflow,
  workflowStatus,
} from './scheduler-helpers.js';

/** Outcomes by path; anything not listed succeeds. */
const failing =
  (...paths: string[]) =>
  (path: string): AttemptResult =>
    paths.includes(path) ? fatal() : ok;

const requestOf = (requests: readonly ActionRequest[], path: string): ActionRequest => {
  const found = requests.find((request) => request.path === path);
  assert.ok(found !== undefined, `${path} was requested`);
  return found;
};

describe('workflow failure policy', () => {
  test('FailFast: the first failed action fails the workflow and the rest are Skipped', () => {
    const { decision, requested } = driveToEnd(singleWorkflowPlan(['a', 'b', 'c'], 'FailFast'), failing('s/0/b'));

    assert.deepEqual(requested, ['s/0/a', 's/0/b']);
    assert.deepEqual(actionStatus(decision.status, 's/0/c'), {
      name: 'c',
      phase: 'Skipped',
      message: 'skipped: action "b" failed (workflow failurePolicy FailFast)',
    });
    assert.equal(workflowStatus(decision.status, 's')?.phase, 'Failed');
    assert.equal(workflowStatus(decision.status, 's')?.message, 'action "b" failed: boom');
  });

  test('Continue: later actions still run and the workflow ends Failed', () => {
    const { decision, requested } = driveToEnd(singleWorkflowPlan(['a', 'b', 'c'], 'Continue'), failing('s/0/b'));

    assert.deepEqual(requested, ['s/0/a', 's/0/b', 's/0/c']);
    assert.deepEqual(phases(decision.status, ['s/0/a', 's/0/b', 's/0/c']), ['Succeeded', 'Failed', 'Succeeded']);
    assert.equal(workflowStatus(decision.status, 's')?.phase, 'Failed');
  });
});

describe('stage failure policy FailFast', () => {
  test('in a sequential stage, workflows not yet started are Skipped', () => {
    const resolved = plan(stage('s', [workflow('w1', ['a']), workflow('w2', ['b'])], { failurePolicy: 'FailFast' }));

    const { decision, requested } = driveToEnd(resolved, failing('s/0/a'));

    assert.deepEqual(requested, ['s/0/a']);
    assert.equal(workflowStatus(decision.status, 's', 1)?.phase, 'Skipped');
    assert.equal(workflowStatus(decision.status, 's', 1)?.message, 'stopped: workflow s/0 (w1) failed (stage failurePolicy FailFast)');
    assert.equal(actionStatus(decision.status, 's/1/b')?.phase, 'Skipped');
  });

  test('a running sibling finishes its current action, starts no other, and ends Failed', () => {
    const resolved = plan(stage('s', [workflow('w1', ['a', 'b', 'c']), workflow('w2', ['d'])], { parallel: true }));
    const first = run(resolved, {}, T0);
    const claimed = claimAttempt(first.status, 's/0/a', 1, at(1)).status;

    const afterFailure = run(resolved, complete(claimed, requestOf(first.requests, 's/1/d'), fatal('503 from DNS'), at(2)), at(2));
    const afterA = run(resolved, complete(afterFailure.status, requestOf(first.requests, 's/0/a'), ok, at(3)), at(3));

    assert.deepEqual(requestedPaths(afterFailure), []);
    assert.deepEqual(phases(afterFailure.status, ['s/0/a', 's/0/b', 's/0/c']), ['Running', 'Skipped', 'Skipped']);
    assert.equal(actionStatus(afterFailure.status, 's/0/b')?.message, 'stopped: workflow s/1 (w2) failed (stage failurePolicy FailFast)');
    assert.deepEqual(requestedPaths(afterA), []);
    assert.equal(actionStatus(afterA.status, 's/0/a')?.phase, 'Succeeded');
    assert.equal(workflowStatus(afterA.status, 's', 0)?.phase, 'Failed');
    assert.equal(stageStatus(afterA.status, 's')?.message, 'workflow s/1 (w2) failed: action "d" failed: 503 from DNS');
    assert.equal(afterA.finished?.message, 'stage "s", workflow s/1 (w2), action "d" failed: 503 from DNS');
  });

  test("a sibling's failure is known before the next action of another workflow would be requested", () => {
    const resolved = plan(stage('s', [workflow('w1', ['a', 'b']), workflow('w2', ['c'])], { parallel: true }));
    const first = run(resolved, {}, T0);
    const afterA = complete(first.status, requestOf(first.requests, 's/0/a'), ok, at(1));

    const decision = run(resolved, complete(afterA, requestOf(first.requests, 's/1/c'), fatal(), at(1)), at(1));

    assert.deepEqual(requestedPaths(decision), []);
    assert.equal(actionStatus(decision.status, 's/0/b')?.phase, 'Skipped');
  });
});

describe('stage failure policy Stop', () => {
  test('in a sequential stage, later workflows are Skipped and pending stages too', () => {
    const resolved = plan(
      stage('s', [workflow('w1', ['a']), workflow('w2', ['b'])], { failurePolicy: 'Stop' }),
      stage('t', [workflow('w3', ['c'])], { dependsOn: ['s'] }),
    );

    const { decision } = driveToEnd(resolved, failing('s/0/a'));

    assert.equal(workflowStatus(decision.status, 's', 1)?.phase, 'Skipped');
    assert.equal(stageStatus(decision.status, 's')?.phase, 'Failed');
    assert.equal(stageStatus(decision.status, 't')?.phase, 'Skipped');
    assert.equal(stageStatus(decision.status, 't')?.message, 'stopped: stage "s" failed (failurePolicy Stop)');
  });

  test('in a parallel stage, running siblings finish every action', () => {
    const resolved = plan(stage('s', [workflow('w1', ['a', 'b', 'c']), workflow('w2', ['d'])], { parallel: true, failurePolicy: 'Stop' }));

    const { decision, requested } = driveToEnd(resolved, failing('s/1/d'));

    assert.deepEqual(requested, ['s/0/a', 's/1/d', 's/0/b', 's/0/c']);
    assert.equal(workflowStatus(decision.status, 's', 0)?.phase, 'Succeeded');
    assert.equal(stageStatus(decision.status, 's')?.phase, 'Failed');
  });

  test('no new stage starts anywhere; a running stage finishes the workflow it started and skips the rest', () => {
    const resolved = plan(
      stage('s', [workflow('w', ['x'])], { failurePolicy: 'Stop' }),
      stage('t', [workflow('w1', ['y1', 'y2']), workflow('w2', ['z'])], { failurePolicy: 'Continue' }),
      stage('u', [workflow('w3', ['q'])], { dependsOn: ['t'] }),
    );

    const { decision, requested } = driveToEnd(resolved, failing('s/0/x'));

    assert.deepEqual(requested, ['s/0/x', 't/0/y1', 't/0/y2']);
    assert.deepEqual(
      [workflowStatus(decision.status, 't', 0)?.phase, workflowStatus(decision.status, 't', 1)?.phase, stageStatus(decision.status, 'u')?.phase],
      ['Succeeded', 'Skipped', 'Skipped'],
    );
    assert.equal(stageStatus(decision.status, 'u')?.message, 'stopped: stage "s" failed (failurePolicy Stop)');
    assert.equal(stageStatus(decision.status, 't')?.phase, 'Failed');
    assert.equal(stageStatus(decision.status, 't')?.message, 'stopped: stage "s" failed (failurePolicy Stop)');
    assert.equal(decision.finished?.message, 'stage "s", workflow s/0 (w), action "x" failed: boom');
  });
});

describe('stage failure policy Continue', () => {
  const resolved = plan(
    stage('s', [workflow('w1', ['a']), workflow('w2', ['b'])], { failurePolicy: 'Continue' }),
    stage('r', [workflow('w3', ['r1', 'r2'])]),
    stage('v', [workflow('w4', ['c'])], { dependsOn: ['r'] }),
    stage('t', [workflow('w5', ['d'])], { dependsOn: ['s'] }),
    stage('w', [workflow('w6', ['e'])], { dependsOn: ['t'] }),
  );

  test('every workflow of the stage runs and the stage ends Failed', () => {
    const { decision, requested } = driveToEnd(resolved, failing('s/0/a'));

    assert.ok(requested.includes('s/1/b'));
    assert.equal(workflowStatus(decision.status, 's', 1)?.phase, 'Succeeded');
    assert.equal(stageStatus(decision.status, 's')?.phase, 'Failed');
    assert.equal(stageStatus(decision.status, 's')?.message, 'workflow s/0 (w1) failed: action "a" failed: boom');
  });

  test('stages that do not depend on it go on, even ones that start after the failure', () => {
    const { decision, requested } = driveToEnd(resolved, failing('s/0/a'));

    assert.ok(requested.indexOf('v/0/c') > requested.indexOf('s/0/a'));
    assert.equal(stageStatus(decision.status, 'v')?.phase, 'Succeeded');
  });

  test('its dependants are Skipped, naming the dependency, transitively', () => {
    const { decision } = driveToEnd(resolved, failing('s/0/a'));

    assert.equal(stageStatus(decision.status, 't')?.message, 'skipped: depends on stage "s", which Failed');
    assert.equal(stageStatus(decision.status, 'w')?.message, 'skipped: depends on stage "t", which Skipped');
    assert.deepEqual(phases(decision.status, ['t/0/d', 'w/0/e']), ['Skipped', 'Skipped']);
  });
});

describe('the failed execution', () => {
  test('the message names the first failed stage, workflow and action with its message, and counts the others', () => {
    const resolved = plan(stage('s', [workflow('w1', ['a']), workflow('w2', ['b'])], { failurePolicy: 'Continue', parallel: true }));

    const { decision } = driveToEnd(resolved, (path) => fatal(`${path} refused`));

    assert.deepEqual(decision.finished, { phase: 'Failed', message: 'stage "s", workflow s/0 (w1), action "a" failed: s/0/a refused; 1 more failed' });
    assert.equal(decision.status.message, decision.finished.message);
    assert.equal(decision.status.completionTime !== undefined, true);
  });

  test('workflow, stage and execution failures are Warning events with their messages', () => {
    const { events } = driveToEnd(singleWorkflowPlan(['a']), failing('s/0/a'));

    const warnings = events.filter((event) => event.type === 'Warning').map((event) => [event.reason, event.message]);
    assert.deepEqual(warnings, [
      ['WorkflowFailed', 'Workflow s/0 (wf) failed: action "a" failed: boom'],
      ['StageFailed', 'Stage "s" failed: workflow s/0 (wf) failed: action "a" failed: boom'],
      ['ExecutionFailed', 'stage "s", workflow s/0 (wf), action "a" failed: boom'],
    ]);
  });

  test('a plan whose stage depends on a stage not in the plan fails, naming it', () => {
    const resolved = plan(stage('s', [workflow('w', ['a'])], { dependsOn: ['ghost'] }));

    const decision = run(resolved, {}, T0);

    assert.equal(decision.finished?.phase, 'Failed');
    assert.equal(decision.finished.message, 'stage "s" Skipped: skipped: depends on stage "ghost", which is not in the plan');
  });
});
