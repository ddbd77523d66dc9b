import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import type { Action, ActionStatus, DRPlanExecution, DRPlanExecutionStatus, ResolvedPlan, RollbackStep } from '../../../shared/api/index.js';
import { ActionSchema, DRPlanExecutionStatusSchema, ResolvedPlanSchema } from '../../../shared/api/index.js';
import type { RollbackInput } from '../../../shared/engine/rollback.js';
import { schedule } from '../../../shared/engine/scheduler.js';
import { checkRevertTarget, planRollback, rolledBackPaths } from '../../../shared/engine/rollback.js';
import { initialRevertStatus, revertPlan } from '../../../shared/engine/revert-plan.js';

// ---- Fixtures -------------------------------------------------------------------------------------

const NS = 'dr-system';

const action = (raw: Record<string, unknown>): Action => ActionSchema.parse(raw);
const httpAction = (name: string): Action => action({ name, type: 'HTTP', http: { url: `http://svc/${name}` } });

type StageSpec = { name: string; workflows: Action[][] };

/** A target execution: the frozen plan from `stages`, each action's status from `statuses` (by path; default Pending). */
function target(stages: StageSpec[], statuses: Record<string, Partial<ActionStatus>> = {}): RollbackInput['target'] {
  const resolved: ResolvedPlan = {
    failurePolicy: 'Stop',
    stages: stages.map((stage) => ({
      name: stage.name,
      parallel: false,
      failurePolicy: 'Stop',
      workflows: stage.workflows.map((actions, w) => ({ workflowRef: { name: `wf-${w}`, namespace: NS }, failurePolicy: 'FailFast', actions })),
    })),
  };
  const stageStatuses = stages.map((stage) => ({
    name: stage.name,
    phase: 'Succeeded' as const,
    workflowExecutions: stage.workflows.map((actions, w) => ({
      workflowRef: { name: `wf-${w}`, namespace: NS },
      phase: 'Succeeded' as const,
      actionStatuses: actions.map((a) => ({ name: a.name, phase: 'Pending' as const, ...statuses[`${stage.name}/${w}/${a.name}`] })),
    })),
  }));
  return { resolved, status: { phase: 'Succeeded', stageStatuses, resolved } };
}

const succeededAt = (second: number, outputs?: ActionStatus['outputs']): Partial<ActionStatus> => ({
  phase: 'Succeeded',
  completionTime: new Date(Date.UTC(2025, 0, 1, 0, 0, second)).toISOString(),
  ...(outputs ? { outputs } : {}),
});

/** The one step planned for a single succeeded action with these outputs. */
function onlyStep(forward: Action, outputs?: ActionStatus['outputs']): RollbackStep {
  const steps = planRollback({ target: target([{ name: 's', workflows: [[forward]] }], { [`s/0/${forward.name}`]: succeededAt(1, outputs) }) });
  assert.equal(steps.length, 1);
  const [step] = steps;
  assert.ok(step);
  return step;
}

const manifestOf = (step: RollbackStep): unknown => {
  const parsed = ActionSchema.parse(step.action);
  return parseYaml(parsed.resource?.manifest ?? '');
};

// ---- Order ----------------------------------------------------------------------------------------

describe('planRollback order', () => {
  const a = httpAction('a');
  const b = httpAction('b');
  const c = httpAction('c');
  const cases: { name: string; stages: StageSpec[]; statuses: Record<string, Partial<ActionStatus>>; expected: string[] }[] = [
    {
      name: 'undoes actions in reverse order of completion, not plan order',
      stages: [{ name: 's1', workflows: [[a, b, c]] }],
      statuses: { 's1/0/a': succeededAt(30), 's1/0/b': succeededAt(10), 's1/0/c': succeededAt(20) },
      expected: ['s1/0/a', 's1/0/c', 's1/0/b'],
    },
    {
      name: 'breaks a completion tie by undoing the later stage first',
      stages: [
        { name: 'first', workflows: [[a]] },
        { name: 'second', workflows: [[a]] },
      ],
      statuses: { 'first/0/a': succeededAt(5), 'second/0/a': succeededAt(5) },
      expected: ['second/0/a', 'first/0/a'],
    },
    {
      name: 'breaks a completion tie by undoing the later workflow of a stage first',
      stages: [{ name: 'p', workflows: [[a], [a], [a]] }],
      statuses: { 'p/0/a': succeededAt(5), 'p/1/a': succeededAt(5), 'p/2/a': succeededAt(5) },
      expected: ['p/2/a', 'p/1/a', 'p/0/a'],
    },
    {
      name: 'breaks a completion tie by undoing the later action of a workflow first',
      stages: [{ name: 's', workflows: [[a, b, c]] }],
      statuses: { 's/0/a': succeededAt(5), 's/0/b': succeededAt(5), 's/0/c': succeededAt(5) },
      expected: ['s/0/c', 's/0/b', 's/0/a'],
    },
    {
      name: 'undoes a succeeded action without a readable completion time last',
      stages: [{ name: 's', workflows: [[a, b, c]] }],
      statuses: { 's/0/a': { phase: 'Succeeded' }, 's/0/b': succeededAt(1), 's/0/c': { phase: 'Succeeded', completionTime: 'not a time' } },
      expected: ['s/0/b', 's/0/c', 's/0/a'],
    },
  ];
  for (const { name, stages, statuses, expected } of cases) {
    test(name, () => {
      // Prepare
      const input = { target: target(stages, statuses) };
      // Act
      const steps = planRollback(input);
      // Assess
      assert.deepEqual(
        steps.map((s) => s.rollbackOf),
        expected,
      );
    });
  }

  test('locates each step by stage, workflow index and action name', () => {
    const [step] = planRollback({ target: target([{ name: 'p', workflows: [[a], [b]] }], { 'p/1/b': succeededAt(1) }) });
    assert.deepEqual(step && { ...step, action: undefined }, {
      rollbackOf: 'p/1/b',
      stage: 'p',
      workflowIndex: 1,
      workflowRef: { name: 'wf-1', namespace: NS },
      actionName: 'b',
      mode: 'Skip',
      action: undefined,
      reason: 'an HTTP GET changes nothing at its target; nothing to undo',
    });
  });
});

// ---- Which actions ------------------------------------------------------------------------------------

describe('planRollback selection', () => {
  const names = ['ok', 'failed', 'answered', 'unanswered', 'cancelled', 'skipped', 'pending', 'unknown', 'running'];
  const stages = [{ name: 's', workflows: [names.map(httpAction)] }];
  const statuses: Record<string, Partial<ActionStatus>> = {
    's/0/ok': succeededAt(1),
    's/0/failed': { phase: 'Failed', completionTime: '2025-01-01T00:00:09Z', message: 'http.url: refused' },
    's/0/answered': { phase: 'Failed', completionTime: '2025-01-01T00:00:08Z', outputs: { httpResponse: { statusCode: 500 } } },
    's/0/unanswered': { phase: 'Failed', completionTime: '2025-01-01T00:00:07Z', outputs: { unsettledAttempt: 2 } },
    's/0/cancelled': { phase: 'Failed', completionTime: '2025-01-01T00:00:06Z', message: 'cancelled while running' },
    's/0/skipped': { phase: 'Skipped', completionTime: '2025-01-01T00:00:09Z' },
    's/0/pending': { phase: 'Pending' },
    's/0/unknown': { phase: 'Unknown', lastUpdateTime: '2025-01-01T00:00:05Z' },
    's/0/running': { phase: 'Running', lastUpdateTime: '2025-01-01T00:00:04Z' },
  };
  const affected = ['s/0/answered', 's/0/unanswered', 's/0/cancelled', 's/0/unknown', 's/0/running', 's/0/ok'];

  test('compensates every action that may have had an effect — succeeded, failed after sending, cancelled while running, unknown — newest first', () => {
    const steps = planRollback({ target: target(stages, statuses) });
    assert.deepEqual(
      steps.map((s) => s.rollbackOf),
      affected,
    );
  });

  test('never compensates what cannot have had an effect: skipped, pending, or failed before its request was sent', () => {
    const steps = new Set(planRollback({ target: target(stages, statuses) }).map((s) => s.rollbackOf));
    for (const path of ['s/0/failed', 's/0/skipped', 's/0/pending']) assert.equal(steps.has(path), false, path);
  });

  test('says why an action that did not succeed is compensated', () => {
    const post = action({
      name: 'p',
      type: 'HTTP',
      http: { url: 'http://svc/p', method: 'POST' },
      rollback: { type: 'HTTP', http: { url: 'http://svc/undo' } },
    });
    const [step] = planRollback({ target: target([{ name: 's', workflows: [[post]] }], { 's/0/p': statuses['s/0/unanswered'] ?? {} }) });
    assert.equal(step?.mode, 'Custom');
    assert.match(step.reason ?? '', /^run its rollback: Failed, but it failed after a request that got no answer/);
  });

  for (const phase of ['Failed', 'Cancelled'] as const) {
    test(`compensates the same actions when the target is ${phase}`, () => {
      // Prepare
      const t = target(stages, statuses);
      const input = { target: { ...t, status: { ...t.status, phase } } };
      // Act
      const steps = planRollback(input);
      // Assess
      assert.deepEqual(
        steps.map((s) => s.rollbackOf),
        affected,
      );
    });
  }

  test('ignores an action that has no status at all', () => {
    const t = target([{ name: 's', workflows: [[httpAction('a')]] }]);
    const steps = planRollback({ target: { ...t, status: {} } });
    assert.deepEqual(steps, []);
  });

  test('excludes the paths an earlier revert already rolled back', () => {
    // Prepare
    const t = target([{ name: 's', workflows: [[httpAction('a'), httpAction('b'), httpAction('c')]] }], {
      's/0/a': succeededAt(1),
      's/0/b': succeededAt(2),
      's/0/c': succeededAt(3),
    });
    // Act
    const steps = planRollback({ target: t, alreadyRolledBack: new Set(['s/0/c', 's/0/a']) });
    // Assess
    assert.deepEqual(
      steps.map((s) => s.rollbackOf),
      ['s/0/b'],
    );
  });
});

describe('rolledBackPaths', () => {
  test('collects the rollbackOf of succeeded revert actions across earlier reverts, and nothing else', () => {
    // Prepare
    const revert = (statuses: ActionStatus[]) => ({
      stageStatuses: [
        {
          name: 'rollback',
          phase: 'Failed' as const,
          workflowExecutions: [{ workflowRef: { name: 'x' }, phase: 'Failed' as const, actionStatuses: statuses }],
        },
      ],
    });
    const earlier = [
      revert([
        { name: 's.0.c', phase: 'Succeeded', rollbackOf: 's/0/c' },
        { name: 's.0.b', phase: 'Failed', rollbackOf: 's/0/b' },
        { name: 's.0.a', phase: 'Pending', rollbackOf: 's/0/a' },
      ]),
      revert([
        { name: 's.0.d', phase: 'Succeeded', rollbackOf: 's/0/d' },
        { name: 's.0.e', phase: 'Skipped', rollbackOf: 's/0/e' },
      ]),
      {},
    ];
    // Act
    const paths = rolledBackPaths(earlier);
    // Assess
    assert.deepEqual([...paths].sort(), ['s/0/c', 's/0/d']);
  });
});

// ---- Custom rollback ----------------------------------------------------------------------------------

describe('planRollback custom rollback', () => {
  const jobTemplate = {
    metadata: { labels: { team: 'sre' } },
    spec: {
      backoffLimit: 0,
      template: {
        spec: {
          restartPolicy: 'Never',
          containers: [{ name: 'undo', image: 'busybox:1.36', args: ['sh', '-c', 'echo undo'], env: [{ name: 'A', value: '1' }] }],
        },
      },
    },
  };
  const forward = action({
    name: 'switch-dns',
    type: 'HTTP',
    http: { url: 'http://dns/switch', method: 'POST' },
    rollback: {
      type: 'Job',
      timeout: '2m',
      dependsOn: ['earlier-action'],
      retryPolicy: { limit: 1, interval: '1s', backoffMultiplier: '1.5' },
      job: { namespace: 'ops', template: jobTemplate, ttlSecondsAfterFinished: 60 },
      rollback: { type: 'HTTP', http: { url: 'http://dns/noop', headers: { 'X-Mode': 'redo' } } },
    },
  });

  test('runs the frozen rollback with every nested field preserved', () => {
    // Act
    const step = onlyStep(forward, { httpResponse: { statusCode: 200 } });
    // Assess
    assert.equal(step.mode, 'Custom');
    const parsed = ActionSchema.parse(step.action);
    assert.deepEqual(parsed.job, { namespace: 'ops', template: jobTemplate, ttlSecondsAfterFinished: 60 });
    assert.deepEqual(parsed.retryPolicy, { limit: 1, interval: '1s', backoffMultiplier: '1.5' });
    assert.equal(parsed.timeout, '2m');
    assert.deepEqual(parsed.rollback?.http?.headers, { 'X-Mode': 'redo' });
  });

  test('names the rollback <action>-rollback when it has no name', () => {
    assert.equal(onlyStep(forward).action?.name, 'switch-dns-rollback');
  });

  test('keeps the name the rollback was given', () => {
    const named = action({ ...forward, rollback: { name: 'restore-dns', type: 'HTTP', http: { url: 'http://dns/restore' } } });
    assert.equal(onlyStep(named).action?.name, 'restore-dns');
  });

  test('drops dependsOn, which named actions of the forward workflow', () => {
    assert.equal(ActionSchema.parse(onlyStep(forward).action).dependsOn, undefined);
  });

  test('prefers the custom rollback over an automatic one', () => {
    const create = action({
      name: 'make',
      type: 'KubernetesResource',
      resource: { manifest: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n' },
      rollback: { type: 'HTTP', http: { url: 'http://hook/cleanup' } },
    });
    const step = onlyStep(create, { resourceRef: { apiVersion: 'v1', kind: 'ConfigMap', name: 'x', namespace: NS }, created: true });
    assert.equal(step.mode, 'Custom');
    assert.equal(ActionSchema.parse(step.action).http?.url, 'http://hook/cleanup');
  });
});

// ---- Automatic rollback -------------------------------------------------------------------------------

const cmManifest = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config\n  namespace: apps\ndata:\n  mode: active\n';
const resource = (operation: string, manifest = cmManifest): Action =>
  action({ name: 'res', type: 'KubernetesResource', timeout: '30s', retryPolicy: { limit: 2 }, resource: { operation, manifest } });
const localization = (operation: string): Action =>
  action({ name: 'loc', type: 'Localization', localization: { name: 'nginx-a', namespace: 'clusternet-a', operation, spec: { priority: 800 } } });
const subscription = (operation: string): Action =>
  action({ name: 'sub', type: 'Subscription', subscription: { name: 'nginx-sub', operation, spec: { feeds: [], subscribers: [] } } });
const job = action({
  name: 'migrate',
  type: 'Job',
  job: { namespace: 'batch-ns', template: { spec: { template: { spec: { containers: [{ name: 'm', image: 'busybox' }] } } } } },
});

const priorDeployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'web',
    namespace: 'apps',
    labels: { app: 'web' },
    annotations: { note: 'keep' },
    resourceVersion: '123',
    uid: 'u-1',
    generation: 4,
    creationTimestamp: '2024-01-01T00:00:00Z',
    managedFields: [{ manager: 'kubectl' }],
    selfLink: '/apis/apps/v1/namespaces/apps/deployments/web',
  },
  spec: { replicas: 3 },
  status: { readyReplicas: 3 },
};
const restoredDeployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'apps', labels: { app: 'web' }, annotations: { note: 'keep' } },
  spec: { replicas: 3 },
};

describe('planRollback automatic rollback', () => {
  const cases: { name: string; forward: Action; outputs: ActionStatus['outputs']; operation: string; manifest: unknown; reason: string }[] = [
    {
      name: 'deletes the Job a Job action created, and only that one (its uid)',
      forward: job,
      outputs: { jobRef: { apiVersion: 'batch/v1', kind: 'Job', name: 'migrate-abc', namespace: 'batch-ns', uid: 'u-1' } },
      operation: 'Delete',
      manifest: { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'migrate-abc', namespace: 'batch-ns', uid: 'u-1' } },
      reason: 'delete Job batch-ns/migrate-abc, created by this action',
    },
    {
      name: "deletes a Job whose reference lacks a namespace in the Job action's namespace",
      forward: job,
      outputs: { jobRef: { name: 'migrate-abc', uid: 'u-1' } },
      operation: 'Delete',
      manifest: { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'migrate-abc', namespace: 'batch-ns', uid: 'u-1' } },
      reason: 'delete Job batch-ns/migrate-abc, created by this action',
    },
    {
      name: 'deletes the Localization a Create made',
      forward: localization('Create'),
      outputs: { localizationRef: { name: 'nginx-a', namespace: 'clusternet-a' }, created: true },
      operation: 'Delete',
      manifest: { apiVersion: 'apps.clusternet.io/v1alpha1', kind: 'Localization', metadata: { name: 'nginx-a', namespace: 'clusternet-a' } },
      reason: 'delete Localization clusternet-a/nginx-a, created by this action',
    },
    {
      name: 'deletes the Subscription a Create made, in the workflow namespace when it named none',
      forward: subscription('Create'),
      outputs: { subscriptionRef: { apiVersion: 'apps.clusternet.io/v1alpha1', kind: 'Subscription', name: 'nginx-sub' } },
      operation: 'Delete',
      manifest: { apiVersion: 'apps.clusternet.io/v1alpha1', kind: 'Subscription', metadata: { name: 'nginx-sub', namespace: NS } },
      reason: `delete Subscription ${NS}/nginx-sub, created by this action`,
    },
    {
      name: 'deletes the resource a KubernetesResource Create made',
      forward: resource('Create'),
      outputs: { resourceRef: { apiVersion: 'v1', kind: 'ConfigMap', name: 'app-config', namespace: 'apps' } },
      operation: 'Delete',
      manifest: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app-config', namespace: 'apps' } },
      reason: 'delete ConfigMap apps/app-config, created by this action',
    },
    {
      name: 'deletes a cluster-scoped resource without inventing a namespace for it',
      forward: resource('Create', 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: standby\n'),
      outputs: { resourceRef: { apiVersion: 'v1', kind: 'Namespace', name: 'standby' }, created: true },
      operation: 'Delete',
      manifest: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'standby' } },
      reason: 'delete Namespace standby, created by this action',
    },
    {
      name: 're-creates what a KubernetesResource Delete removed, from its prior state without server fields',
      forward: resource('Delete'),
      outputs: { resourceRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'apps' }, priorState: JSON.stringify(priorDeployment) },
      operation: 'Apply',
      manifest: restoredDeployment,
      reason: 're-create Deployment apps/web from its recorded prior state (deleted by this action)',
    },
    {
      name: 're-creates a deleted Localization from its prior state',
      forward: localization('Delete'),
      outputs: {
        priorState: JSON.stringify({
          apiVersion: 'apps.clusternet.io/v1alpha1',
          kind: 'Localization',
          metadata: { name: 'nginx-a', namespace: 'clusternet-a', uid: 'x' },
          spec: { priority: 500 },
        }),
      },
      operation: 'Apply',
      manifest: {
        apiVersion: 'apps.clusternet.io/v1alpha1',
        kind: 'Localization',
        metadata: { name: 'nginx-a', namespace: 'clusternet-a' },
        spec: { priority: 500 },
      },
      reason: 're-create Localization clusternet-a/nginx-a from its recorded prior state (deleted by this action)',
    },
    {
      name: 'restores what a Patch changed to its prior state',
      forward: resource('Patch'),
      outputs: { priorState: JSON.stringify(priorDeployment) },
      operation: 'Apply',
      manifest: restoredDeployment,
      reason: 'restore Deployment apps/web from its recorded prior state (changed by this Patch)',
    },
    {
      name: 'restores what an Apply changed, filling identity fields the prior state lacks',
      forward: resource('Apply'),
      outputs: { priorState: JSON.stringify({ data: { mode: 'standby' } }) },
      operation: 'Apply',
      manifest: { data: { mode: 'standby' }, apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app-config', namespace: 'apps' } },
      reason: 'restore ConfigMap apps/app-config from its recorded prior state (changed by this Apply)',
    },
    {
      name: 'deletes what an Apply created when there was no prior state',
      forward: resource('Apply'),
      outputs: { resourceRef: { apiVersion: 'v1', kind: 'ConfigMap', name: 'app-config', namespace: 'apps' }, created: true },
      operation: 'Delete',
      manifest: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app-config', namespace: 'apps' } },
      reason: 'delete ConfigMap apps/app-config, created by this Apply',
    },
  ];
  for (const { name, forward, outputs, operation, manifest, reason } of cases) {
    test(name, () => {
      // Act
      const step = onlyStep(forward, outputs);
      // Assess
      assert.equal(step.mode, 'Automatic');
      assert.equal(step.reason, reason);
      const parsed = ActionSchema.parse(step.action);
      assert.deepEqual(
        { name: parsed.name, type: parsed.type, operation: parsed.resource?.operation },
        { name: `${forward.name}-rollback`, type: 'KubernetesResource', operation },
      );
      assert.deepEqual(manifestOf(step), manifest);
    });
  }

  test("keeps the forward action's timeout and retry policy", () => {
    const step = onlyStep(resource('Create'), { resourceRef: { apiVersion: 'v1', kind: 'ConfigMap', name: 'app-config', namespace: 'apps' } });
    const parsed = ActionSchema.parse(step.action);
    assert.deepEqual(
      { timeout: parsed.timeout, retryPolicy: parsed.retryPolicy },
      { timeout: '30s', retryPolicy: { limit: 2, interval: '5s', backoffMultiplier: '2.0' } },
    );
  });
});

describe('planRollback skip', () => {
  const cases: { name: string; forward: Action; outputs?: ActionStatus['outputs']; reason: string; effectLeft?: true }[] = [
    {
      name: 'reports a POST without a rollback as an effect left behind',
      forward: action({ name: 'notify', type: 'HTTP', http: { url: 'http://svc/notify', method: 'POST' } }),
      outputs: { httpResponse: { statusCode: 200 } },
      reason: 'an HTTP POST without a custom rollback cannot be undone automatically; undo its effect by hand, or give the action a rollback',
      effectLeft: true,
    },
    {
      name: 'skips a GET without a rollback: it changed nothing',
      forward: httpAction('probe'),
      outputs: { httpResponse: { statusCode: 200 } },
      reason: 'an HTTP GET changes nothing at its target; nothing to undo',
    },
    {
      name: 'skips an action whose revertPolicy is Ignore, reporting nothing left',
      forward: action({ name: 'notify', type: 'HTTP', http: { url: 'http://svc/notify', method: 'POST' }, revertPolicy: 'Ignore' }),
      outputs: { httpResponse: { statusCode: 200 } },
      reason: 'revertPolicy Ignore: a Revert leaves its effect as it is',
    },
    { name: 'skips a Job whose reference was not recorded', forward: job, reason: 'no Job reference was recorded; nothing to delete' },
    {
      name: 'skips a Create that found the object already there',
      forward: localization('Create'),
      outputs: { localizationRef: { name: 'nginx-a', namespace: 'clusternet-a' }, created: false },
      reason: 'Localization clusternet-a/nginx-a already existed; this action did not create it, so it is left in place',
    },
    {
      name: 'skips a Create with nothing recorded',
      forward: subscription('Create'),
      reason: 'no reference to the created Subscription was recorded; nothing to delete',
    },
    {
      name: 'skips a Delete whose prior state was not recorded',
      forward: resource('Delete'),
      outputs: { resourceRef: { apiVersion: 'v1', kind: 'ConfigMap', name: 'app-config', namespace: 'apps' } },
      reason: 'ConfigMap apps/app-config was deleted by this action but its prior state was not recorded; it cannot be re-created',
      effectLeft: true,
    },
    {
      name: 'skips a Patch whose prior state was not recorded',
      forward: subscription('Patch'),
      outputs: { subscriptionRef: { name: 'nginx-sub', namespace: 'apps' } },
      reason: 'Subscription apps/nginx-sub was changed by a Patch without a custom rollback and no prior state was recorded; nothing to restore',
      effectLeft: true,
    },
    {
      name: 'skips a prior state that is not a JSON object',
      forward: resource('Patch'),
      outputs: { priorState: '["not", "an", "object"]' },
      reason: 'the recorded prior state of ConfigMap apps/app-config is not a JSON object; it cannot be restored',
      effectLeft: true,
    },
    {
      name: 'skips a prior state that is not JSON at all',
      forward: resource('Delete'),
      outputs: { priorState: '{truncated' },
      reason: 'the recorded prior state of ConfigMap apps/app-config is not a JSON object; it cannot be re-created',
      effectLeft: true,
    },
    {
      name: 'skips a prior state that names no object',
      forward: resource('Delete', 'kind: ConfigMap\n'),
      outputs: { priorState: '{"data":{}}', resourceRef: { kind: 'ConfigMap', name: 'x' } },
      reason: 'the recorded prior state of ConfigMap x has no apiVersion; it cannot be applied',
      effectLeft: true,
    },
    {
      name: 'skips a Job whose reference never got its uid (it may never have been created: a Job of that name is not ours)',
      forward: job,
      outputs: { jobRef: { apiVersion: 'batch/v1', kind: 'Job', name: 'migrate-abc', namespace: 'batch-ns' } },
      reason: "Job batch-ns/migrate-abc was never recorded as created (no uid); a Job of that name is not this action's to delete",
    },
    {
      name: "skips a delete when the created object's name is unknown",
      forward: resource('Create', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  generateName: cm-\n'),
      outputs: { created: true },
      reason: 'cannot delete the object created by this action: its name was not recorded',
      effectLeft: true,
    },
  ];
  for (const { name, forward, outputs, reason, effectLeft } of cases) {
    test(name, () => {
      const step = onlyStep(forward, outputs);
      assert.deepEqual(
        { mode: step.mode, reason: step.reason, action: step.action, effectLeft: step.effectLeft },
        { mode: 'Skip', reason, action: undefined, effectLeft },
      );
    });
  }
});

// ---- revertPlan / initialRevertStatus -----------------------------------------------------------------

const steps = (): RollbackStep[] => {
  const forward = [
    action({ name: 'b', type: 'HTTP', http: { url: 'http://x' }, rollback: { type: 'HTTP', http: { url: 'http://x/undo' } } }),
    httpAction('a'),
    resource('Create'),
  ];
  return planRollback({
    target: target([{ name: 'switch', workflows: [forward] }], {
      'switch/0/b': succeededAt(1),
      'switch/0/a': succeededAt(2),
      'switch/0/res': succeededAt(3, { resourceRef: { apiVersion: 'v1', kind: 'ConfigMap', name: 'app-config', namespace: 'apps' } }),
    }),
  });
};

/** A forward plan holding the stages and workflows `list` names, each stage on its own. */
function forwardFor(list: readonly RollbackStep[]): ResolvedPlan {
  const names = [...new Set(list.map((step) => step.stage))];
  return {
    failurePolicy: 'Stop',
    stages: names.map((name) => ({
      name,
      parallel: false,
      failurePolicy: 'Stop',
      workflows: Array.from({ length: Math.max(...list.filter((step) => step.stage === name).map((step) => step.workflowIndex)) + 1 }, (_, w) => ({
        workflowRef: { name: `wf-${w}`, namespace: NS },
        failurePolicy: 'FailFast' as const,
        actions: [],
      })),
    })),
  };
}

describe('revertPlan', () => {
  test('builds a revert stage per forward stage, a FailFast workflow per forward workflow with its reference', () => {
    // Prepare
    const list = steps();
    // Act
    const plan = revertPlan(list, { name: 'exec-001', namespace: NS }, forwardFor(list));
    // Assess
    assert.deepEqual(ResolvedPlanSchema.parse(plan), plan);
    assert.equal(plan.failurePolicy, 'Stop');
    assert.deepEqual(
      plan.stages?.map((s) => ({ name: s.name, parallel: s.parallel, workflows: s.workflows.length })),
      [{ name: 'switch', parallel: false, workflows: 1 }],
    );
    const workflow = plan.stages[0]?.workflows[0];
    assert.deepEqual({ ref: workflow?.workflowRef, policy: workflow?.failurePolicy }, { ref: { name: 'wf-0', namespace: NS }, policy: 'FailFast' });
    assert.deepEqual(plan.rollbackSteps, list);
  });

  test('lays the rollbacks on the reverse of the forward DAG: independent branches at once, a stage after what depended on it', () => {
    // Prepare: db, then app (two workflows in parallel) after db; dns on its own
    const forward = [httpAction('x')];
    const input = target(
      [
        { name: 'db', workflows: [forward] },
        { name: 'app', workflows: [forward, forward] },
        { name: 'dns', workflows: [forward] },
      ],
      { 'db/0/x': succeededAt(1), 'app/0/x': succeededAt(2), 'app/1/x': succeededAt(2), 'dns/0/x': succeededAt(1) },
    );
    const resolved: ResolvedPlan = {
      ...input.resolved,
      stages: (input.resolved.stages ?? []).map((stage) => (stage.name === 'app' ? { ...stage, dependsOn: ['db'], parallel: true } : stage)),
    };
    // Act
    const plan = revertPlan(planRollback({ target: { ...input, resolved } }), { name: 'exec', namespace: NS }, resolved);
    // Assess
    assert.deepEqual(
      plan.stages?.map((s) => ({ name: s.name, dependsOn: s.dependsOn, parallel: s.parallel, workflows: s.workflows.map((w) => w.workflowRef.name) })),
      [
        { name: 'db', dependsOn: ['app'], parallel: false, workflows: ['wf-0'] },
        { name: 'app', dependsOn: undefined, parallel: true, workflows: ['wf-0', 'wf-1'] },
        { name: 'dns', dependsOn: undefined, parallel: false, workflows: ['wf-0'] },
      ],
    );
  });

  test('holds one valid action per step, in step order, named <stage>.<workflowIndex>.<action>', () => {
    const plan = revertPlan(steps(), { name: 'exec-001', namespace: NS }, forwardFor(steps()));
    const actions = plan.stages?.[0]?.workflows[0]?.actions ?? [];
    assert.deepEqual(
      actions.map((a) => a.name),
      ['switch.0.res', 'switch.0.a', 'switch.0.b'],
    );
    for (const a of actions) assert.deepEqual(ActionSchema.parse(a), a);
  });

  test('gives a Skip step a placeholder that never runs', () => {
    const plan = revertPlan(steps(), { name: 'exec-001', namespace: NS }, forwardFor(steps()));
    const placeholder = plan.stages?.[0]?.workflows[0]?.actions[1];
    assert.deepEqual(placeholder, { name: 'switch.0.a', type: 'KubernetesResource', timeout: '5m', when: 'false' });
  });

  test('makes colliding action names unique', () => {
    // Prepare: stage "a.0" action "b" and stage "a" workflow 0 action "0.b" both read "a.0.0.b".
    const base = { workflowRef: { name: 'wf' }, mode: 'Skip' as const, reason: 'r' };
    const list: RollbackStep[] = [
      { ...base, rollbackOf: 'a.0/0/b', stage: 'a.0', workflowIndex: 0, actionName: 'b' },
      { ...base, rollbackOf: 'a/0/0.b', stage: 'a', workflowIndex: 0, actionName: '0.b' },
    ];
    // Act
    const plan = revertPlan(list, { name: 'exec', namespace: NS }, forwardFor(list));
    // Assess
    assert.deepEqual(
      plan.stages?.flatMap((stage) => stage.workflows.flatMap((workflow) => workflow.actions.map((a) => a.name))),
      ['a.0.0.b', 'a.0.0.b-2'],
    );
  });

  test('rejects a step whose action is not a valid action, naming the field', () => {
    const bad: RollbackStep = {
      rollbackOf: 's/0/x',
      stage: 's',
      workflowIndex: 0,
      workflowRef: { name: 'wf' },
      actionName: 'x',
      mode: 'Custom',
      action: { type: 'HTTP', timeout: 'soon', http: { url: 'http://x' } },
    };
    assert.throws(() => revertPlan([bad], { name: 'exec', namespace: NS }, forwardFor([bad])), {
      message: 'rollback step s/0/x: action.timeout: must be a Go duration such as 10s, 5m or 1h30m',
    });
  });

  test('rejects a Custom or Automatic step without an action', () => {
    const bad: RollbackStep = { rollbackOf: 's/0/x', stage: 's', workflowIndex: 0, workflowRef: { name: 'wf' }, actionName: 'x', mode: 'Automatic' };
    assert.throws(() => revertPlan([bad], { name: 'exec', namespace: NS }, forwardFor([bad])), {
      message: 'rollback step s/0/x: mode Automatic needs an action',
    });
  });
});

describe('initialRevertStatus', () => {
  const now = new Date('2025-02-03T04:05:06.000Z');

  test('starts Skip steps Skipped with their reason and every other step Pending, each marked with rollbackOf', () => {
    // Prepare
    const plan = revertPlan(steps(), { name: 'exec-001', namespace: NS }, forwardFor(steps()));
    // Act
    const status = initialRevertStatus(plan, now);
    // Assess
    assert.deepEqual(status.stageStatuses?.[0]?.workflowExecutions?.[0]?.actionStatuses, [
      { name: 'switch.0.res', phase: 'Pending', rollbackOf: 'switch/0/res' },
      {
        name: 'switch.0.a',
        phase: 'Skipped',
        message: 'an HTTP GET changes nothing at its target; nothing to undo',
        rollbackOf: 'switch/0/a',
        completionTime: now.toISOString(),
      },
      { name: 'switch.0.b', phase: 'Pending', rollbackOf: 'switch/0/b' },
    ]);
  });

  test('leaves the execution Pending for the scheduler to start, with the frozen revert plan and the counts, as a valid status', () => {
    // Prepare
    const plan = revertPlan(steps(), { name: 'exec-001', namespace: NS }, forwardFor(steps()));
    // Act
    const status = initialRevertStatus(plan, now);
    // Assess
    assert.deepEqual(DRPlanExecutionStatusSchema.parse(status), status);
    assert.deepEqual(
      { phase: status.phase, startTime: status.startTime, progress: status.progress, resolved: status.resolved, stage: status.stageStatuses?.[0]?.name },
      { phase: 'Pending', startTime: undefined, progress: '1/3 actions', resolved: plan, stage: 'switch' },
    );
    assert.deepEqual(status.stageStatuses?.[0]?.workflowExecutions?.[0]?.workflowRef, { name: 'wf-0', namespace: NS });
    assert.deepEqual(
      { total: status.summary?.totalActions, skipped: status.summary?.skippedActions, done: status.summary?.completedActions },
      { total: 3, skipped: 1, done: 0 },
    );
  });

  test('is run by the scheduler one step at a time in saga order, past the Skip steps, to Succeeded', () => {
    // Prepare
    const plan = revertPlan(steps(), { name: 'exec-001', namespace: NS }, forwardFor(steps()));
    const at = (second: number) => new Date(Date.UTC(2025, 1, 3, 5, 0, second));
    const succeed = (status: DRPlanExecutionStatus, index: number): DRPlanExecutionStatus => {
      const copy = structuredClone(status);
      const action = copy.stageStatuses?.[0]?.workflowExecutions?.[0]?.actionStatuses?.[index];
      if (action) Object.assign(action, { phase: 'Succeeded', completionTime: at(index).toISOString() });
      return copy;
    };
    // Act
    const first = schedule({ resolved: plan, status: initialRevertStatus(plan, now), now: at(1) });
    const second = schedule({ resolved: plan, status: succeed(first.status, 0), now: at(2) });
    const last = schedule({ resolved: plan, status: succeed(second.status, 2), now: at(3) });
    // Assess
    assert.deepEqual(
      [first, second, last].map((d) => ({ requested: d.requests.map((r) => r.action), phase: d.status.phase })),
      [
        { requested: ['switch.0.res'], phase: 'Running' },
        { requested: ['switch.0.b'], phase: 'Running' },
        { requested: [], phase: 'Succeeded' },
      ],
    );
    assert.ok(first.events.some((e) => e.reason === 'RevertStarted'));
    assert.equal(last.finished?.phase, 'Succeeded');
  });

  test('ends Failed, naming what is left behind, when a step could not undo an effect — after running every other step', () => {
    // Prepare: a POST without a rollback (left behind) between two steps that run
    const forward = [
      resource('Create'),
      action({ name: 'promote', type: 'HTTP', http: { url: 'http://db/promote', method: 'POST' } }),
      action({ name: 'switch', type: 'HTTP', http: { url: 'http://lb/switch', method: 'PUT' }, rollback: { type: 'HTTP', http: { url: 'http://lb/back' } } }),
    ];
    const list = planRollback({
      target: target([{ name: 's', workflows: [forward] }], {
        's/0/res': succeededAt(1, { resourceRef: { apiVersion: 'v1', kind: 'ConfigMap', name: 'app-config', namespace: 'apps' }, created: true }),
        's/0/promote': succeededAt(2, { httpResponse: { statusCode: 200 } }),
        's/0/switch': succeededAt(3, { httpResponse: { statusCode: 200 } }),
      }),
    });
    const plan = revertPlan(list, { name: 'exec-001', namespace: NS }, forwardFor(list));
    const initial = initialRevertStatus(plan, now);
    const at = (second: number) => new Date(Date.UTC(2025, 1, 3, 5, 0, second));
    const succeed = (status: DRPlanExecutionStatus, index: number): DRPlanExecutionStatus => {
      const copy = structuredClone(status);
      const step = copy.stageStatuses?.[0]?.workflowExecutions?.[0]?.actionStatuses?.[index];
      if (step) Object.assign(step, { phase: 'Succeeded', completionTime: at(index).toISOString() });
      return copy;
    };
    // Act
    const first = schedule({ resolved: plan, status: initial, now: at(1) });
    const second = schedule({ resolved: plan, status: succeed(first.status, 0), now: at(2) });
    const last = schedule({ resolved: plan, status: succeed(second.status, 2), now: at(3) });
    // Assess: both undoable steps ran; the POST is reported, and the Revert is not Succeeded
    assert.deepEqual(
      [first, second].map((d) => d.requests.map((r) => r.action)),
      [['s.0.switch'], ['s.0.res']],
    );
    const promote = initial.stageStatuses?.[0]?.workflowExecutions?.[0]?.actionStatuses?.[1];
    assert.deepEqual(
      { phase: promote?.phase, message: promote?.message },
      {
        phase: 'Skipped',
        message: 'not undone: an HTTP POST without a custom rollback cannot be undone automatically; undo its effect by hand, or give the action a rollback',
      },
    );
    assert.equal(last.finished?.phase, 'Failed');
    assert.equal(
      last.finished.message,
      'undid 2 actions, but 1 effect of the reverted execution is left behind — undo by hand: s/0/promote (an HTTP POST without a custom rollback cannot be undone automatically; undo its effect by hand, or give the action a rollback)',
    );
    assert.ok(last.events.some((e) => e.reason === 'RevertFailed'));
  });

  test('refuses a plan that is not a revert plan', () => {
    const plan: ResolvedPlan = { failurePolicy: 'Stop', stages: [], rollbackSteps: steps() };
    assert.throws(() => initialRevertStatus(plan, now), {
      message: 'not a revert plan: expected one action per rollback step',
    });
  });
});

// ---- checkRevertTarget --------------------------------------------------------------------------------

describe('checkRevertTarget', () => {
  const revert: DRPlanExecution = {
    metadata: { name: 'rev-1', namespace: NS },
    spec: { planRef: 'plan-a', operationType: 'Revert', revertExecutionRef: 'exec-1' },
  };
  const resolved: ResolvedPlan = { failurePolicy: 'Stop', stages: [] };
  const good: DRPlanExecution = {
    metadata: { name: 'exec-1', namespace: NS },
    spec: { planRef: 'plan-a', operationType: 'Execute' },
    status: { phase: 'Succeeded', resolved },
  };
  const cases: { name: string; revert?: DRPlanExecution; target: DRPlanExecution | undefined; expected: string | undefined }[] = [
    { name: 'accepts a Succeeded Execute of the same plan', target: good, expected: undefined },
    { name: 'accepts a Failed target', target: { ...good, status: { phase: 'Failed', resolved } }, expected: undefined },
    { name: 'accepts a Cancelled target', target: { ...good, status: { phase: 'Cancelled', resolved } }, expected: undefined },
    { name: 'reports a missing target', target: undefined, expected: `spec.revertExecutionRef: execution "exec-1" not found in namespace "${NS}"` },
    {
      name: 'reports a target of another plan',
      target: { ...good, spec: { ...good.spec, planRef: 'plan-b' } },
      expected: 'spec.revertExecutionRef: execution "exec-1" belongs to plan "plan-b", not to plan "plan-a"',
    },
    {
      name: 'reports a Revert as target',
      target: { ...good, spec: { planRef: 'plan-a', operationType: 'Revert', revertExecutionRef: 'exec-0' } },
      expected: 'spec.revertExecutionRef: execution "exec-1" is a Revert; only an Execute can be reverted',
    },
    {
      name: 'reports a Running target',
      target: { ...good, status: { phase: 'Running', resolved } },
      expected: 'spec.revertExecutionRef: execution "exec-1" is Running; only a Succeeded, Failed or Cancelled execution can be reverted',
    },
    {
      name: 'reports a target that has not started as Pending',
      target: { ...good, status: undefined },
      expected: 'spec.revertExecutionRef: execution "exec-1" is Pending; only a Succeeded, Failed or Cancelled execution can be reverted',
    },
    {
      name: 'reports a target without a frozen plan',
      target: { ...good, status: { phase: 'Succeeded' } },
      expected: 'spec.revertExecutionRef: execution "exec-1" has no frozen plan (status.resolved.stages); what it ran is unknown, so it cannot be reverted',
    },
    {
      name: 'reports a Revert that names no target',
      revert: { ...revert, spec: { planRef: 'plan-a', operationType: 'Revert' } },
      target: undefined,
      expected: 'spec.revertExecutionRef: is required for a Revert; name the execution to roll back',
    },
    {
      name: 'reports an execution that is not a Revert',
      revert: { ...revert, spec: { planRef: 'plan-a', operationType: 'Execute' } },
      target: good,
      expected: 'spec.operationType: is Execute, not Revert',
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      assert.equal(checkRevertTarget(c.revert ?? revert, c.target), c.expected);
    });
  }
});

describe('planRollback: a Create of several documents', () => {
  test('deletes every object it created, newest first, each only if it still has the uid it was created with', () => {
    const manifest = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: b\n';
    const createdRefs = [
      { apiVersion: 'v1', kind: 'ConfigMap', name: 'a', namespace: 'apps', uid: 'u-a' },
      { apiVersion: 'v1', kind: 'Secret', name: 'b', namespace: 'apps', uid: 'u-b' },
    ];

    const step = onlyStep(resource('Create', manifest), { resourceRef: createdRefs[0], created: true, createdRefs });

    assert.equal(step.mode, 'Automatic');
    const action = ActionSchema.parse(step.action);
    assert.equal(action.resource?.operation, 'Delete');
    const docs = parseAllDocuments(action.resource.manifest).map((doc) => doc.toJS() as unknown);
    assert.deepEqual(docs, [
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'b', namespace: 'apps', uid: 'u-b' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'apps', uid: 'u-a' } },
    ]);
    assert.equal(step.reason, 'delete Secret apps/b, ConfigMap apps/a, created by this action');
  });
});
