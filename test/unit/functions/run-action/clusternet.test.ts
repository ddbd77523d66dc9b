import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { createRunAction } from '../../../../functions/run-action/run-action.js';
import { admitCustomResource } from '../../../../local/apiserver/schema.js';
import type { DRWorkflow, ResolvedPlan } from '../../../../shared/api/index.js';
import { DRPlanExecutionSchema, DRPlanSchema, DRWorkflowSchema } from '../../../../shared/api/index.js';
import { freezePlan } from '../../../../shared/engine/render.js';
import { OwnershipLabels } from '../../../../shared/job-labels.js';
import { EventTypes } from '../../../../shared/events.js';
import { FakeKube } from '../../../support/fake-kube.js';
import { CLUSTERNET_CRDS, ORIGINAL_MANIFESTS } from '../../../support/fixtures.js';
import type { World } from '../../../support/run-action-helpers.js';
import { executionObject, requestAction, requested, startedStatus, UID, world } from '../../../support/run-action-helpers.js';

// ---- The seed install sample, frozen as plan-stages freezes it -------------------------------------

const seedDir = join(ORIGINAL_MANIFESTS, 'install');
const seed = (file: string): unknown => parseYaml(readFileSync(join(seedDir, file), 'utf8'));

function installPlan(): ResolvedPlan {
  const workflows: DRWorkflow[] = ['workflow-localization-cluster-a.yaml', 'workflow-localization-cluster-b.yaml', 'workflow-subscription.yaml'].map((file) =>
    DRWorkflowSchema.parse(seed(file)),
  );
  const frozen = freezePlan({
    plan: DRPlanSchema.parse(seed('drplan.yaml')),
    execution: DRPlanExecutionSchema.parse(seed('drplanexecution-execute.yaml')),
    workflows: (ref) => workflows.find((wf) => wf.metadata.name === ref.name && wf.metadata.namespace === ref.namespace),
  });
  assert.deepEqual(frozen.problems, []);
  return frozen.resolved;
}

const LOCALIZATION_A = 'localize/0/create-localization-cluster-a';
const SUBSCRIPTION = 'deploy-subscription/0/create-nginx-subscription';
const LOCALIZATION_KEY = {
  apiVersion: 'apps.clusternet.io/v1alpha1',
  kind: 'Localization',
  name: 'nginx-overrides-cluster-a',
  namespace: 'clusternet-cluster-a',
};
const SUBSCRIPTION_KEY = { apiVersion: 'apps.clusternet.io/v1alpha1', kind: 'Subscription', name: 'nginx-subscription', namespace: 'default' };

/** The install sample with `edit` applied to the frozen plan, and `path` requested. */
function installWorld(path: string, edit: (plan: ResolvedPlan) => void = () => undefined, kube = new FakeKube()): World {
  const resolved = installPlan();
  edit(resolved);
  const status = requestAction(startedStatus(resolved), path);
  return world(executionObject(status), { kube });
}

function firstAction(plan: ResolvedPlan, stage: number, workflow = 0) {
  const action = plan.stages?.[stage]?.workflows[workflow]?.actions[0];
  assert.ok(action);
  return action;
}

describe('a Localization action of the seed install sample', () => {
  test('creates the Localization in the cluster namespace with its spec, and records it', async () => {
    // Prepare
    const w = installWorld(LOCALIZATION_A);

    // Act
    const replies = await createRunAction(w.deps).onActionRequested(requested(LOCALIZATION_A));

    // Assess
    const stored = await w.kube.get(LOCALIZATION_KEY);
    assert.deepEqual(stored?.spec, {
      priority: 500,
      overridePolicy: 'ApplyNow',
      feed: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'nginx', namespace: 'default' },
      overrides: [{ name: 'replicas-cluster-a', type: 'MergePatch', value: '{"spec":{"replicas":1}}\n' }],
    });
    assert.equal(stored.metadata.labels?.[OwnershipLabels.executionUid], UID);
    const action = w.action(LOCALIZATION_A);
    assert.equal(action?.phase, 'Succeeded');
    assert.deepEqual(action.outputs, { localizationRef: { ...LOCALIZATION_KEY, uid: stored.metadata.uid }, created: true });
    // the next action of the workflow is requested with the result
    assert.deepEqual(
      replies.map((r) => r.type),
      [EventTypes.actionRequested],
    );
    assert.equal(w.action(String(replies[0]?.data.path))?.requestedAt !== undefined, true);
  });

  test('with Patch merges the new spec and records the prior state', async () => {
    // Prepare
    const kube = new FakeKube();
    const before = kube.seed({
      ...LOCALIZATION_KEY,
      metadata: { name: LOCALIZATION_KEY.name, namespace: LOCALIZATION_KEY.namespace },
      spec: { priority: 500, overridePolicy: 'ApplyNow' },
    });
    const w = installWorld(
      LOCALIZATION_A,
      (plan) => {
        const action = firstAction(plan, 0);
        if (action.localization) Object.assign(action.localization, { operation: 'Patch', spec: { priority: 800, overridePolicy: 'ApplyNow' } });
      },
      kube,
    );

    // Act
    await createRunAction(w.deps).onActionRequested(requested(LOCALIZATION_A));

    // Assess
    assert.deepEqual((await w.kube.get(LOCALIZATION_KEY))?.spec, { priority: 800, overridePolicy: 'ApplyNow' });
    const outputs = w.action(LOCALIZATION_A)?.outputs;
    assert.deepEqual(JSON.parse(outputs?.priorState ?? '{}'), before);
    assert.equal(outputs?.created, false);
    assert.equal(outputs.localizationRef?.name, LOCALIZATION_KEY.name);
  });

  test('with Delete deletes it and records the prior state', async () => {
    // Prepare
    const kube = new FakeKube();
    const before = kube.seed({
      ...LOCALIZATION_KEY,
      metadata: { name: LOCALIZATION_KEY.name, namespace: LOCALIZATION_KEY.namespace },
      spec: { priority: 500 },
    });
    const w = installWorld(
      LOCALIZATION_A,
      (plan) => {
        const action = firstAction(plan, 0);
        if (action.localization) Object.assign(action.localization, { operation: 'Delete' });
      },
      kube,
    );

    // Act
    await createRunAction(w.deps).onActionRequested(requested(LOCALIZATION_A));

    // Assess
    assert.equal(await w.kube.get(LOCALIZATION_KEY), undefined);
    assert.equal(w.action(LOCALIZATION_A)?.phase, 'Succeeded');
    assert.deepEqual(JSON.parse(w.action(LOCALIZATION_A)?.outputs?.priorState ?? '{}'), before);
  });

  test('with Delete of a Localization already gone succeeds', async () => {
    // Prepare
    const w = installWorld(LOCALIZATION_A, (plan) => {
      const action = firstAction(plan, 0);
      if (action.localization) Object.assign(action.localization, { operation: 'Delete' });
    });

    // Act
    await createRunAction(w.deps).onActionRequested(requested(LOCALIZATION_A));

    // Assess
    assert.equal(w.action(LOCALIZATION_A)?.phase, 'Succeeded');
  });

  test('with Patch of a missing Localization fails without retry', async () => {
    // Prepare
    const w = installWorld(LOCALIZATION_A, (plan) => {
      const action = firstAction(plan, 0);
      if (action.localization) Object.assign(action.localization, { operation: 'Patch' });
    });

    // Act
    await createRunAction(w.deps).onActionRequested(requested(LOCALIZATION_A));

    // Assess
    assert.equal(w.action(LOCALIZATION_A)?.phase, 'Failed');
    assert.equal(w.action(LOCALIZATION_A)?.message, 'Localization clusternet-cluster-a/nginx-overrides-cluster-a not found; a Patch needs an existing object');
  });

  test('with Create but no spec fails without retry, naming the field', async () => {
    // Prepare
    const w = installWorld(LOCALIZATION_A, (plan) => {
      const action = firstAction(plan, 0);
      delete action.localization?.spec;
    });

    // Act
    await createRunAction(w.deps).onActionRequested(requested(LOCALIZATION_A));

    // Assess
    assert.equal(w.action(LOCALIZATION_A)?.phase, 'Failed');
    assert.equal(w.action(LOCALIZATION_A)?.message, 'localization.spec: is required for operation Create');
  });
});

describe('the Subscription action of the seed install sample', () => {
  test('creates the Subscription with its feeds and subscribers, and records it', async () => {
    // Prepare
    const w = installWorld(SUBSCRIPTION);

    // Act
    await createRunAction(w.deps).onActionRequested(requested(SUBSCRIPTION));

    // Assess
    const stored = await w.kube.get(SUBSCRIPTION_KEY);
    const spec = stored?.spec as { feeds?: Array<{ kind: string; namespace?: string }>; subscribers?: unknown[]; schedulingStrategy?: string } | undefined;
    assert.deepEqual(
      spec?.feeds?.map((feed) => `${feed.kind}/${feed.namespace ?? ''}`),
      ['Deployment/default', 'ConfigMap/default', 'Service/default'],
    );
    assert.equal(spec.subscribers?.length, 1);
    assert.equal(spec.schedulingStrategy, 'Replication');
    const action = w.action(SUBSCRIPTION);
    assert.equal(action?.phase, 'Succeeded');
    assert.deepEqual(action.outputs, { subscriptionRef: { ...SUBSCRIPTION_KEY, uid: stored?.metadata.uid }, created: true });
  });

  test('with Create of a Subscription it created before succeeds (re-delivery after a lost result)', async () => {
    // Prepare: attempt 1 created it; the result was lost and attempt 2 is requested
    const w = installWorld(SUBSCRIPTION);
    await createRunAction(w.deps).onActionRequested(requested(SUBSCRIPTION));
    const status = requestAction(w.status(), SUBSCRIPTION, 2, w.clock.now());
    await w.kube.replaceStatus({ ...executionObject(status), metadata: { name: 'failover-1', namespace: 'dr' } });

    // Act
    await createRunAction(w.deps).onActionRequested(requested(SUBSCRIPTION, 2));

    // Assess
    assert.equal(w.action(SUBSCRIPTION)?.phase, 'Succeeded');
    assert.equal(w.action(SUBSCRIPTION)?.attempt, 2);
  });

  test('with Patch merges the new spec and records the prior state', async () => {
    // Prepare
    const w0 = installWorld(SUBSCRIPTION);
    await createRunAction(w0.deps).onActionRequested(requested(SUBSCRIPTION));
    const existing = await w0.kube.get(SUBSCRIPTION_KEY);
    assert.ok(existing);
    const kube = new FakeKube();
    const before = kube.seed(existing);
    const w = installWorld(
      SUBSCRIPTION,
      (plan) => {
        const action = firstAction(plan, 1);
        if (action.subscription?.spec)
          Object.assign(action.subscription, { operation: 'Patch', spec: { ...action.subscription.spec, schedulingStrategy: 'Dividing' } });
      },
      kube,
    );

    // Act
    await createRunAction(w.deps).onActionRequested(requested(SUBSCRIPTION));

    // Assess
    const patched = await w.kube.get(SUBSCRIPTION_KEY);
    assert.equal((patched?.spec as { schedulingStrategy?: string } | undefined)?.schedulingStrategy, 'Dividing');
    assert.deepEqual(JSON.parse(w.action(SUBSCRIPTION)?.outputs?.priorState ?? '{}'), before);
  });

  test('with Delete deletes it and records the prior state', async () => {
    // Prepare
    const kube = new FakeKube();
    const before = kube.seed({
      ...SUBSCRIPTION_KEY,
      metadata: { name: SUBSCRIPTION_KEY.name, namespace: SUBSCRIPTION_KEY.namespace },
      spec: { feeds: [], subscribers: [] },
    });
    const w = installWorld(
      SUBSCRIPTION,
      (plan) => {
        const action = firstAction(plan, 1);
        if (action.subscription) Object.assign(action.subscription, { operation: 'Delete' });
      },
      kube,
    );

    // Act
    await createRunAction(w.deps).onActionRequested(requested(SUBSCRIPTION));

    // Assess
    assert.equal(await w.kube.get(SUBSCRIPTION_KEY), undefined);
    assert.deepEqual(JSON.parse(w.action(SUBSCRIPTION)?.outputs?.priorState ?? '{}'), before);
  });
});

describe('what the install sample creates, against Clusternet v0.18.1 as published', () => {
  /** The served version's schema of each Clusternet kind, from the vendored CRDs. */
  const schemaOf = (kind: string): unknown => {
    const crd = parseYaml(readFileSync(join(CLUSTERNET_CRDS, `apps.clusternet.io_${kind.toLowerCase()}s.yaml`), 'utf8')) as {
      spec: { versions: { name: string; served: boolean; schema: { openAPIV3Schema: unknown } }[] };
    };
    const served = crd.spec.versions.find((version) => version.served && version.name === 'v1alpha1');
    assert.ok(served, `no served v1alpha1 in the ${kind} CRD`);
    return served.schema.openAPIV3Schema;
  };

  for (const { path, key } of [
    { path: LOCALIZATION_A, key: LOCALIZATION_KEY },
    { path: SUBSCRIPTION, key: SUBSCRIPTION_KEY },
  ]) {
    test(`the ${key.kind} passes Clusternet's structural schema`, async () => {
      // Prepare
      const w = installWorld(path);

      // Act
      await createRunAction(w.deps).onActionRequested(requested(path));

      // Assess
      const stored = await w.kube.get(key);
      assert.ok(stored, `${key.kind} ${key.name} was not created`);
      assert.deepEqual(admitCustomResource(schemaOf(key.kind), stored, key.kind).causes, []);
    });
  }
});
