import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { API_VERSION, Finalizers, Kinds } from '../../../../shared/api/index.js';
import { EventTypes } from '../../../../shared/events.js';
import { createValidatePlan, MAX_TRIES } from '../../../../functions/validate-plan/validate-plan.js';
import {
  finishedExecution,
  withHistory,
  mustGet,
  NOW,
  planKey,
  planObject,
  readyConditionOf,
  ref,
  statusOf,
  testDeps,
  workflowKey,
  workflowObject,
  type TestDeps,
} from '../../../support/validation-helpers.js';

const PLAN = { name: 'failover', namespace: 'default' };
const PROBE = { name: 'probe', namespace: 'default' };

/** A workflow as validate-workflow leaves it: phase recorded for its current generation. */
function seedValidatedWorkflow(deps: TestDeps, name: string, phase: 'Ready' | 'Invalid', spec: Record<string, unknown> = {}): void {
  deps.kube.seed({ ...workflowObject(name, spec), status: { phase, observedGeneration: 1 } });
}

async function conditionMessage(deps: TestDeps): Promise<string | undefined> {
  return (await readyConditionOf(deps.kube, planKey('failover')))?.message;
}

describe('validate-plan reconcile: phase and Ready condition', () => {
  test('a plan whose workflow is Ready becomes Ready with a True condition for its generation', async () => {
    // Prepare
    const deps = testDeps();
    seedValidatedWorkflow(deps, 'probe', 'Ready');
    deps.kube.seed(planObject('failover', [ref('probe')]));
    // Act
    const outcome = await createValidatePlan(deps).reconcile(PLAN);
    // Assess
    assert.deepEqual(outcome, [{ type: EventTypes.planValidated, subject: 'default/failover', data: { plan: PLAN, phase: 'Ready', generation: 1 } }]);
    const status = await statusOf(deps.kube, planKey('failover'));
    assert.equal(status.phase, 'Ready');
    assert.equal(status.observedGeneration, 1);
    assert.equal(status.stageCount, 1, 'the STAGES printer column reads status.stageCount');
    assert.deepEqual(await readyConditionOf(deps.kube, planKey('failover')), {
      type: 'Ready',
      status: 'True',
      reason: 'Valid',
      message: 'valid',
      observedGeneration: 1,
      lastTransitionTime: NOW,
    });
  });

  const invalid = [
    {
      name: 'its workflow does not exist',
      prepare: (deps: TestDeps) => deps.kube.seed(planObject('failover', [ref('missing')])),
      expected: 'spec.stages[0].workflows[0].workflowRef: DRWorkflow default/missing not found',
    },
    {
      name: 'its workflow is Invalid',
      prepare: (deps: TestDeps) => {
        seedValidatedWorkflow(deps, 'probe', 'Invalid', { actions: [{ name: 'j', type: 'Job' }] });
        deps.kube.seed(planObject('failover', [ref('probe')]));
      },
      expected: 'spec.stages[0].workflows[0].workflowRef: DRWorkflow default/probe is Invalid: spec.actions[0].job: required when type is Job',
    },
    {
      name: 'its stages form a cycle',
      prepare: (deps: TestDeps) => {
        seedValidatedWorkflow(deps, 'probe', 'Ready');
        deps.kube.seed(
          planObject('failover', [], {
            stages: [
              { name: 'a', dependsOn: ['b'], workflows: [ref('probe')] },
              { name: 'b', dependsOn: ['a'], workflows: [ref('probe')] },
            ],
          }),
        );
      },
      expected: 'spec.stages[0].dependsOn: dependency cycle: a → b → a',
    },
    {
      name: 'a required parameter gets no value',
      prepare: (deps: TestDeps) => {
        seedValidatedWorkflow(deps, 'probe', 'Ready', {
          parameters: [{ name: 'endpoint', required: true }],
          actions: [{ name: 'p', type: 'HTTP', http: { url: '{{ .params.endpoint }}' } }],
        });
        deps.kube.seed(planObject('failover', [ref('probe')]));
      },
      expected: 'spec.stages[0].workflows[0].params: required parameter "endpoint" of workflow probe has no value',
    },
  ];
  for (const { name, prepare, expected } of invalid) {
    test(`a plan is Invalid, its condition naming the field, when ${name}`, async () => {
      // Prepare
      const deps = testDeps();
      prepare(deps);
      // Act
      const outcome = await createValidatePlan(deps).reconcile(PLAN);
      // Assess
      assert.deepEqual(
        outcome.map((reply) => reply.data.phase),
        ['Invalid'],
      );
      assert.equal((await statusOf(deps.kube, planKey('failover'))).phase, 'Invalid');
      const condition = await readyConditionOf(deps.kube, planKey('failover'));
      assert.equal(condition?.status, 'False');
      assert.equal(condition.reason, 'Invalid');
      assert.ok(condition.message.startsWith(expected), `${JSON.stringify(condition.message)} should start with ${JSON.stringify(expected)}`);
    });
  }

  test('a workflow not yet validated is validated in-process, so the plan does not wait for it', async () => {
    // Prepare
    const deps = testDeps();
    deps.kube.seed(workflowObject('probe'));
    deps.kube.seed(planObject('failover', [ref('probe')]));
    // Act
    await createValidatePlan(deps).reconcile(PLAN);
    // Assess
    assert.equal((await statusOf(deps.kube, planKey('failover'))).phase, 'Ready');
  });

  test('a workflow edited since its last validation is judged by its current spec', async () => {
    // Prepare
    const deps = testDeps();
    deps.kube.seed({ ...workflowObject('probe', { actions: [{ name: 'j', type: 'Job' }] }), status: { phase: 'Ready', observedGeneration: 0 } });
    deps.kube.seed(planObject('failover', [ref('probe')]));
    // Act
    await createValidatePlan(deps).reconcile(PLAN);
    // Assess
    assert.equal((await statusOf(deps.kube, planKey('failover'))).phase, 'Invalid');
    assert.match((await conditionMessage(deps)) ?? '', /DRWorkflow default\/probe is Invalid: spec\.actions\[0\]\.job: required/);
  });

  test('a plan that does not exist is nothing to do', async () => {
    // Prepare
    const deps = testDeps();
    // Act
    const outcome = await createValidatePlan(deps).reconcile(PLAN);
    // Assess
    assert.deepEqual(outcome, []);
    assert.deepEqual(deps.kube.writes(), []);
  });
});

describe('validate-plan reconcile: what it owns and what it leaves alone', () => {
  test('reconciling again writes nothing and replies nothing', async () => {
    // Prepare
    const deps = testDeps();
    seedValidatedWorkflow(deps, 'probe', 'Ready');
    deps.kube.seed(planObject('failover', [ref('probe')]));
    const core = createValidatePlan(deps);
    await core.reconcile(PLAN);
    deps.kube.calls.length = 0;
    deps.clock.advance(60_000);
    // Act
    const outcome = await core.reconcile(PLAN);
    // Assess
    assert.deepEqual(outcome, []);
    assert.deepEqual(deps.kube.writes(), []);
  });

  test('Executed is kept while the plan stays valid, and nothing is written or replied', async () => {
    // Prepare
    const deps = testDeps();
    seedValidatedWorkflow(deps, 'probe', 'Ready');
    deps.kube.seed(planObject('failover', [ref('probe')]));
    const core = createValidatePlan(deps);
    await core.reconcile(PLAN);
    const plan = await mustGet(deps.kube, planKey('failover'));
    await deps.kube.mergePatchStatus(planKey('failover'), { metadata: { resourceVersion: plan.metadata.resourceVersion }, status: { phase: 'Executed' } });
    deps.kube.calls.length = 0;
    // Act
    const outcome = await core.reconcile(PLAN);
    // Assess
    assert.deepEqual(outcome, []);
    assert.deepEqual(deps.kube.writes(), []);
    assert.equal((await statusOf(deps.kube, planKey('failover'))).phase, 'Executed');
  });

  test('an edit of an Executed plan that keeps it valid keeps Executed', async () => {
    // Prepare
    const deps = testDeps();
    seedValidatedWorkflow(deps, 'probe', 'Ready');
    deps.kube.seed({ ...planObject('failover', [ref('probe')]), status: { phase: 'Executed' } });
    await deps.kube.mergePatch(planKey('failover'), { spec: { description: 'edited' } });
    // Act
    const outcome = await createValidatePlan(deps).reconcile(PLAN);
    // Assess
    assert.deepEqual(outcome, []);
    const status = await statusOf(deps.kube, planKey('failover'));
    assert.deepEqual({ phase: status.phase, observedGeneration: status.observedGeneration }, { phase: 'Executed', observedGeneration: 2 });
  });

  test('the lock, history and last-execution fields of plan-stages are never touched', async () => {
    // Prepare
    const deps = testDeps();
    const owned = {
      currentExecution: { name: 'run-2', namespace: 'default' },
      executionHistory: [{ name: 'run-1', namespace: 'default', operationType: 'Execute', phase: 'Succeeded' }],
      lastExecutionRef: 'run-1',
      lastExecutionTime: NOW,
    };
    deps.kube.seed({ ...planObject('failover', [ref('missing')]), status: { phase: 'Executed', ...owned } });
    // Act
    await createValidatePlan(deps).reconcile(PLAN);
    // Assess
    const status = await statusOf(deps.kube, planKey('failover'));
    assert.equal(status.phase, 'Invalid');
    assert.deepEqual(
      {
        currentExecution: status.currentExecution,
        executionHistory: status.executionHistory,
        lastExecutionRef: status.lastExecutionRef,
        lastExecutionTime: status.lastExecutionTime,
      },
      owned,
    );
  });

  test('a status write that loses a race (plan-stages moved first) is decided again from a fresh read', async () => {
    // Prepare
    const deps = testDeps();
    seedValidatedWorkflow(deps, 'probe', 'Ready');
    deps.kube.seed(planObject('failover', [ref('probe')]));
    deps.kube.failNextWrites(1);
    // Act
    const outcome = await createValidatePlan(deps).reconcile(PLAN);
    // Assess
    const statusWrites = deps.kube.calls.filter(({ verb }) => verb === 'mergePatchStatus').length;
    assert.equal(statusWrites, 2);
    assert.deepEqual(
      outcome.map((reply) => reply.data.phase),
      ['Ready'],
    );
    assert.equal((await statusOf(deps.kube, planKey('failover'))).phase, 'Ready');
  });

  test('a plan changed by someone else on every try ends in a 409 naming it', async () => {
    // Prepare
    const deps = testDeps();
    seedValidatedWorkflow(deps, 'probe', 'Ready');
    deps.kube.seed(planObject('failover', [ref('probe')]));
    deps.kube.failNextWrites(MAX_TRIES);
    // Act, Assess
    await assert.rejects(createValidatePlan(deps).reconcile(PLAN), {
      name: 'HandlerError',
      code: 409,
      message: `DRPlan default/failover: changed by someone else on each of ${MAX_TRIES} tries`,
    });
  });
});

describe('validate-plan reconcile: protecting the workflows it uses', () => {
  test('each referenced workflow gets the protection finalizer, other finalizers kept', async () => {
    // Prepare
    const deps = testDeps();
    deps.kube.seed(workflowObject('probe', {}, { finalizers: ['other.example/keep'] }));
    deps.kube.seed(workflowObject('remote', { shareWithNamespaces: ['default'] }, { namespace: 'ops' }));
    deps.kube.seed(planObject('failover', [ref('probe'), ref('remote', 'ops')]));
    // Act
    await createValidatePlan(deps).reconcile(PLAN);
    // Assess
    assert.deepEqual((await mustGet(deps.kube, workflowKey('probe'))).metadata.finalizers, ['other.example/keep', Finalizers.workflowProtection]);
    assert.deepEqual((await mustGet(deps.kube, workflowKey('remote', 'ops'))).metadata.finalizers, [Finalizers.workflowProtection]);
  });

  test('a workflow of another namespace that does not share itself makes the plan Invalid, naming the reference, and gets nothing written', async () => {
    // Prepare
    const deps = testDeps();
    deps.kube.seed(workflowObject('remote', { shareWithNamespaces: ['elsewhere'] }, { namespace: 'ops' }));
    deps.kube.seed(planObject('failover', [ref('remote', 'ops')]));
    // Act
    await createValidatePlan(deps).reconcile(PLAN);
    // Assess
    const plan = await mustGet(deps.kube, planKey('failover'));
    const status = plan.status as { phase?: string; conditions?: { type: string; message?: string }[] };
    assert.equal(status.phase, 'Invalid');
    assert.match(
      status.conditions?.find((condition) => condition.type === 'Ready')?.message ?? '',
      /spec\.stages\[0\]\.workflows\[0\]\.workflowRef: DRWorkflow ops\/remote is in another namespace and does not share itself with namespace "default"/,
    );
    const remote = await mustGet(deps.kube, workflowKey('remote', 'ops'));
    assert.equal(remote.metadata.finalizers, undefined);
    assert.equal(deps.kube.writes().filter((call) => call.key.includes('/ops/')).length, 0, 'nothing written into ops');
  });

  test('"*" shares a workflow with every namespace', async () => {
    // Prepare
    const deps = testDeps();
    deps.kube.seed(workflowObject('remote', { shareWithNamespaces: ['*'] }, { namespace: 'ops' }));
    deps.kube.seed(planObject('failover', [ref('remote', 'ops')]));
    // Act
    await createValidatePlan(deps).reconcile(PLAN);
    // Assess
    assert.equal((await statusOf(deps.kube, planKey('failover'))).phase, 'Ready');
  });

  test('a workflow already being deleted gets no new finalizer', async () => {
    // Prepare
    const deps = testDeps();
    deps.kube.seed(workflowObject('probe', {}, { deletionTimestamp: NOW, finalizers: ['other.example/keep'] }));
    deps.kube.seed(planObject('failover', [ref('probe')]));
    // Act
    await createValidatePlan(deps).reconcile(PLAN);
    // Assess
    assert.deepEqual((await mustGet(deps.kube, workflowKey('probe'))).metadata.finalizers, ['other.example/keep']);
  });

  test('a finalizer write that loses a race is made again on the re-read workflow', async () => {
    // Prepare
    const deps = testDeps();
    deps.kube.seed({ ...workflowObject('probe'), status: { phase: 'Ready', observedGeneration: 1 } });
    deps.kube.seed({ ...planObject('failover', [ref('probe')]), status: { phase: 'Ready', observedGeneration: 1 } });
    await createValidatePlan(deps).reconcile(PLAN);
    await deps.kube.mergePatch(workflowKey('probe'), { metadata: { finalizers: [] } });
    deps.kube.calls.length = 0;
    deps.kube.failNextWrites(1);
    // Act
    await createValidatePlan(deps).reconcile(PLAN);
    // Assess
    assert.deepEqual(
      deps.kube.calls.filter(({ verb }) => verb === 'mergePatch').map(({ key }) => key),
      ['dr.bkbcs.tencent.com/v1alpha1/DRWorkflow/default/probe', 'dr.bkbcs.tencent.com/v1alpha1/DRWorkflow/default/probe'],
    );
    assert.deepEqual((await mustGet(deps.kube, workflowKey('probe'))).metadata.finalizers, [Finalizers.workflowProtection]);
  });

  test('a plan being deleted is not validated and protects nothing', async () => {
    // Prepare
    const deps = testDeps();
    deps.kube.seed(workflowObject('probe'));
    deps.kube.seed(planObject('failover', [ref('probe')], {}, { deletionTimestamp: NOW, finalizers: ['other.example/keep'] }));
    // Act
    const outcome = await createValidatePlan(deps).reconcile(PLAN);
    // Assess
    assert.deepEqual(outcome, []);
    assert.deepEqual(deps.kube.writes(), []);
  });
});

describe('validate-plan: following the workflows', () => {
  test('a plan turns Invalid when its workflow is deleted, and Ready again when it is back', async () => {
    // Prepare
    const deps = testDeps();
    seedValidatedWorkflow(deps, 'probe', 'Ready');
    deps.kube.seed(planObject('failover', [ref('probe')]));
    const core = createValidatePlan(deps);
    await core.reconcile(PLAN);
    deps.kube.objects.delete('dr.bkbcs.tencent.com/v1alpha1/DRWorkflow/default/probe');
    // Act
    const gone = await core.onWorkflowChanged(PROBE);
    seedValidatedWorkflow(deps, 'probe', 'Ready');
    const back = await core.onWorkflowValidated({ workflow: PROBE, phase: 'Ready', generation: 1 });
    // Assess
    assert.deepEqual(
      gone.map((reply) => [reply.subject, reply.data.phase]),
      [['default/failover', 'Invalid']],
    );
    assert.deepEqual(
      back.map((reply) => [reply.subject, reply.data.phase]),
      [['default/failover', 'Ready']],
    );
    assert.equal(await conditionMessage(deps), 'valid');
  });

  test('a plan turns Invalid when its workflow becomes invalid, and Ready when it is fixed', async () => {
    // Prepare
    const deps = testDeps();
    seedValidatedWorkflow(deps, 'probe', 'Ready');
    deps.kube.seed(planObject('failover', [ref('probe')]));
    const core = createValidatePlan(deps);
    await core.reconcile(PLAN);
    await deps.kube.mergePatch(workflowKey('probe'), { spec: { actions: [{ name: 'j', type: 'Job' }] } });
    // Act
    const broken = await core.onWorkflowValidated({ workflow: PROBE, phase: 'Invalid', generation: 2 });
    const brokenMessage = await conditionMessage(deps);
    await deps.kube.mergePatch(workflowKey('probe'), { spec: { actions: [{ name: 'p', type: 'HTTP', http: { url: 'https://ok.example' } }] } });
    const fixed = await core.onWorkflowValidated({ workflow: PROBE, phase: 'Ready', generation: 3 });
    // Assess
    assert.deepEqual(
      broken.map((reply) => reply.data.phase),
      ['Invalid'],
    );
    assert.equal(brokenMessage, 'spec.stages[0].workflows[0].workflowRef: DRWorkflow default/probe is Invalid: spec.actions[0].job: required when type is Job');
    assert.deepEqual(
      fixed.map((reply) => reply.data.phase),
      ['Ready'],
    );
  });

  test('a late workflow.validated saying Invalid does not override a workflow that is Ready now', async () => {
    // Prepare
    const deps = testDeps();
    seedValidatedWorkflow(deps, 'probe', 'Ready');
    deps.kube.seed(planObject('failover', [ref('probe')]));
    // Act
    const outcome = await createValidatePlan(deps).onWorkflowValidated({ workflow: PROBE, phase: 'Invalid', generation: 1 });
    // Assess
    assert.deepEqual(
      outcome.map((reply) => reply.data.phase),
      ['Ready'],
    );
    assert.equal((await statusOf(deps.kube, planKey('failover'))).phase, 'Ready');
  });

  test('only plans that reference the workflow are re-validated, in every namespace', async () => {
    // Prepare
    const deps = testDeps();
    seedValidatedWorkflow(deps, 'probe', 'Ready');
    deps.kube.seed(planObject('failover', [ref('probe')]));
    deps.kube.seed(planObject('remote', [ref('probe', 'default')], {}, { namespace: 'ops' }));
    deps.kube.seed(planObject('unrelated', [ref('other')]));
    // Act
    const outcome = await createValidatePlan(deps).onWorkflowChanged(PROBE);
    // Assess
    assert.deepEqual(outcome.map((reply) => reply.subject).sort(), ['default/failover', 'ops/remote']);
    assert.equal((await statusOf(deps.kube, planKey('unrelated'))).phase, undefined);
  });

  test('the same workflow event delivered twice changes nothing the second time', async () => {
    // Prepare
    const deps = testDeps();
    seedValidatedWorkflow(deps, 'probe', 'Ready');
    deps.kube.seed(planObject('failover', [ref('probe')]));
    const core = createValidatePlan(deps);
    const data = { workflow: PROBE, phase: 'Ready', generation: 1 } as const;
    await core.onWorkflowValidated(data);
    deps.kube.calls.length = 0;
    // Act
    const again = await core.onWorkflowValidated(data);
    // Assess
    assert.deepEqual(again, []);
    assert.deepEqual(deps.kube.writes(), []);
  });

  test('a workflow event whose plan cannot be written ends in the error after the other plans are done', async () => {
    // Prepare
    const deps = testDeps();
    seedValidatedWorkflow(deps, 'probe', 'Ready');
    deps.kube.seed(planObject('a', [ref('probe')]));
    deps.kube.seed(planObject('b', [ref('probe')]));
    deps.kube.failNextWrites(MAX_TRIES);
    // Act, Assess
    await assert.rejects(createValidatePlan(deps).onWorkflowChanged(PROBE), { code: 409, message: /DRPlan default\/a/ });
    assert.equal((await statusOf(deps.kube, planKey('b'))).phase, 'Ready');
  });
});

describe('validate-plan resync', () => {
  test('stale plans are reconciled: edited, workflow gone while Ready, workflow back while Invalid, never validated', async () => {
    // Prepare
    const deps = testDeps();
    const core = createValidatePlan(deps);
    seedValidatedWorkflow(deps, 'probe', 'Ready');
    seedValidatedWorkflow(deps, 'doomed', 'Ready');
    deps.kube.seed(planObject('fresh', [ref('probe')]));
    deps.kube.seed(planObject('edited', [ref('probe')]));
    deps.kube.seed(planObject('orphaned', [ref('doomed')]));
    deps.kube.seed(planObject('waiting', [ref('later')]));
    for (const name of ['fresh', 'edited', 'orphaned', 'waiting']) await core.reconcile({ name, namespace: 'default' });
    await deps.kube.mergePatch(planKey('edited'), { spec: { description: 'edited' } });
    deps.kube.objects.delete('dr.bkbcs.tencent.com/v1alpha1/DRWorkflow/default/doomed');
    seedValidatedWorkflow(deps, 'later', 'Ready');
    deps.kube.seed(planObject('new', [ref('probe')]));
    deps.kube.calls.length = 0;
    // Act
    const outcome = await core.resync();
    // Assess
    assert.deepEqual(outcome.map((reply) => [reply.subject, reply.data.phase]).sort(), [
      ['default/new', 'Ready'],
      ['default/orphaned', 'Invalid'],
      ['default/waiting', 'Ready'],
    ]);
    const statusWrites = deps.kube.calls.filter(({ verb }) => verb === 'mergePatchStatus').map(({ key }) => key.split('/').pop());
    assert.deepEqual(statusWrites.sort(), ['edited', 'new', 'orphaned', 'waiting']);
    assert.equal((await statusOf(deps.kube, planKey('edited'))).observedGeneration, 2);
  });

  test('a resync with nothing stale reads the lists and nothing else', async () => {
    // Prepare
    const deps = testDeps();
    const core = createValidatePlan(deps);
    seedValidatedWorkflow(deps, 'probe', 'Ready');
    deps.kube.seed({
      ...workflowObject('leaving', {}, { deletionTimestamp: NOW, finalizers: ['other.example/keep'] }),
      status: { phase: 'Ready', observedGeneration: 1 },
    });
    deps.kube.seed(planObject('failover', [ref('probe')]));
    deps.kube.seed(planObject('broken', [ref('missing')]));
    deps.kube.seed(planObject('holder', [ref('leaving')]));
    for (const name of ['failover', 'broken', 'holder']) await core.reconcile({ name, namespace: 'default' });
    deps.kube.calls.length = 0;
    // Act
    const outcome = await core.resync();
    // Assess
    assert.deepEqual(outcome, []);
    assert.deepEqual(
      deps.kube.calls.map(({ verb }) => verb),
      ['list', 'list'],
    );
  });

  test('a referenced workflow that lost its finalizer is protected again by the resync', async () => {
    // Prepare
    const deps = testDeps();
    const core = createValidatePlan(deps);
    seedValidatedWorkflow(deps, 'probe', 'Ready');
    deps.kube.seed(planObject('failover', [ref('probe')]));
    await core.reconcile(PLAN);
    await deps.kube.mergePatch(workflowKey('probe'), { metadata: { finalizers: [] } });
    // Act
    await core.resync();
    // Assess
    assert.deepEqual((await mustGet(deps.kube, workflowKey('probe'))).metadata.finalizers, [Finalizers.workflowProtection]);
  });
});

describe('validate-plan: retention of finished executions', () => {
  test("keeps the newest executionHistoryLimit finished executions of the plan and deletes the older ones; running, unrecorded and other plans' executions are left", async () => {
    // Prepare
    const deps = testDeps();
    deps.kube.seed(workflowObject('probe'));
    deps.kube.seed(withHistory(planObject('failover', [ref('probe')], { executionHistoryLimit: 2 }), ['fourth', 'third', 'second', 'first']));
    deps.kube.seed(finishedExecution('first', 'failover', '2026-01-01T00:00:00Z'));
    deps.kube.seed(finishedExecution('second', 'failover', '2026-01-02T00:00:00Z', 'Failed'));
    deps.kube.seed(finishedExecution('third', 'failover', '2026-01-03T00:00:00Z'));
    deps.kube.seed(finishedExecution('fourth', 'failover', '2026-01-04T00:00:00Z', 'Cancelled'));
    deps.kube.seed({ ...finishedExecution('running', 'failover', '2025-12-01T00:00:00Z'), status: { phase: 'Running' } });
    deps.kube.seed({
      ...finishedExecution('unrecorded', 'failover', '2025-12-02T00:00:00Z'),
      status: { phase: 'Succeeded', completionTime: '2025-12-02T00:00:00Z' },
    });
    deps.kube.seed(finishedExecution('elsewhere', 'other-plan', '2025-01-01T00:00:00Z'));
    // Act
    await createValidatePlan(deps).reconcile(PLAN);
    // Assess
    const left = (await deps.kube.list(API_VERSION, Kinds.execution)).map((execution) => execution.metadata.name).sort();
    assert.deepEqual(left, ['elsewhere', 'fourth', 'running', 'third', 'unrecorded']);
  });

  test('dry runs are kept apart: the newest executionHistoryLimit of them, and they never push out a run', async () => {
    // Prepare: two runs (within the limit of 2) and three dry runs, all newer than the runs
    const deps = testDeps();
    deps.kube.seed(workflowObject('probe'));
    const plan = withHistory(planObject('failover', [ref('probe')], { executionHistoryLimit: 2 }), ['run-b', 'run-a']);
    deps.kube.seed({ ...plan, status: { ...(plan.status as object), lastDryRun: { name: 'drill-3', phase: 'Succeeded' } } });
    deps.kube.seed(finishedExecution('run-a', 'failover', '2026-01-01T00:00:00Z'));
    deps.kube.seed(finishedExecution('run-b', 'failover', '2026-01-02T00:00:00Z'));
    for (const [name, day] of [
      ['drill-1', '03'],
      ['drill-2', '04'],
      ['drill-3', '05'],
    ] as const) {
      const execution = finishedExecution(name, 'failover', `2026-01-${day}T00:00:00Z`);
      deps.kube.seed({ ...execution, spec: { ...(execution.spec as object), dryRun: true } });
    }
    // Act
    await createValidatePlan(deps).reconcile(PLAN);
    // Assess
    const left = (await deps.kube.list(API_VERSION, Kinds.execution)).map((execution) => execution.metadata.name).sort();
    assert.deepEqual(left, ['drill-2', 'drill-3', 'run-a', 'run-b']);
  });

  test('without a limit the default keeps 10', async () => {
    // Prepare
    const deps = testDeps();
    deps.kube.seed(workflowObject('probe'));
    deps.kube.seed(
      withHistory(
        planObject('failover', [ref('probe')]),
        Array.from({ length: 12 }, (_, index) => `run-${12 - index}`),
      ),
    );
    for (let day = 1; day <= 12; day++) deps.kube.seed(finishedExecution(`run-${day}`, 'failover', `2026-01-${String(day).padStart(2, '0')}T00:00:00Z`));
    // Act
    await createValidatePlan(deps).reconcile(PLAN);
    // Assess
    const left = (await deps.kube.list(API_VERSION, Kinds.execution)).map((execution) => execution.metadata.name);
    assert.equal(left.length, 10);
    assert.ok(!left.includes('run-1') && !left.includes('run-2'));
  });
});

describe('validate-plan: retention costs nothing while a plan has few runs', () => {
  test('a plan with fewer recorded runs than its limit does not list its executions', async () => {
    // Prepare
    const deps = testDeps();
    deps.kube.seed(workflowObject('probe'));
    deps.kube.seed(withHistory(planObject('failover', [ref('probe')], { executionHistoryLimit: 3 }), ['only-run']));
    // Act
    await createValidatePlan(deps).reconcile(PLAN);
    // Assess
    assert.deepEqual(
      deps.kube.calls.filter((call) => call.verb === 'list' && call.key.includes(Kinds.execution)),
      [],
    );
  });
});
