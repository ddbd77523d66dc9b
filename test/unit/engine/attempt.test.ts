import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ActionStatus, DRPlanExecutionStatus } from '../../../shared/api/index.js';
import { actionPath, parseActionPath, workflowPath } from '../../../shared/engine/action-path.js';
import { claimAttempt, heartbeat, recordAttempt, recordLateOutcome, type AttemptReport } from '../../../shared/engine/attempt.js';
import { actionStatus, at, T0 } from './scheduler-helpers.js';

const PATH = 's/0/call';

/** An execution whose only action is in the given state. */
function withAction(action: Partial<ActionStatus>): DRPlanExecutionStatus {
  return {
    phase: 'Running',
    stageStatuses: [
      {
        name: 's',
        phase: 'Running',
        workflowExecutions: [{ workflowRef: { name: 'wf' }, phase: 'Running', actionStatuses: [{ name: 'call', phase: 'Pending', ...action }] }],
      },
    ],
  };
}

const requested = withAction({ attempt: 1, requestedAt: T0.toISOString() });
const running = withAction({
  phase: 'Running',
  attempt: 2,
  retryCount: 1,
  attemptStartTime: T0.toISOString(),
  startTime: at(-60).toISOString(),
  lastUpdateTime: T0.toISOString(),
});

describe('action paths', () => {
  test('a path joins stage, workflow index and action name', () => {
    assert.equal(actionPath('db', 1, 'promote'), 'db/1/promote');
    assert.equal(workflowPath('db', 1), 'db/1');
  });

  const cases: { path: string; parsed: ReturnType<typeof parseActionPath> }[] = [
    { path: 'db/1/promote', parsed: { stage: 'db', workflowIndex: 1, action: 'promote' } },
    { path: 'db/0/a/b', parsed: { stage: 'db', workflowIndex: 0, action: 'a/b' } },
    { path: 'db/x/promote', parsed: undefined },
    { path: 'db/01/promote', parsed: undefined },
    { path: 'db/promote', parsed: undefined },
    { path: '', parsed: undefined },
  ];
  for (const { path, parsed } of cases) {
    test(`parsing "${path}" gives ${parsed === undefined ? 'nothing' : 'its parts'}`, () => {
      assert.deepEqual(parseActionPath(path), parsed);
    });
  }
});

describe('claimAttempt', () => {
  test("a requested first attempt is claimed: Running, started (the action's start is the attempt's), the request cleared", () => {
    const result = claimAttempt(requested, PATH, 1, at(3));

    assert.equal(result.claimed, true);
    assert.deepEqual(actionStatus(result.status, PATH), {
      name: 'call',
      phase: 'Running',
      attempt: 1,
      startTime: at(3).toISOString(),
      lastUpdateTime: at(3).toISOString(),
    });
    assert.deepEqual(result.events, [{ reason: 'ActionStarted', type: 'Normal', message: 'Action s/0/call: attempt 1 started', path: PATH }]);
  });

  test("a later attempt keeps the action's first start time", () => {
    const retry = withAction({ attempt: 2, retryCount: 1, startTime: T0.toISOString(), requestedAt: at(10).toISOString() });

    const result = claimAttempt(retry, PATH, 2, at(11));

    assert.equal(actionStatus(result.status, PATH)?.startTime, T0.toISOString());
    assert.equal(actionStatus(result.status, PATH)?.attemptStartTime, at(11).toISOString());
  });

  test('a retry whose wait is over can be claimed before the scheduler requests it', () => {
    const retry = withAction({ attempt: 2, retryCount: 1, nextAttemptAt: at(5).toISOString() });

    const result = claimAttempt(retry, PATH, 2, at(5));

    assert.equal(result.claimed, true);
    assert.equal(actionStatus(result.status, PATH)?.nextAttemptAt, undefined);
  });

  test('an Unknown attempt is claimed again without restarting its timeout clock', () => {
    const lost = withAction({ phase: 'Unknown', attempt: 1, attemptStartTime: T0.toISOString(), requestedAt: at(150).toISOString(), message: 'no progress' });

    const result = claimAttempt(lost, PATH, 1, at(160));

    const action = actionStatus(result.status, PATH);
    assert.equal(result.claimed, true);
    assert.equal(action?.phase, 'Running');
    assert.equal(action.attemptStartTime, T0.toISOString());
    assert.equal(action.lastUpdateTime, at(160).toISOString());
    assert.equal(action.message, undefined);
    assert.match(result.events[0]?.message ?? '', /attempt 1 resumed/);
  });

  const refused: { name: string; status: DRPlanExecutionStatus; path: string; attempt: number }[] = [
    { name: 'an attempt already claimed (a duplicate request)', status: claimAttempt(requested, PATH, 1, T0).status, path: PATH, attempt: 1 },
    { name: 'another attempt than the one requested', status: requested, path: PATH, attempt: 2 },
    { name: 'an action never requested', status: withAction({}), path: PATH, attempt: 1 },
    { name: 'a retry still waiting for its time', status: withAction({ attempt: 2, nextAttemptAt: at(60).toISOString() }), path: PATH, attempt: 2 },
    { name: 'a finished action', status: withAction({ phase: 'Succeeded', attempt: 1 }), path: PATH, attempt: 1 },
    { name: 'a skipped action', status: withAction({ phase: 'Skipped', attempt: 1 }), path: PATH, attempt: 1 },
    { name: 'a path that is not in the execution', status: requested, path: 's/1/call', attempt: 1 },
    { name: 'an execution without a status tree', status: {}, path: PATH, attempt: 1 },
  ];
  for (const { name, status, path, attempt } of refused) {
    test(`claiming ${name} is a no-op`, () => {
      const before = structuredClone(status);

      const result = claimAttempt(status, path, attempt, at(1));

      assert.equal(result.claimed, false);
      assert.deepEqual(result.status, before);
      assert.deepEqual(result.events, []);
    });
  }

  test('claiming never mutates its input', () => {
    const before = structuredClone(requested);

    claimAttempt(requested, PATH, 1, at(1));

    assert.deepEqual(requested, before);
  });
});

describe('recordAttempt', () => {
  test('a success ends the action Succeeded with its outputs and completion time (progress is for running actions)', () => {
    const outputs = { httpResponse: { statusCode: 200 } };

    const result = recordAttempt(running, { path: PATH, attempt: 2, result: { ok: true, outputs }, now: at(4) });

    const action = actionStatus(result.status, PATH);
    assert.equal(result.recorded, true);
    assert.equal(action?.phase, 'Succeeded');
    assert.equal(action.message, 'succeeded on attempt 2');
    assert.equal(action.completionTime, at(4).toISOString());
    assert.equal(action.lastUpdateTime, undefined);
    assert.deepEqual(action.outputs, outputs);
    assert.equal(result.retryAt, undefined);
    assert.deepEqual(result.events, [{ reason: 'ActionSucceeded', type: 'Normal', message: 'Action s/0/call succeeded', path: PATH }]);
  });

  test('a retryable failure with retries left schedules the next attempt after the backoff', () => {
    const result = recordAttempt(running, {
      path: PATH,
      attempt: 2,
      result: { ok: false, retryable: true, message: 'HTTP 503' },
      policy: { limit: 3, interval: '10s', backoffMultiplier: '2.0' },
      now: at(4),
    });

    const action = actionStatus(result.status, PATH);
    assert.equal(result.recorded, true);
    assert.deepEqual(
      {
        phase: action?.phase,
        attempt: action?.attempt,
        retryCount: action?.retryCount,
        nextAttemptAt: action?.nextAttemptAt,
        requestedAt: action?.requestedAt,
        attemptStartTime: action?.attemptStartTime,
      },
      { phase: 'Pending', attempt: 3, retryCount: 2, nextAttemptAt: at(24).toISOString(), requestedAt: undefined, attemptStartTime: undefined },
    );
    assert.equal(action?.message, 'attempt 2 failed: HTTP 503; retry 2 of 3 in 20s');
    assert.deepEqual(result.retryAt, at(24));
    assert.deepEqual(result.events, [
      { reason: 'ActionRetrying', type: 'Warning', message: 'Action s/0/call: attempt 2 failed: HTTP 503; retry 2 of 3 in 20s', path: PATH },
    ]);
  });

  const finalFailures: { name: string; retryable: boolean; policy: AttemptReport['policy']; message: string }[] = [
    { name: 'a failure that is not retryable', retryable: false, policy: undefined, message: 'HTTP 400 (after 2 attempts)' },
    {
      name: 'a retryable failure with no retries left',
      retryable: true,
      policy: { limit: 1, interval: '1s', backoffMultiplier: '2.0' },
      message: 'HTTP 400 (after 2 attempts)',
    },
  ];
  for (const { name, retryable, policy, message } of finalFailures) {
    test(`${name} ends the action Failed`, () => {
      const result = recordAttempt(running, { path: PATH, attempt: 2, result: { ok: false, retryable, message: 'HTTP 400' }, policy, now: at(4) });

      const action = actionStatus(result.status, PATH);
      assert.equal(action?.phase, 'Failed');
      assert.equal(action.message, message);
      assert.equal(action.completionTime, at(4).toISOString());
      assert.equal(result.retryAt, undefined);
      assert.deepEqual(result.events, [{ reason: 'ActionFailed', type: 'Warning', message: `Action s/0/call failed: ${message}`, path: PATH }]);
    });
  }

  test('the result of an Unknown attempt is still recorded', () => {
    const lost = withAction({ phase: 'Unknown', attempt: 1, attemptStartTime: T0.toISOString() });

    const result = recordAttempt(lost, { path: PATH, attempt: 1, result: { ok: true }, now: at(200) });

    assert.equal(result.recorded, true);
    assert.equal(actionStatus(result.status, PATH)?.phase, 'Succeeded');
  });

  const ignored: { name: string; status: DRPlanExecutionStatus; attempt: number }[] = [
    { name: 'an attempt that was never claimed', status: requested, attempt: 1 },
    { name: 'an earlier attempt than the current one', status: running, attempt: 1 },
    {
      name: 'an attempt already recorded (a duplicate result)',
      status: recordAttempt(running, { path: PATH, attempt: 2, result: { ok: true }, now: T0 }).status,
      attempt: 2,
    },
  ];
  for (const { name, status, attempt } of ignored) {
    test(`the result of ${name} is ignored`, () => {
      const result = recordAttempt(status, { path: PATH, attempt: attempt, result: { ok: false, retryable: false, message: 'late' }, now: at(9) });

      assert.equal(result.recorded, false);
      assert.deepEqual(result.status, status);
      assert.deepEqual(result.events, []);
    });
  }
});

describe('heartbeat', () => {
  test('a heartbeat moves lastUpdateTime on', () => {
    const result = heartbeat(running, PATH, 2, at(30));

    assert.equal(result.changed, true);
    assert.equal(actionStatus(result.status, PATH)?.lastUpdateTime, at(30).toISOString());
  });

  test('a heartbeat brings an Unknown attempt back to Running', () => {
    const lost = withAction({ phase: 'Unknown', attempt: 1, requestedAt: at(120).toISOString(), message: 'no progress' });

    const result = heartbeat(lost, PATH, 1, at(130));

    const action = actionStatus(result.status, PATH);
    assert.equal(action?.phase, 'Running');
    assert.equal(action.requestedAt, undefined);
    assert.equal(action.message, undefined);
  });

  const noops: { name: string; status: DRPlanExecutionStatus; attempt: number; now: Date }[] = [
    { name: 'for another attempt', status: running, attempt: 1, now: at(30) },
    { name: 'for an attempt not yet claimed', status: requested, attempt: 1, now: at(30) },
    { name: 'at the time already recorded', status: running, attempt: 2, now: T0 },
  ];
  for (const { name, status, attempt, now } of noops) {
    test(`a heartbeat ${name} changes nothing`, () => {
      const result = heartbeat(status, PATH, attempt, now);

      assert.equal(result.changed, false);
      assert.deepEqual(result.status, status);
    });
  }
});

describe('recordLateOutcome', () => {
  const cancelled = withAction({ phase: 'Failed', attempt: 2, message: 'cancelled while running', completionTime: T0.toISOString() });
  const report = (result: AttemptReport['result'], attempt = 2): AttemptReport => ({ path: PATH, attempt, result, now: at(5) });

  test('keeps what a request stopped by cancel did after all: the answer, in the message and the outputs', () => {
    const outcome = recordLateOutcome(cancelled, report({ ok: true, outputs: { httpResponse: { statusCode: 201 } } }));
    assert.equal(outcome.recorded, true);
    const action = actionStatus(outcome.status, PATH);
    assert.deepEqual(
      { phase: action?.phase, message: action?.message, outputs: action?.outputs },
      { phase: 'Failed', message: 'cancelled while running; it completed all the same (HTTP 201)', outputs: { httpResponse: { statusCode: 201 } } },
    );
    assert.deepEqual(
      outcome.events.map((e) => [e.type, e.reason]),
      [['Warning', 'ActionFailed']],
    );
  });

  test('records an aborted request as one that may have had its effect', () => {
    const outcome = recordLateOutcome(
      cancelled,
      report({ ok: false, retryable: false, message: 'POST /x was aborted in flight', outputs: { unsettledAttempt: 2 } }),
    );
    const action = actionStatus(outcome.status, PATH);
    assert.deepEqual(
      { message: action?.message, outputs: action?.outputs },
      { message: 'cancelled while running; then: POST /x was aborted in flight', outputs: { unsettledAttempt: 2 } },
    );
  });

  const ignored: { name: string; status: DRPlanExecutionStatus; attempt?: number }[] = [
    { name: 'a second late outcome (one is recorded)', status: withAction({ phase: 'Failed', attempt: 2, message: 'cancelled while running; then: x' }) },
    { name: 'another attempt', status: cancelled, attempt: 1 },
    { name: 'an action that failed on its own', status: withAction({ phase: 'Failed', attempt: 2, message: 'HTTP 500' }) },
    { name: 'a running action (recordAttempt records that)', status: running },
  ];
  for (const { name, status, attempt } of ignored) {
    test(`ignores ${name}`, () => {
      const outcome = recordLateOutcome(status, report({ ok: true }, attempt));
      assert.deepEqual(outcome, { status, recorded: false, events: [] });
    });
  }
});
