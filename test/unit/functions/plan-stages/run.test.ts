import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Finalizers, Labels } from '../../../../shared/api/index.js';
import { EventTypes } from '../../../../shared/events.js';
import { createPlanStages } from '../../../../functions/plan-stages/plan-stages.js';
import {
  driveToEnd,
  executionObject,
  harness,
  id,
  planStatusOf,
  readExecution,
  replyTypes,
  requestedPaths,
  seedPlan,
  stageOf,
  statusOf,
  T0,
} from '../../../support/orchestration-helpers.js';
import type { Harness } from '../../../support/orchestration-helpers.js';

/** prepare (wf-a: a1, a2) → switch (parallel: wf-b: b1, wf-c: c1), plus an independent stage notify (wf-d: d1). */
function twoStagePlan(h: Harness): void {
  seedPlan(h.kube, 'failover', [stageOf('prepare', ['wf-a']), stageOf('switch', ['wf-b', 'wf-c'], { dependsOn: ['prepare'], parallel: true })], {
    'wf-a': ['a1', 'a2'],
    'wf-b': ['b1'],
    'wf-c': ['c1'],
  });
  h.kube.seed(executionObject('run-1', 'failover'));
}

describe('plan-stages starting an Execute', () => {
  test('the first reconcile labels the execution, adds the finalizer, takes the plan lock and requests the first action', async () => {
    const h = harness();
    twoStagePlan(h);
    const core = createPlanStages(h);

    const replies = await core.reconcile(id('run-1'));

    const execution = await readExecution(h.kube, 'run-1');
    const status = execution.status ?? {};
    assert.deepEqual(requestedPaths(replies), ['prepare/0/a1']);
    assert.deepEqual(execution.metadata.labels, { [Labels.planShort]: 'failover', [Labels.plan]: 'failover', [Labels.operation]: 'execute' });
    assert.deepEqual(execution.metadata.finalizers, [Finalizers.execution]);
    assert.deepEqual((await planStatusOf(h.kube, 'failover')).currentExecution, { name: 'run-1', namespace: 'default' });
    assert.equal(status.phase, 'Running');
    assert.equal(status.startTime, T0.toISOString());
    assert.equal(status.progress, '0/4 actions');
    assert.deepEqual(
      status.resolved?.stages?.map((stage) => stage.name),
      ['prepare', 'switch'],
    );
  });

  test('an action.requested reply names the attempt and carries the execution extensions', async () => {
    const h = harness();
    twoStagePlan(h);

    const [reply] = await createPlanStages(h).reconcile(id('run-1'));

    const uid = (await readExecution(h.kube, 'run-1')).metadata.uid;
    assert.deepEqual(reply, {
      type: EventTypes.actionRequested,
      subject: 'default/run-1',
      data: { execution: { name: 'run-1', namespace: 'default', uid }, operationType: 'Execute', path: 'prepare/0/a1', attempt: 1 },
      extensions: { execution: 'run-1', operationtype: 'Execute', partitionkey: 'default.run-1' },
    });
  });

  test("a Revert execution and a missing execution are not plan-stages' business", async () => {
    const h = harness();
    h.kube.seed(executionObject('undo', 'failover', { operationType: 'Revert', revertExecutionRef: 'run-1' }));
    const core = createPlanStages(h);

    assert.deepEqual(await core.reconcile(id('undo')), []);
    assert.deepEqual(await core.reconcile(id('nobody')), []);
    assert.deepEqual(h.kube.writes(), []);
  });
});

describe('plan-stages running an Execute to the end', () => {
  test('a stage waits for its dependsOn, and a parallel stage requests all its workflows at once', async () => {
    const h = harness();
    twoStagePlan(h);

    const driven = await driveToEnd(h, createPlanStages(h), 'run-1');

    assert.deepEqual(driven.batches, [['prepare/0/a1'], ['prepare/0/a2'], ['switch/0/b1', 'switch/1/c1']]);
  });

  test('independent stages run at the same time, and a stage depending on both waits for both', async () => {
    const h = harness();
    seedPlan(h.kube, 'fan-in', [stageOf('east', ['wf-e']), stageOf('west', ['wf-w']), stageOf('verify', ['wf-v'], { dependsOn: ['east', 'west'] })], {
      'wf-e': ['e1', 'e2'],
      'wf-w': ['w1'],
      'wf-v': ['v1'],
    });
    h.kube.seed(executionObject('run-2', 'fan-in'));

    const driven = await driveToEnd(h, createPlanStages(h), 'run-2');

    assert.deepEqual(driven.batches, [['east/0/e1', 'west/0/w1'], ['east/0/e2'], ['verify/0/v1']]);
    assert.equal((await statusOf(h.kube, 'run-2')).phase, 'Succeeded');
  });

  test('the execution ends Succeeded with its completion time, progress and summary', async () => {
    const h = harness();
    twoStagePlan(h);

    await driveToEnd(h, createPlanStages(h), 'run-1');

    const status = await statusOf(h.kube, 'run-1');
    assert.equal(status.phase, 'Succeeded');
    assert.equal(status.message, 'all 2 stages succeeded (4 actions)');
    assert.equal(status.completionTime, '2026-03-01T10:00:04.000Z', 'four attempts of one second each');
    assert.equal(status.progress, '4/4 actions');
    assert.equal(status.summary?.completedActions, 4);
    assert.deepEqual(
      status.stageStatuses?.map((stage) => stage.phase),
      ['Succeeded', 'Succeeded'],
    );
  });

  test('the finish records the plan history, sets the plan Executed and releases the lock in one plan write', async () => {
    const h = harness();
    twoStagePlan(h);

    const driven = await driveToEnd(h, createPlanStages(h), 'run-1');

    const plan = await planStatusOf(h.kube, 'failover');
    assert.equal(plan.phase, 'Executed');
    assert.equal(plan.currentExecution, undefined);
    assert.equal(plan.lastExecutionRef, 'run-1');
    assert.equal(plan.lastExecutionTime, T0.toISOString());
    assert.deepEqual(plan.executionHistory, [
      {
        name: 'run-1',
        namespace: 'default',
        operationType: 'Execute',
        phase: 'Succeeded',
        startTime: T0.toISOString(),
        completionTime: '2026-03-01T10:00:04.000Z',
      },
    ]);
    const planWrites = h.kube.writes().filter((call) => call.key.includes('/DRPlan/'));
    assert.equal(planWrites.length, 2, 'one write takes the lock, one does the bookkeeping');
    assert.deepEqual(replyTypes(driven.replies).slice(-1), ['execution.finished']);
  });

  test('the finished execution is marked Recorded once its plan bookkeeping is written', async () => {
    const h = harness();
    twoStagePlan(h);

    await driveToEnd(h, createPlanStages(h), 'run-1');

    const recorded = (await statusOf(h.kube, 'run-1')).conditions?.find((condition) => condition.type === 'Recorded');
    assert.deepEqual([recorded?.status, recorded?.reason, recorded?.message], ['True', 'InPlanHistory', 'recorded in the history of plan "failover"']);
  });

  test('every transition is recorded as a Kubernetes Event on the execution', async () => {
    const h = harness();
    twoStagePlan(h);

    await driveToEnd(h, createPlanStages(h), 'run-1');

    const reasons = h.kube.events.map((event) => event.reason);
    assert.equal(reasons[0], 'ExecutionStarted');
    assert.equal(reasons.at(-1), 'ExecutionSucceeded');
    assert.equal(reasons.filter((reason) => reason === 'StageStarted').length, 2);
    assert.equal(reasons.filter((reason) => reason === 'WorkflowSucceeded').length, 3);
    assert.ok(h.kube.events.every((event) => event.regarding.kind === 'DRPlanExecution' && event.regarding.name === 'run-1'));
  });

  test('a failed action fails the execution with a message naming it, and the plan stays Ready', async () => {
    const h = harness();
    twoStagePlan(h);

    const driven = await driveToEnd(h, createPlanStages(h), 'run-1', (path) =>
      path === 'prepare/0/a2' ? { ok: false, retryable: false, message: 'HTTP 500' } : { ok: true },
    );

    const status = await statusOf(h.kube, 'run-1');
    assert.equal(status.phase, 'Failed');
    assert.equal(status.message, 'stage "prepare", workflow prepare/0 (wf-a), action "a2" failed: HTTP 500');
    assert.deepEqual(driven.batches, [['prepare/0/a1'], ['prepare/0/a2']]);
    const plan = await planStatusOf(h.kube, 'failover');
    assert.equal(plan.phase, 'Ready');
    assert.equal(plan.executionHistory?.[0]?.phase, 'Failed');
    assert.equal(plan.currentExecution, undefined);
  });
});
