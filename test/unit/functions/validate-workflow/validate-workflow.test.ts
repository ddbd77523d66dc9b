import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { Finalizers } from '../../../../shared/api/index.js';
import { EventTypes } from '../../../../shared/events.js';
import { createValidateWorkflow, MAX_TRIES } from '../../../../functions/validate-workflow/validate-workflow.js';
import {
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
} from '../../../support/validation-helpers.js';

const ID = { name: 'probe', namespace: 'default' };

describe('validate-workflow reconcile: phase and Ready condition', () => {
  test('a valid workflow becomes Ready with a True Ready condition for its generation', async () => {
    // Prepare
    const deps = testDeps();
    deps.kube.seed(workflowObject('probe'));
    // Act
    await createValidateWorkflow(deps).reconcile(ID);
    // Assess
    const status = await statusOf(deps.kube, workflowKey('probe'));
    assert.equal(status.phase, 'Ready');
    assert.equal(status.observedGeneration, 1);
    assert.deepEqual(await readyConditionOf(deps.kube, workflowKey('probe')), {
      type: 'Ready',
      status: 'True',
      reason: 'Valid',
      message: 'valid',
      observedGeneration: 1,
      lastTransitionTime: NOW,
    });
    assert.deepEqual(
      deps.log.lines.map(({ level, message, fields }) => ({ level, message, workflow: fields.workflow, phase: fields.phase })),
      [{ level: 'info', message: 'workflow status written', workflow: 'default/probe', phase: 'Ready' }],
    );
  });

  const invalid = [
    {
      name: 'an HTTP action without a url',
      spec: { actions: [{ name: 'probe', type: 'HTTP', http: {} }] },
      expected: 'spec.actions[0].http.url: required',
    },
    {
      name: 'a Patch resource action without a rollback',
      spec: {
        actions: [
          { name: 'scale', type: 'KubernetesResource', resource: { operation: 'Patch', manifest: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n' } },
        ],
      },
      expected: 'spec.actions[0].rollback: required when a KubernetesResource action',
    },
    {
      name: 'an action depending on a later one',
      spec: {
        actions: [
          { name: 'a', type: 'HTTP', http: { url: 'https://a.example' }, dependsOn: ['b'] },
          { name: 'b', type: 'HTTP', http: { url: 'https://b.example' } },
        ],
      },
      expected: 'spec.actions[0].dependsOn[0]: "b" is spec.actions[1], which comes later',
    },
  ];
  for (const { name, spec, expected } of invalid) {
    test(`a workflow with ${name} is Invalid and its condition names the field`, async () => {
      // Prepare
      const deps = testDeps();
      deps.kube.seed(workflowObject('probe', spec));
      // Act
      await createValidateWorkflow(deps).reconcile(ID);
      // Assess
      assert.equal((await statusOf(deps.kube, workflowKey('probe'))).phase, 'Invalid');
      const condition = await readyConditionOf(deps.kube, workflowKey('probe'));
      assert.equal(condition?.status, 'False');
      assert.equal(condition.reason, 'Invalid');
      assert.ok(condition.message.includes(expected), `${JSON.stringify(condition.message)} should contain ${JSON.stringify(expected)}`);
    });
  }

  test('every problem is named, separated by semicolons, in field order', async () => {
    // Prepare
    const deps = testDeps();
    deps.kube.seed(
      workflowObject('probe', {
        actions: [
          { name: 'a', type: 'Job' },
          { name: 'a', type: 'HTTP', http: { url: 'ftp://x' } },
        ],
      }),
    );
    // Act
    await createValidateWorkflow(deps).reconcile(ID);
    // Assess
    const condition = await readyConditionOf(deps.kube, workflowKey('probe'));
    assert.equal(
      condition?.message,
      'spec.actions[0].job: required when type is Job; spec.actions[1].http.url: must be an absolute http:// or https:// URL, got "ftp://x"; ' +
        'spec.actions[1].name: duplicate action name "a": spec.actions[0] and spec.actions[1]',
    );
  });

  test('warnings appear in the message of a Ready workflow, marked as warnings', async () => {
    // Prepare
    const deps = testDeps();
    deps.kube.seed(workflowObject('probe', { actions: [{ name: 'p', type: 'HTTP', http: { url: '{{ .params.endpoint }}' } }] }));
    // Act
    await createValidateWorkflow(deps).reconcile(ID);
    // Assess
    const condition = await readyConditionOf(deps.kube, workflowKey('probe'));
    assert.equal(condition?.status, 'True');
    assert.match(condition.message, /^valid; warning: spec\.actions\[0\]\.http\.url: parameter "endpoint" is not declared/);
  });

  test('a workflow that does not exist is nothing to do', async () => {
    // Prepare
    const deps = testDeps();
    // Act
    const outcome = await createValidateWorkflow(deps).reconcile(ID);
    // Assess
    assert.deepEqual(outcome, []);
    assert.deepEqual(deps.kube.writes(), []);
  });
});

describe('validate-workflow reconcile: replies and idempotence', () => {
  test('the first validation replies workflow.validated with the phase and generation', async () => {
    // Prepare
    const deps = testDeps();
    deps.kube.seed(workflowObject('probe'));
    // Act
    const outcome = await createValidateWorkflow(deps).reconcile(ID);
    // Assess
    assert.deepEqual(outcome, [{ type: EventTypes.workflowValidated, subject: 'default/probe', data: { workflow: ID, phase: 'Ready', generation: 1 } }]);
  });

  test('reconciling again writes nothing and replies nothing', async () => {
    // Prepare
    const deps = testDeps();
    deps.kube.seed(workflowObject('probe'));
    const core = createValidateWorkflow(deps);
    await core.reconcile(ID);
    deps.kube.calls.length = 0;
    deps.clock.advance(60_000);
    // Act
    const outcome = await core.reconcile(ID);
    // Assess
    assert.deepEqual(outcome, []);
    assert.deepEqual(deps.kube.writes(), []);
  });

  test('an edit that keeps the phase still replies, for the new generation, and keeps lastTransitionTime', async () => {
    // Prepare
    const deps = testDeps();
    deps.kube.seed(workflowObject('probe'));
    const core = createValidateWorkflow(deps);
    await core.reconcile(ID);
    await deps.kube.mergePatch(workflowKey('probe'), { spec: { failurePolicy: 'Continue' } });
    deps.clock.advance(60_000);
    // Act
    const outcome = await core.reconcile(ID);
    // Assess
    assert.deepEqual(
      outcome.map((reply) => reply.data),
      [{ workflow: ID, phase: 'Ready', generation: 2 }],
    );
    const condition = await readyConditionOf(deps.kube, workflowKey('probe'));
    assert.equal(condition?.observedGeneration, 2);
    assert.equal(condition.lastTransitionTime, NOW);
  });

  test('a fix turns an Invalid workflow Ready, moving lastTransitionTime', async () => {
    // Prepare
    const deps = testDeps();
    deps.kube.seed(workflowObject('probe', { actions: [{ name: 'p', type: 'HTTP', http: {} }] }));
    const core = createValidateWorkflow(deps);
    await core.reconcile(ID);
    await deps.kube.mergePatch(workflowKey('probe'), { spec: { actions: [{ name: 'p', type: 'HTTP', http: { url: 'https://ok.example' } }] } });
    deps.clock.advance(60_000);
    // Act
    const outcome = await core.reconcile(ID);
    // Assess
    assert.deepEqual(
      outcome.map((reply) => reply.data),
      [{ workflow: ID, phase: 'Ready', generation: 2 }],
    );
    const condition = await readyConditionOf(deps.kube, workflowKey('probe'));
    assert.equal(condition?.status, 'True');
    assert.equal(condition.lastTransitionTime, '2026-03-01T10:01:00.000Z');
  });

  test('a status write that loses a race is made again from a fresh read', async () => {
    // Prepare
    const deps = testDeps();
    deps.kube.seed(workflowObject('probe'));
    deps.kube.failNextWrites(1);
    // Act
    const outcome = await createValidateWorkflow(deps).reconcile(ID);
    // Assess
    const verbs = deps.kube.calls.map(({ verb }) => verb);
    assert.deepEqual(verbs, ['get', 'list', 'mergePatchStatus', 'get', 'list', 'mergePatchStatus']);
    assert.equal(outcome.length, 1);
    assert.equal((await statusOf(deps.kube, workflowKey('probe'))).phase, 'Ready');
  });

  test('the reply is still sent when the status was written and only the finalizer write had to be retried', async () => {
    // Prepare
    const deps = testDeps();
    deps.kube.seed(workflowObject('probe'));
    deps.kube.seed(planObject('failover', [ref('probe')]));
    const core = createValidateWorkflow(deps);
    const realPatch = deps.kube.mergePatch.bind(deps.kube);
    let first = true;
    deps.kube.mergePatch = async (key, patch) => {
      if (first) {
        first = false;
        deps.kube.failNextWrites(1);
      }
      return realPatch(key, patch);
    };
    // Act
    const outcome = await core.reconcile(ID);
    // Assess
    assert.deepEqual(
      outcome.map((reply) => reply.data),
      [{ workflow: ID, phase: 'Ready', generation: 1 }],
    );
    assert.deepEqual((await mustGet(deps.kube, workflowKey('probe'))).metadata.finalizers, [Finalizers.workflowProtection]);
  });

  test('a workflow changed by someone else on every try ends in a 409 naming it', async () => {
    // Prepare
    const deps = testDeps();
    deps.kube.seed(workflowObject('probe'));
    deps.kube.failNextWrites(MAX_TRIES);
    // Act, Assess
    await assert.rejects(createValidateWorkflow(deps).reconcile(ID), {
      name: 'HandlerError',
      code: 409,
      message: `DRWorkflow default/probe: changed by someone else on each of ${MAX_TRIES} tries`,
    });
  });
});

describe('validate-workflow reconcile: references and the protection finalizer', () => {
  test('plans of any namespace the workflow shares itself with that reference it are listed and protect it', async () => {
    // Prepare
    const deps = testDeps();
    deps.kube.seed(workflowObject('probe', { shareWithNamespaces: ['ops'] }));
    deps.kube.seed(planObject('failover', [ref('probe')]));
    deps.kube.seed(planObject('remote', [ref('probe', 'default')], {}, { namespace: 'ops' }));
    deps.kube.seed(planObject('unrelated', [ref('other')]));
    deps.kube.seed(planObject('same-name-elsewhere', [ref('probe')], {}, { namespace: 'ops' }));
    // Act
    await createValidateWorkflow(deps).reconcile(ID);
    // Assess
    assert.deepEqual((await statusOf(deps.kube, workflowKey('probe'))).referencedBy, [
      { name: 'failover', namespace: 'default' },
      { name: 'remote', namespace: 'ops' },
    ]);
    assert.deepEqual((await mustGet(deps.kube, workflowKey('probe'))).metadata.finalizers, [Finalizers.workflowProtection]);
  });

  test('a plan of a namespace the workflow does not share itself with holds nothing of it: not listed, no finalizer', async () => {
    // Prepare
    const deps = testDeps();
    deps.kube.seed(workflowObject('probe', { shareWithNamespaces: ['ops'] }));
    deps.kube.seed(planObject('intruder', [ref('probe', 'default')], {}, { namespace: 'team-a' }));
    // Act
    await createValidateWorkflow(deps).reconcile(ID);
    // Assess
    assert.equal((await statusOf(deps.kube, workflowKey('probe'))).referencedBy, undefined);
    assert.equal((await mustGet(deps.kube, workflowKey('probe'))).metadata.finalizers, undefined);
  });

  test('the finalizer and referencedBy go when the last plan referencing the workflow is gone', async () => {
    // Prepare
    const deps = testDeps();
    deps.kube.seed(workflowObject('probe', {}, { finalizers: ['other.example/keep'] }));
    deps.kube.seed(planObject('failover', [ref('probe')]));
    const core = createValidateWorkflow(deps);
    await core.reconcile(ID);
    await deps.kube.remove(planKey('failover'));
    // Act
    const outcome = await core.reconcile(ID);
    // Assess
    assert.deepEqual(outcome, []);
    const stored = await mustGet(deps.kube, workflowKey('probe'));
    assert.deepEqual(stored.metadata.finalizers, ['other.example/keep']);
    assert.equal((stored.status as Record<string, unknown>).referencedBy, undefined);
  });

  test('a workflow that no plan references gets no finalizer', async () => {
    // Prepare
    const deps = testDeps();
    deps.kube.seed(workflowObject('probe'));
    // Act
    await createValidateWorkflow(deps).reconcile(ID);
    // Assess
    assert.equal((await mustGet(deps.kube, workflowKey('probe'))).metadata.finalizers, undefined);
    assert.deepEqual(
      deps.kube.writes().map(({ verb }) => verb),
      ['mergePatchStatus'],
    );
  });

  test('deleting a workflow that a plan references is held, and the condition names the plan', async () => {
    // Prepare
    const deps = testDeps();
    deps.kube.seed(workflowObject('probe'));
    deps.kube.seed(planObject('failover', [ref('probe')]));
    const core = createValidateWorkflow(deps);
    await core.reconcile(ID);
    await deps.kube.remove(workflowKey('probe'));
    // Act
    const outcome = await core.reconcile(ID);
    // Assess
    assert.deepEqual(outcome, []);
    const stored = await mustGet(deps.kube, workflowKey('probe'));
    assert.ok(stored.metadata.deletionTimestamp !== undefined);
    assert.deepEqual(stored.metadata.finalizers, [Finalizers.workflowProtection]);
    const condition = await readyConditionOf(deps.kube, workflowKey('probe'));
    assert.deepEqual(
      { status: condition?.status, reason: condition?.reason, message: condition?.message },
      { status: 'False', reason: 'InUse', message: 'held by DRPlan default/failover: deletion waits until no DRPlan references this workflow' },
    );
  });

  test('a held deletion is released once no plan references the workflow', async () => {
    // Prepare
    const deps = testDeps();
    deps.kube.seed(workflowObject('probe'));
    deps.kube.seed(planObject('failover', [ref('probe')]));
    const core = createValidateWorkflow(deps);
    await core.reconcile(ID);
    await deps.kube.remove(workflowKey('probe'));
    await core.reconcile(ID);
    await deps.kube.mergePatch(planKey('failover'), { spec: { stages: [{ name: 'main', workflows: [ref('other')] }] } });
    // Act
    const outcome = await core.reconcile(ID);
    // Assess
    assert.deepEqual(outcome, []);
    assert.equal(await deps.kube.get(workflowKey('probe')), undefined);
  });

  test('a plan that is itself being deleted does not hold the workflow', async () => {
    // Prepare
    const deps = testDeps();
    deps.kube.seed(workflowObject('probe', {}, { finalizers: [Finalizers.workflowProtection] }));
    deps.kube.seed(planObject('failover', [ref('probe')], {}, { deletionTimestamp: NOW, finalizers: ['other.example/keep'] }));
    // Act
    await createValidateWorkflow(deps).reconcile(ID);
    // Assess
    assert.deepEqual((await mustGet(deps.kube, workflowKey('probe'))).metadata.finalizers, []);
  });
});

describe('validate-workflow resync', () => {
  test('only workflows whose validation, references or finalizer are stale are reconciled', async () => {
    // Prepare
    const deps = testDeps();
    const core = createValidateWorkflow(deps);
    deps.kube.seed(workflowObject('fresh'));
    deps.kube.seed(workflowObject('edited'));
    deps.kube.seed(workflowObject('released'));
    deps.kube.seed(planObject('failover', [ref('released')]));
    for (const name of ['fresh', 'edited', 'released']) await core.reconcile({ name, namespace: 'default' });
    await deps.kube.mergePatch(workflowKey('edited'), { spec: { failurePolicy: 'Continue' } });
    await deps.kube.remove(planKey('failover'));
    deps.kube.calls.length = 0;
    // Act
    const outcome = await core.resync();
    // Assess
    assert.deepEqual(
      outcome.map((reply) => reply.subject),
      ['default/edited'],
    );
    const written = new Set(deps.kube.writes().map(({ key }) => key.split('/').pop()));
    assert.deepEqual([...written].sort(), ['edited', 'released']);
    assert.equal((await mustGet(deps.kube, workflowKey('released'))).metadata.finalizers?.length, 0);
  });

  test('a resync with nothing stale writes nothing', async () => {
    // Prepare
    const deps = testDeps();
    const core = createValidateWorkflow(deps);
    deps.kube.seed(workflowObject('probe'));
    deps.kube.seed(planObject('failover', [ref('probe')]));
    await core.reconcile(ID);
    deps.kube.calls.length = 0;
    // Act
    const outcome = await core.resync();
    // Assess
    assert.deepEqual(outcome, []);
    assert.deepEqual(deps.kube.writes(), []);
  });

  test('one workflow that cannot be written does not stop the others', async () => {
    // Prepare
    const deps = testDeps();
    deps.kube.seed(workflowObject('a'));
    deps.kube.seed(workflowObject('b'));
    deps.kube.failNextWrites(MAX_TRIES);
    // Act
    const outcome = await createValidateWorkflow(deps).resync();
    // Assess
    assert.deepEqual(
      outcome.map((reply) => reply.subject),
      ['default/b'],
    );
    assert.equal((await statusOf(deps.kube, workflowKey('a'))).phase, undefined);
    assert.ok(deps.log.lines.some((line) => line.level === 'warn' && line.fields.workflow === 'default/a'));
  });
});
