import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createPlanStages } from '../../../../functions/plan-stages/plan-stages.js';
import { ExecutionFinishedSchema } from '../../../../shared/event-data.js';
import { EventTypes } from '../../../../shared/events.js';
import type { KubeObject } from '../../../../shared/kube/types.js';
import {
  executionKey,
  executionObject,
  harness,
  id,
  planKey,
  planObject,
  planStatusOf,
  requestedPaths,
  stageOf,
  statusOf,
  T0,
  workflowObject,
} from '../../../support/orchestration-helpers.js';
import type { ExecutionOptions, Harness } from '../../../support/orchestration-helpers.js';

const readyCondition = (message: string): Record<string, unknown> => ({
  type: 'Ready',
  status: 'False',
  reason: 'Invalid',
  message,
  lastTransitionTime: T0.toISOString(),
});

interface RefusalCase {
  name: string;
  objects: KubeObject[];
  options?: ExecutionOptions;
  message: string;
}

const refusals: RefusalCase[] = [
  {
    name: 'its plan does not exist',
    objects: [],
    message: 'spec.planRef: plan "p" not found in namespace "default"',
  },
  {
    name: 'its plan is Invalid at its current generation',
    objects: [
      workflowObject('wf', ['a']),
      planObject('p', [stageOf('s', ['wf'])], { phase: 'Invalid', observedGeneration: 1, conditions: [readyCondition('spec.stages[0]: broken')] }),
    ],
    message: 'spec.planRef: plan "p" is Invalid: spec.stages[0]: broken',
  },
  {
    name: 'its plan names a workflow that does not exist',
    objects: [planObject('p', [stageOf('s', ['missing'])])],
    message: 'spec.planRef: plan "p" is invalid: spec.stages[0].workflows[0].workflowRef: DRWorkflow default/missing not found',
  },
  {
    name: "its plan's stages form a cycle",
    objects: [workflowObject('wf', ['a']), planObject('p', [stageOf('x', ['wf'], { dependsOn: ['y'] }), stageOf('y', ['wf'], { dependsOn: ['x'] })])],
    message: 'spec.planRef: plan "p" is invalid: spec.stages[0].dependsOn: dependency cycle: x → y → x',
  },
  {
    name: 'it sets a parameter no workflow of the plan uses',
    objects: [workflowObject('wf', ['a']), planObject('p', [stageOf('s', ['wf'])])],
    options: { params: [{ name: 'region', value: 'eu' }] },
    message: 'spec.params[0].name: parameter "region" is not used by any workflow of DRPlan default/p',
  },
];

async function refusedRun(h: Harness, c: RefusalCase): Promise<{ replies: Awaited<ReturnType<ReturnType<typeof createPlanStages>['reconcile']>> }> {
  for (const object of c.objects) h.kube.seed(object);
  h.kube.seed(executionObject('run', 'p', c.options));
  return { replies: await createPlanStages(h).reconcile(id('run')) };
}

describe('plan-stages refusing to start an Execute', () => {
  for (const c of refusals) {
    test(`an execution fails at once, naming the field, when ${c.name}`, async () => {
      const h = harness();

      const { replies } = await refusedRun(h, c);

      const status = await statusOf(h.kube, 'run');
      assert.equal(status.phase, 'Failed');
      assert.equal(status.message, c.message);
      assert.equal(status.completionTime, T0.toISOString());
      assert.equal(status.resolved, undefined);
      assert.deepEqual(
        replies.map((reply) => [reply.type, ExecutionFinishedSchema.parse(reply.data).message]),
        [[EventTypes.executionFinished, c.message]],
      );
      assert.deepEqual(
        h.kube.events.map((event) => [event.type, event.reason, event.message]),
        [['Warning', 'ExecutionFailed', c.message]],
      );
    });
  }

  test('a refused execution never takes the plan lock', async () => {
    const h = harness();

    await refusedRun(h, refusals[2] as RefusalCase);

    const plan = await planStatusOf(h.kube, 'p');
    assert.equal(plan.currentExecution, undefined);
    assert.deepEqual(
      plan.executionHistory?.map((record) => [record.name, record.phase]),
      [['run', 'Failed']],
    );
  });

  test('an execution the schema rejects fails naming the field, without running', async () => {
    const h = harness();
    h.kube.seed({ ...executionObject('run', 'p'), spec: { planRef: 'p', operationType: 'Execute', params: [{ name: 'x' }] } });

    await createPlanStages(h).reconcile(id('run'));

    const stored = await h.kube.get(executionKey('run'));
    assert.deepEqual(stored?.['status'], {
      phase: 'Failed',
      message: 'spec.params[0].value: required',
      startTime: T0.toISOString(),
      completionTime: T0.toISOString(),
      lastUpdateTime: T0.toISOString(),
      observedGeneration: 1,
      conditions: [
        ...(['Complete', 'Succeeded', 'Failed'] as const).map((type) => ({
          type,
          status: type === 'Succeeded' ? 'False' : 'True',
          reason: 'Failed',
          message: 'spec.params[0].value: required',
          lastTransitionTime: T0.toISOString(),
        })),
        {
          type: 'Recorded',
          status: 'False',
          reason: 'PlanNotFound',
          message: 'plan "p" not found; there is no history to record in',
          observedGeneration: 1,
          lastTransitionTime: T0.toISOString(),
        },
      ],
    });
  });

  test('an Invalid verdict of an older plan generation does not stop a plan that is valid now', async () => {
    const h = harness();
    h.kube.seed(workflowObject('wf', ['a']));
    h.kube.seed(planObject('p', [stageOf('s', ['wf'])], { phase: 'Invalid', observedGeneration: 0, conditions: [readyCondition('old problem')] }));
    h.kube.seed(executionObject('run', 'p'));

    const replies = await createPlanStages(h).reconcile(id('run'));

    assert.deepEqual(requestedPaths(replies), ['s/0/a']);
  });
});

describe('the plan lock', () => {
  function seedTwo(h: Harness): void {
    h.kube.seed(workflowObject('wf', ['a']));
    h.kube.seed(planObject('p', [stageOf('s', ['wf'])]));
    h.kube.seed(executionObject('first', 'p'));
    h.kube.seed(executionObject('second', 'p'));
  }

  test('of two executions started at the same moment exactly one runs; the other fails naming it', async () => {
    const h = harness();
    seedTwo(h);
    const core = createPlanStages(h);

    await Promise.all([core.reconcile(id('first')), core.reconcile(id('second'))]);

    const phases = [(await statusOf(h.kube, 'first')).phase, (await statusOf(h.kube, 'second')).phase].sort();
    assert.deepEqual(phases, ['Failed', 'Running']);
    const planStatusWrites = h.kube.calls.filter((call) => call.verb === 'mergePatchStatus' && call.key.includes('/DRPlan/'));
    assert.equal(planStatusWrites.length, 3, "both wrote the lock (the conditional write turned one away), then the loser's history");
    const holder = (await planStatusOf(h.kube, 'p')).currentExecution?.name;
    const loser = holder === 'first' ? 'second' : 'first';
    assert.equal((await statusOf(h.kube, loser)).message, `plan "p" is already running execution "${holder ?? ''}"`);
  });

  test('an execution started while another runs fails naming the running one and leaves its lock alone', async () => {
    const h = harness();
    seedTwo(h);
    const core = createPlanStages(h);
    await core.reconcile(id('first'));

    const replies = await core.reconcile(id('second'));

    assert.equal((await statusOf(h.kube, 'second')).message, 'plan "p" is already running execution "first"');
    assert.deepEqual((await planStatusOf(h.kube, 'p')).currentExecution, { name: 'first', namespace: 'default' });
    assert.equal((await statusOf(h.kube, 'first')).phase, 'Running');
    assert.deepEqual(
      replies.map((reply) => reply.type),
      [EventTypes.executionFinished],
    );
  });

  test('a lock left behind by an execution that no longer exists is taken over', async () => {
    const h = harness();
    seedTwo(h);
    await h.kube.mergePatchStatus(planKey('p'), { status: { currentExecution: { name: 'vanished', namespace: 'default' } } });

    const replies = await createPlanStages(h).reconcile(id('first'));

    assert.deepEqual(requestedPaths(replies), ['s/0/a']);
    assert.deepEqual((await planStatusOf(h.kube, 'p')).currentExecution, { name: 'first', namespace: 'default' });
  });
});
