import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DRPlanExecutionStatus } from '../../../shared/api/index.js';
import { claimAttempt } from '../../../shared/engine/attempt.js';
import {
  actionStatus,
  at,
  complete,
  driveToEnd,
  fatal,
  httpAction,
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

describe('starting an execution', () => {
  const resolved = plan(stage('prep', [workflow('wf', ['a', 'b'])]), stage('cut', [workflow('dns', ['c'])], { dependsOn: ['prep'], parallel: true }));

  for (const initial of [{}, { phase: 'Pending' }] satisfies DRPlanExecutionStatus[]) {
    test(`the first call moves ${initial.phase ?? 'an absent phase'} to Running and sets startTime`, () => {
      const decision = run(resolved, initial, T0);

      assert.equal(decision.status.phase, 'Running');
      assert.equal(decision.status.startTime, T0.toISOString());
      assert.equal(decision.changed, true);
      assert.deepEqual(decision.events[0], { reason: 'ExecutionStarted', type: 'Normal', message: 'Execution started: 2 stages, 3 actions' });
    });
  }

  test('the first call builds the status tree with every stage, workflow and action, copying dependsOn and parallel', () => {
    const decision = run(resolved, {}, T0);

    assert.deepEqual(stageStatus(decision.status, 'cut'), {
      name: 'cut',
      phase: 'Pending',
      parallel: true,
      dependsOn: ['prep'],
      workflowExecutions: [
        {
          workflowRef: { name: 'dns', namespace: 'dr' },
          phase: 'Pending',
          progress: '0/1 actions completed',
          actionStatuses: [{ name: 'c', phase: 'Pending' }],
        },
      ],
    });
    assert.deepEqual(phases(decision.status, ['prep/0/a', 'prep/0/b']), ['Pending', 'Pending']);
  });

  test('the first action is requested: attempt 1, requestedAt now', () => {
    const decision = run(resolved, {}, T0);

    assert.deepEqual(decision.requests, [{ path: 'prep/0/a', stage: 'prep', workflowIndex: 0, action: 'a', attempt: 1 }]);
    assert.deepEqual(actionStatus(decision.status, 'prep/0/a'), { name: 'a', phase: 'Pending', attempt: 1, requestedAt: T0.toISOString() });
    assert.equal(workflowStatus(decision.status, 'prep')?.currentAction, 'a');
  });

  test('the input status is never mutated', () => {
    const input: DRPlanExecutionStatus = { phase: 'Pending' };

    run(resolved, input, T0);

    assert.deepEqual(input, { phase: 'Pending' });
  });

  test('an execution already Running with a tree (as a Revert starts) records no start event', () => {
    const started = run(resolved, {}, T0).status;

    const decision = run(resolved, { ...started, stageStatuses: undefined, summary: undefined }, T0);

    assert.equal(
      decision.events.some((event) => event.reason === 'ExecutionStarted'),
      false,
    );
  });
});

describe('stage ordering', () => {
  test('stages without a dependency between them start at the same time', () => {
    const resolved = plan(stage('a', [workflow('w1', ['x'])]), stage('b', [workflow('w2', ['y'])]), stage('c', [workflow('w3', ['z'])], { dependsOn: ['a'] }));

    const decision = run(resolved, {}, T0);

    assert.deepEqual(requestedPaths(decision), ['a/0/x', 'b/0/y']);
    assert.equal(stageStatus(decision.status, 'c')?.phase, 'Pending');
  });

  test('a stage starts only when every stage it depends on Succeeded', () => {
    const resolved = plan(
      stage('a', [workflow('w1', ['x'])]),
      stage('b', [workflow('w2', ['y'])]),
      stage('c', [workflow('w3', ['z'])], { dependsOn: ['a', 'b'] }),
    );
    const first = run(resolved, {}, T0);
    const [x, y] = first.requests;
    assert.ok(x !== undefined && y !== undefined);

    const afterA = run(resolved, complete(first.status, x, ok, at(1)), at(1));
    const afterB = run(resolved, complete(afterA.status, y, ok, at(2)), at(2));

    assert.equal(stageStatus(afterA.status, 'c')?.phase, 'Pending');
    assert.deepEqual(requestedPaths(afterA), []);
    assert.equal(stageStatus(afterB.status, 'c')?.phase, 'Running');
    assert.deepEqual(requestedPaths(afterB), ['c/0/z']);
  });

  test('a dependency listed later in the plan still runs first', () => {
    const resolved = plan(stage('late', [workflow('w1', ['x'])], { dependsOn: ['early'] }), stage('early', [workflow('w2', ['y'])]));

    const { requested } = driveToEnd(resolved);

    assert.deepEqual(requested, ['early/0/y', 'late/0/x']);
  });
});

describe('workflows in a stage', () => {
  test('a parallel stage starts every workflow at once', () => {
    const resolved = plan(stage('s', [workflow('w1', ['a', 'b']), workflow('w2', ['c'])], { parallel: true }));

    const decision = run(resolved, {}, T0);

    assert.deepEqual(requestedPaths(decision), ['s/0/a', 's/1/c']);
    assert.deepEqual(
      decision.events.filter((event) => event.reason === 'WorkflowStarted').map((event) => event.path),
      ['s/0', 's/1'],
    );
  });

  test('a sequential stage runs its workflows one after another', () => {
    const resolved = plan(stage('s', [workflow('w1', ['a', 'b']), workflow('w2', ['c'])]));

    const { requested } = driveToEnd(resolved);
    const first = run(resolved, {}, T0);

    assert.equal(workflowStatus(first.status, 's', 1)?.phase, 'Pending');
    assert.deepEqual(requested, ['s/0/a', 's/0/b', 's/1/c']);
  });

  test('the same workflow used twice in a stage is told apart by its index', () => {
    const resolved = plan(stage('s', [workflow('same', ['a']), workflow('same', ['a'])], { parallel: true }));

    const decision = run(resolved, {}, T0);

    assert.deepEqual(
      decision.requests.map((request) => [request.path, request.workflowIndex]),
      [
        ['s/0/a', 0],
        ['s/1/a', 1],
      ],
    );
  });

  test('a workflow runs one action at a time: nothing more is requested while an attempt is under way', () => {
    const resolved = singleWorkflowPlan(['a', 'b', 'c']);
    const first = run(resolved, {}, T0);
    const request = first.requests[0];
    assert.ok(request !== undefined);

    const claimed = run(resolved, claimAttempt(first.status, request.path, 1, at(1)).status, at(1));

    assert.deepEqual(requestedPaths(claimed), []);
    assert.deepEqual(phases(claimed.status, ['s/0/a', 's/0/b', 's/0/c']), ['Running', 'Pending', 'Pending']);
  });
});

describe('skipping actions', () => {
  const whenCases: { when: string; skipped: boolean }[] = [
    { when: 'false', skipped: true },
    { when: 'FALSE', skipped: true },
    { when: ' False ', skipped: true },
    { when: '0', skipped: true },
    { when: ' 0\n', skipped: true },
    { when: '', skipped: true },
    { when: '   ', skipped: true },
    { when: 'true', skipped: false },
    { when: '1', skipped: false },
    { when: 'no', skipped: false },
    { when: 'false-ish', skipped: false },
  ];
  for (const { when, skipped } of whenCases) {
    test(`an action whose rendered when is ${JSON.stringify(when)} ${skipped ? 'is Skipped' : 'runs'}`, () => {
      const resolved = singleWorkflowPlan([httpAction('gated', { when }), 'next']);

      const decision = run(resolved, {}, T0);

      const gated = actionStatus(decision.status, 's/0/gated');
      assert.equal(gated?.phase, skipped ? 'Skipped' : 'Pending');
      if (skipped) assert.equal(gated.message, `skipped: when is ${JSON.stringify(when)}`);
      assert.deepEqual(requestedPaths(decision), [skipped ? 's/0/next' : 's/0/gated']);
    });
  }

  const dependsCases: { name: string; outcome: 'ok' | 'fail' | 'skip'; phase: string; message?: string }[] = [
    { name: 'an action whose dependency succeeded runs', outcome: 'ok', phase: 'Succeeded' },
    { name: 'an action whose dependency failed is Skipped', outcome: 'fail', phase: 'Skipped', message: 'skipped: depends on action "first", which Failed' },
    {
      name: 'an action whose dependency was skipped is Skipped',
      outcome: 'skip',
      phase: 'Skipped',
      message: 'skipped: depends on action "first", which Skipped',
    },
  ];
  for (const { name, outcome, phase, message } of dependsCases) {
    test(name, () => {
      const first = httpAction('first', outcome === 'skip' ? { when: 'false' } : {});
      const resolved = singleWorkflowPlan([first, 'middle', httpAction('last', { dependsOn: ['first'] })], 'Continue');

      const { decision } = driveToEnd(resolved, (path) => (path === 's/0/first' && outcome === 'fail' ? fatal() : ok));

      const last = actionStatus(decision.status, 's/0/last');
      assert.equal(last?.phase, phase);
      assert.equal(last.message, message);
      assert.equal(actionStatus(decision.status, 's/0/middle')?.phase, 'Succeeded');
    });
  }

  test('an action depending on an action not in its workflow is Skipped with the name', () => {
    const resolved = singleWorkflowPlan([httpAction('a', { dependsOn: ['ghost'] })]);

    const decision = run(resolved, {}, T0);

    assert.equal(actionStatus(decision.status, 's/0/a')?.message, 'skipped: depends on action "ghost", which is not in this workflow');
  });

  test('a workflow whose actions are all skipped succeeds', () => {
    const resolved = singleWorkflowPlan([httpAction('a', { when: 'false' })]);

    const decision = run(resolved, {}, T0);

    assert.equal(workflowStatus(decision.status, 's')?.phase, 'Succeeded');
    assert.equal(decision.finished?.phase, 'Succeeded');
  });
});

describe('a revert plan (actions pre-set to Skipped)', () => {
  const steps = [httpAction('undo-c'), httpAction('undo-b', { when: 'false' }), httpAction('undo-a')];
  const resolved = { ...plan(stage('rollback', [workflow('exec-1', steps)])), rollbackSteps: [] };
  const initial: DRPlanExecutionStatus = {
    phase: 'Running',
    startTime: T0.toISOString(),
    stageStatuses: [
      {
        name: 'rollback',
        phase: 'Pending',
        parallel: false,
        workflowExecutions: [
          {
            workflowRef: { name: 'exec-1', namespace: 'dr' },
            phase: 'Pending',
            actionStatuses: [
              { name: 'undo-c', phase: 'Pending', rollbackOf: 'main/0/c' },
              { name: 'undo-b', phase: 'Skipped', message: 'an HTTP action cannot be undone automatically', rollbackOf: 'main/0/b' },
              { name: 'undo-a', phase: 'Pending', rollbackOf: 'main/0/a' },
            ],
          },
        ],
      },
    ],
  };

  test('pre-skipped actions stay Skipped with their message and are passed over', () => {
    const { decision, requested } = driveToEnd(resolved, () => ok, initial);

    assert.deepEqual(requested, ['rollback/0/undo-c', 'rollback/0/undo-a']);
    assert.deepEqual(actionStatus(decision.status, 'rollback/0/undo-b'), initial.stageStatuses?.[0]?.workflowExecutions?.[0]?.actionStatuses?.[1]);
    assert.equal(actionStatus(decision.status, 'rollback/0/undo-a')?.rollbackOf, 'main/0/a');
    assert.equal(decision.status.phase, 'Succeeded');
  });

  test('a revert records Revert events, not Execution events', () => {
    const { events } = driveToEnd(resolved, () => ok, { ...initial, phase: 'Pending' });

    const reasons = events.map((event) => event.reason);
    assert.ok(reasons.includes('RevertStarted'));
    assert.ok(reasons.includes('RevertSucceeded'));
    assert.equal(
      reasons.some((reason) => reason.startsWith('Execution')),
      false,
    );
  });

  test('a failed rollback step fails the revert and skips the rest', () => {
    const { decision, events } = driveToEnd(resolved, (path) => (path === 'rollback/0/undo-c' ? fatal('forbidden') : ok), initial);

    assert.equal(decision.finished?.phase, 'Failed');
    assert.equal(actionStatus(decision.status, 'rollback/0/undo-a')?.phase, 'Skipped');
    assert.deepEqual(events.at(-1), { reason: 'RevertFailed', type: 'Warning', message: decision.finished.message });
  });
});

describe('progress, summary and durations', () => {
  const resolved = plan(stage('s', [workflow('w1', ['a', 'b', 'c']), workflow('w2', ['d'])], { parallel: true }));

  test('progress counts done actions (Succeeded, Failed, Skipped) out of all actions', () => {
    const first = run(resolved, {}, T0);
    const a = first.requests[0];
    assert.ok(a !== undefined);

    const next = run(resolved, complete(first.status, a, ok, at(5)), at(5));

    assert.equal(first.status.progress, '0/4 actions');
    assert.equal(next.status.progress, '1/4 actions');
    assert.equal(workflowStatus(next.status, 's', 0)?.progress, '1/3 actions completed');
    assert.equal(workflowStatus(next.status, 's', 0)?.currentAction, 'b');
  });

  test('the summary counts stages, workflows and actions by phase', () => {
    const first = run(resolved, {}, T0);

    assert.deepEqual(first.status.summary, {
      totalStages: 1,
      completedStages: 0,
      failedStages: 0,
      runningStages: 1,
      pendingStages: 0,
      totalWorkflows: 2,
      completedWorkflows: 0,
      failedWorkflows: 0,
      runningWorkflows: 2,
      pendingWorkflows: 0,
      totalActions: 4,
      completedActions: 0,
      failedActions: 0,
      skippedActions: 0,
    });
  });

  test('a finished stage and workflow carry their completion time and duration', () => {
    const { decision } = driveToEnd(resolved);

    const w2 = workflowStatus(decision.status, 's', 1);
    assert.equal(w2?.completionTime, at(600).toISOString());
    assert.equal(w2.duration, '10m0s');
    assert.equal(w2.currentAction, undefined);
    assert.equal(stageStatus(decision.status, 's')?.duration, '30m0s');
  });
});

describe('finishing', () => {
  test('an execution whose stages all succeeded ends Succeeded with its completion time', () => {
    const resolved = singleWorkflowPlan(['a']);
    const first = run(resolved, {}, T0);
    const a = first.requests[0];
    assert.ok(a !== undefined);

    const last = run(resolved, complete(first.status, a, ok, at(7)), at(7));

    assert.deepEqual(last.finished, { phase: 'Succeeded', message: 'the stage succeeded (1 action)' });
    assert.equal(last.status.phase, 'Succeeded');
    assert.equal(last.status.completionTime, at(7).toISOString());
    assert.equal(last.status.progress, '1/1 actions');
    assert.deepEqual(
      last.events.map((event) => event.reason),
      ['WorkflowSucceeded', 'StageSucceeded', 'ExecutionSucceeded'],
    );
  });

  test('a plan without stages succeeds at once', () => {
    const decision = run({ failurePolicy: 'Stop', stages: [] }, {}, T0);

    assert.deepEqual(decision.finished, { phase: 'Succeeded', message: 'nothing to run' });
    assert.equal(decision.status.completionTime, T0.toISOString());
    assert.equal(decision.status.progress, '0/0 actions');
  });

  test('a plan whose stages form a cycle fails and skips every stage', () => {
    const resolved = plan(stage('a', [workflow('w', ['x'])], { dependsOn: ['b'] }), stage('b', [workflow('w', ['y'])], { dependsOn: ['a'] }));

    const decision = run(resolved, {}, T0);

    assert.deepEqual(decision.finished, { phase: 'Failed', message: 'stage dependencies form a cycle; nothing can run' });
    assert.deepEqual(decision.requests, []);
    assert.deepEqual(phases(decision.status, ['a/0/x', 'b/0/y']), ['Skipped', 'Skipped']);
  });

  const finals = ['Succeeded', 'Failed', 'Cancelled'] as const;
  for (const phase of finals) {
    for (const cancelRequested of [false, true]) {
      test(`a ${phase} execution never changes again${cancelRequested ? ', even when cancelled' : ''}`, () => {
        const resolved = singleWorkflowPlan(['a']);
        const status: DRPlanExecutionStatus = { phase, completionTime: T0.toISOString(), stageStatuses: [] };

        const decision = run(resolved, status, at(3600), { cancelRequested });

        assert.equal(decision.changed, false);
        assert.deepEqual(decision.status, status);
        assert.deepEqual([decision.requests, decision.events, decision.timedOut, decision.cancelled], [[], [], [], []]);
        assert.equal(decision.finished, undefined);
      });
    }
  }
});

describe('idempotence', () => {
  const resolved = plan(
    stage('a', [workflow('w1', ['x', 'y']), workflow('w2', ['z'])], { parallel: true }),
    stage('b', [workflow('w3', ['q'])], { dependsOn: ['a'] }),
  );
  const first = run(resolved, {}, T0);
  const moments: { name: string; status: DRPlanExecutionStatus; now: Date }[] = [
    { name: 'just started', status: first.status, now: T0 },
    { name: 'with an attempt claimed', status: claimAttempt(first.status, 'a/0/x', 1, at(1)).status, now: at(1) },
    {
      name: 'after a failure',
      status: complete(first.status, { path: 'a/1/z', stage: 'a', workflowIndex: 1, action: 'z', attempt: 1 }, fatal(), at(2)),
      now: at(2),
    },
    {
      name: 'after a success',
      status: complete(first.status, { path: 'a/0/x', stage: 'a', workflowIndex: 0, action: 'x', attempt: 1 }, ok, at(2)),
      now: at(2),
    },
  ];
  for (const { name, status, now } of moments) {
    test(`scheduling its own output again changes nothing (${name})`, () => {
      const once = run(resolved, status, now);

      const twice = run(resolved, once.status, now);

      assert.equal(twice.changed, false);
      assert.deepEqual(twice.status, once.status);
      assert.deepEqual([twice.requests, twice.events, twice.timedOut], [[], [], []]);
    });
  }

  test('lastUpdateTime moves only when the decision changed something', () => {
    const once = run(resolved, first.status, at(5));

    assert.equal(first.status.lastUpdateTime, T0.toISOString());
    assert.equal(once.changed, false);
    assert.equal(once.status.lastUpdateTime, T0.toISOString());
  });
});
