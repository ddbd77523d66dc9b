import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Action, DRPlanExecutionStatus } from '../../../shared/api/index.js';
import { claimAttempt, heartbeat, recordAttempt } from '../../../shared/engine/attempt.js';
import { RECORD_GRACE_MS } from '../../../shared/engine/resync.js';
import {
  actionStatus,
  at,
  httpAction,
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

const PATH = 's/0/a';
const resolved = singleWorkflowPlan(['a', 'b']);
const requested = run(resolved, {}, T0).status;
/** `a` claimed at T0 + 1s. */
const claimed = claimAttempt(requested, PATH, 1, at(1)).status;

describe('requests nobody claimed', () => {
  const cases: { name: string; now: Date; options?: { requestTimeoutMs: number }; again: boolean }[] = [
    { name: 'is not requested again within 30s', now: at(30), again: false },
    { name: 'is requested again after 30s, same attempt', now: at(31), again: true },
    { name: 'follows requestTimeoutMs', now: at(6), options: { requestTimeoutMs: 5000 }, again: true },
  ];
  for (const { name, now, options, again } of cases) {
    test(`a request not claimed ${name}`, () => {
      const decision = run(resolved, requested, now, options === undefined ? {} : { options });

      assert.deepEqual(decision.requests, again ? [{ path: PATH, stage: 's', workflowIndex: 0, action: 'a', attempt: 1 }] : []);
      assert.equal(actionStatus(decision.status, PATH)?.requestedAt, (again ? now : T0).toISOString());
    });
  }
});

describe('retries', () => {
  const failed = recordAttempt(claimed, { path: PATH, attempt: 1, result: { ok: false, retryable: true, message: 'HTTP 502' }, now: at(2) }).status;

  test('a retry is not requested before its nextAttemptAt, and nothing is written meanwhile', () => {
    const decision = run(resolved, failed, at(6));

    assert.deepEqual(decision.requests, []);
    assert.equal(decision.changed, false);
  });

  test('a retry is requested once its nextAttemptAt has come: next attempt, requestedAt now', () => {
    const decision = run(resolved, failed, at(7));

    const action = actionStatus(decision.status, PATH);
    assert.deepEqual(decision.requests, [{ path: PATH, stage: 's', workflowIndex: 0, action: 'a', attempt: 2 }]);
    assert.deepEqual([action?.phase, action?.requestedAt, action?.nextAttemptAt, action?.retryCount], ['Pending', at(7).toISOString(), undefined, 1]);
  });
});

describe('action timeouts', () => {
  const slow = singleWorkflowPlan([httpAction('a', { timeout: '1m', retryPolicy: { limit: 1, interval: '10s', backoffMultiplier: '2.0' } }), 'b']);
  const slowClaimed = claimAttempt(run(slow, {}, T0).status, PATH, 1, at(1)).status;

  test('a Running attempt within its timeout is left alone', () => {
    const alive = heartbeat(slowClaimed, PATH, 1, at(50)).status;

    const decision = run(slow, alive, at(60));

    assert.deepEqual(decision.timedOut, []);
    assert.equal(actionStatus(decision.status, PATH)?.phase, 'Running');
  });

  test('an HTTP attempt just past its timeout is left to run-action, which fails it itself, for a moment (RECORD_GRACE_MS)', () => {
    const decision = run(slow, heartbeat(slowClaimed, PATH, 1, at(60)).status, at(1 + 60 + RECORD_GRACE_MS / 1000 - 1));

    assert.deepEqual([decision.requests, decision.timedOut], [[], []]);
    assert.equal(actionStatus(decision.status, PATH)?.phase, 'Running');
  });

  const ATTEMPT_1 = { path: PATH, stage: 's', workflowIndex: 0, action: 'a', attempt: 1 };
  /** Past its timeout and the grace at 91s: re-driven once with the same identity, claimed again at 92s. */
  const redriven = run(slow, heartbeat(slowClaimed, PATH, 1, at(60)).status, at(91));
  const reclaimed = claimAttempt(redriven.status, PATH, 1, at(92)).status;

  test('an HTTP attempt silent past its timeout is requested again once, with the same identity', () => {
    const action = actionStatus(redriven.status, PATH);
    assert.deepEqual(redriven.requests, [ATTEMPT_1]);
    assert.deepEqual(redriven.timedOut, []);
    assert.deepEqual([action?.phase, action?.attempt, action?.retryCount, action?.redrivenAt], ['Unknown', 1, undefined, at(91).toISOString()]);
    assert.equal(action?.message, 'attempt 1 had no result within 1m; requested again with the same identity');
    assert.equal(run(slow, redriven.status, at(91)).changed, false);
  });

  test('a re-driven attempt still silent past its second deadline counts as failed: retried per policy and listed in timedOut', () => {
    const alive = heartbeat(reclaimed, PATH, 1, at(180)).status;

    const decision = run(slow, alive, at(181));

    const action = actionStatus(decision.status, PATH);
    assert.deepEqual(decision.timedOut, [ATTEMPT_1]);
    assert.deepEqual([action?.phase, action?.attempt, action?.retryCount, action?.nextAttemptAt], ['Pending', 2, 1, at(191).toISOString()]);
    assert.deepEqual(decision.events, [
      { reason: 'ActionRetrying', type: 'Warning', message: 'Action s/0/a: attempt 1 failed: timed out after 1m; retry 1 of 1 in 10s', path: PATH },
    ]);
  });

  test('an HTTP attempt lost past its deadlines leaves its key unsettled: the retry sends the same Idempotency-Key', () => {
    const alive = heartbeat(reclaimed, PATH, 1, at(180)).status;

    const decision = run(slow, alive, at(181));

    assert.equal(actionStatus(decision.status, PATH)?.outputs?.unsettledAttempt, 1);
  });

  test('a new attempt gets its own re-drive, and with no retries left a second silence fails the action', () => {
    const retry = run(slow, run(slow, heartbeat(reclaimed, PATH, 1, at(180)).status, at(181)).status, at(191)).status;
    const second = claimAttempt(retry, PATH, 2, at(192)).status;
    assert.equal(actionStatus(second, PATH)?.redrivenAt, undefined);
    const again = claimAttempt(run(slow, second, at(282)).status, PATH, 2, at(283)).status;

    const decision = run(slow, again, at(372));

    assert.equal(actionStatus(decision.status, PATH)?.phase, 'Failed');
    assert.equal(actionStatus(decision.status, PATH)?.message, 'timed out after 1m (after 2 attempts)');
    assert.deepEqual(
      decision.timedOut.map((request) => request.attempt),
      [2],
    );
    assert.equal(decision.finished?.phase, 'Failed');
  });

  test('a Job attempt past its timeout fails at once: the Job runs on its own, its timeout is real', () => {
    const job: Action = {
      name: 'a',
      type: 'Job',
      timeout: '1m',
      retryPolicy: { limit: 0, interval: '5s', backoffMultiplier: '2.0' },
      job: { template: { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }] } } } } },
    };
    const jobPlan = singleWorkflowPlan([job]);
    const running = claimAttempt(run(jobPlan, {}, T0).status, PATH, 1, at(1)).status;

    const decision = run(jobPlan, running, at(61));

    assert.deepEqual(decision.timedOut, [ATTEMPT_1]);
    assert.equal(actionStatus(decision.status, PATH)?.phase, 'Failed');
  });

  test('a retry due at once after a timeout is requested in the same decision', () => {
    const eager = singleWorkflowPlan([httpAction('a', { timeout: '1m', retryPolicy: { limit: 2, interval: '0s', backoffMultiplier: '2.0' } })]);
    const running = claimAttempt(run(eager, {}, T0).status, PATH, 1, T0).status;
    const resumed = claimAttempt(run(eager, running, at(90)).status, PATH, 1, at(90)).status;

    const decision = run(eager, resumed, at(180));

    assert.deepEqual(
      decision.requests.map((request) => request.attempt),
      [2],
    );
    assert.equal(run(eager, decision.status, at(180)).changed, false);
  });

  test('a timeout of 0 means no timeout', () => {
    const unbounded = singleWorkflowPlan([httpAction('a', { timeout: '0s' })]);
    const running = claimAttempt(run(unbounded, {}, T0).status, PATH, 1, T0).status;

    const decision = run(unbounded, heartbeat(running, PATH, 1, at(86_400)).status, at(86_400));

    assert.equal(actionStatus(decision.status, PATH)?.phase, 'Running');
  });
});

describe('attempts that stop showing progress', () => {
  test('a Running attempt without progress for 2 minutes becomes Unknown and is requested again, same attempt', () => {
    const decision = run(resolved, claimed, at(121));

    assert.equal(actionStatus(decision.status, PATH)?.phase, 'Unknown');
    assert.deepEqual(decision.requests, [{ path: PATH, stage: 's', workflowIndex: 0, action: 'a', attempt: 1 }]);
    assert.equal(decision.status.phase, 'Unknown');
    assert.equal(decision.status.message, 'no progress from action s/0/a for 2m0s; requested again');
  });

  test('a heartbeat keeps an attempt Running', () => {
    const alive = heartbeat(claimed, PATH, 1, at(100)).status;

    const decision = run(resolved, alive, at(121));

    assert.equal(actionStatus(decision.status, PATH)?.phase, 'Running');
    assert.equal(decision.status.phase, 'Running');
  });

  test('unknownAfterMs sets how long without progress counts as lost', () => {
    const decision = run(resolved, claimed, at(12), { options: { unknownAfterMs: 10_000 } });

    assert.equal(actionStatus(decision.status, PATH)?.phase, 'Unknown');
  });

  test('an Unknown attempt whose new request is not claimed is requested again after the request timeout', () => {
    const lost = run(resolved, claimed, at(121)).status;

    const early = run(resolved, lost, at(150));
    const late = run(resolved, lost, at(152));

    assert.deepEqual(requestedPaths(early), []);
    assert.deepEqual(requestedPaths(late), [PATH]);
  });

  test('the execution is Running again once no action is Unknown', () => {
    const lost = run(resolved, claimed, at(121)).status;
    const back = heartbeat(lost, PATH, 1, at(125)).status;

    const decision = run(resolved, back, at(125));

    assert.equal(decision.status.phase, 'Running');
    assert.equal(decision.status.message, undefined);
  });

  test("an Unknown attempt's deadline still counts from when it was claimed", () => {
    const lost = run(resolved, claimed, at(121)).status;
    const reclaimed = claimAttempt(lost, PATH, 1, at(122)).status;

    const decision = run(resolved, heartbeat(reclaimed, PATH, 1, at(330)).status, at(331));

    assert.equal(actionStatus(decision.status, PATH)?.redrivenAt, at(331).toISOString());
    assert.deepEqual(
      decision.requests.map((request) => request.attempt),
      [1],
    );
  });
});

describe('cancellation', () => {
  const twoStages = plan(
    stage('s', [workflow('w1', ['a', 'b']), workflow('w2', ['c'])], { parallel: true }),
    stage('t', [workflow('w3', ['d'])], { dependsOn: ['s'] }),
  );
  const started = run(twoStages, {}, T0).status;
  /** `a` Running, `c` requested but not claimed. */
  const midway = claimAttempt(started, 's/0/a', 1, at(1)).status;

  test('nothing new is requested and pending work is Skipped as cancelled', () => {
    const decision = run(twoStages, midway, at(2), { cancelRequested: true });

    assert.deepEqual(decision.requests, []);
    assert.deepEqual(phases(decision.status, ['s/0/b', 's/1/c', 't/0/d']), ['Skipped', 'Skipped', 'Skipped']);
    assert.equal(actionStatus(decision.status, 's/1/c')?.message, 'cancelled');
    assert.equal(actionStatus(decision.status, 's/1/c')?.requestedAt, undefined);
    assert.deepEqual([stageStatus(decision.status, 't')?.phase, stageStatus(decision.status, 't')?.message], ['Skipped', 'cancelled']);
  });

  test('running attempts fail as cancelled while running and are listed for their Jobs to be deleted', () => {
    const decision = run(twoStages, midway, at(2), { cancelRequested: true });

    assert.deepEqual(actionStatus(decision.status, 's/0/a')?.message, 'cancelled while running');
    assert.equal(actionStatus(decision.status, 's/0/a')?.phase, 'Failed');
    assert.deepEqual(decision.cancelled, [{ path: 's/0/a', stage: 's', workflowIndex: 0, action: 'a', attempt: 1 }]);
    assert.equal(workflowStatus(decision.status, 's', 0)?.phase, 'Failed');
    assert.equal(stageStatus(decision.status, 's')?.phase, 'Failed');
  });

  test('the execution ends Cancelled with its completion time and an event', () => {
    const decision = run(twoStages, midway, at(2), { cancelRequested: true });

    assert.equal(decision.status.phase, 'Cancelled');
    assert.equal(decision.status.completionTime, at(2).toISOString());
    assert.deepEqual(decision.finished, { phase: 'Cancelled', message: 'cancelled; stopped 1 running action' });
    assert.deepEqual(decision.events, [{ reason: 'ExecutionCancelled', type: 'Normal', message: 'cancelled; stopped 1 running action' }]);
    assert.equal(decision.status.progress, '4/4 actions');
  });

  test('an Unknown attempt is cancelled like a running one', () => {
    const lost = run(resolved, claimed, at(121)).status;

    const decision = run(resolved, lost, at(122), { cancelRequested: true });

    assert.deepEqual(
      decision.cancelled.map((request) => request.path),
      [PATH],
    );
  });

  test('an execution cancelled before it started skips everything and starts nothing', () => {
    const decision = run(twoStages, {}, T0, { cancelRequested: true });

    assert.equal(decision.status.phase, 'Cancelled');
    assert.equal(decision.status.startTime, undefined);
    assert.deepEqual(
      decision.events.map((event) => event.reason),
      ['ExecutionCancelled'],
    );
    assert.deepEqual(phases(decision.status, ['s/0/a', 's/0/b', 's/1/c', 't/0/d']), ['Skipped', 'Skipped', 'Skipped', 'Skipped']);
  });

  test('cancelling a finished execution changes nothing', () => {
    const cancelled = run(twoStages, midway, at(2), { cancelRequested: true }).status;

    const again = run(twoStages, cancelled, at(3), { cancelRequested: true });

    assert.equal(again.changed, false);
    assert.deepEqual(again.cancelled, []);
    assert.deepEqual(again.events, []);
  });

  test('a late result for a cancelled attempt is ignored', () => {
    const cancelled: DRPlanExecutionStatus = run(twoStages, midway, at(2), { cancelRequested: true }).status;

    const late = recordAttempt(cancelled, { path: 's/0/a', attempt: 1, result: { ok: true }, now: at(3) });

    assert.equal(late.recorded, false);
  });
});
