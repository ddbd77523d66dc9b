/**
 * Tenancy, end to end: a plan's Kubernetes actions run as its ServiceAccount (impersonated by the
 * functions), so what a tenant's RBAC does not allow, a plan cannot do — whichever namespace the
 * action names. Tried as an attacker with rights in one namespace only (the local API server enforces
 * RBAC as a cluster does), then with the rights granted.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { localStackOnly } from '../support/e2e-cluster.js';
import { startE2eEnvWith, type E2eEnv } from '../support/e2e-helpers.js';
import { actionsOf, caseOf, type Json } from '../support/behaviour-fixtures.js';
import type { KubeObject } from '../../shared/kube/types.js';

const RBAC = 'rbac.authorization.k8s.io/v1';
const DR_API = 'dr.bkbcs.tencent.com/v1alpha1';

/** A Secret's value, decoded from `data`. */
function secretValue(secret: KubeObject | undefined, key: string): string {
  const data = secret?.data;
  const value = typeof data === 'object' && data !== null ? (data as Record<string, unknown>)[key] : undefined;
  return typeof value === 'string' ? Buffer.from(value, 'base64').toString('utf8') : '';
}

const jobAction = (namespace: string, serviceAccountName?: string): Json => ({
  name: 'restore',
  type: 'Job',
  timeout: '30s',
  retryPolicy: { limit: 2, interval: '100ms' },
  job: {
    namespace,
    template: {
      spec: {
        template: {
          spec: {
            restartPolicy: 'Never',
            ...(serviceAccountName === undefined ? {} : { serviceAccountName }),
            containers: [{ name: 'restore', image: 'registry.example/restore:1' }],
          },
        },
      },
    },
  },
});

const patchSecret = (namespace: string): Json => ({
  name: 'steal',
  type: 'KubernetesResource',
  timeout: '30s',
  retryPolicy: { limit: 2, interval: '100ms' },
  resource: {
    operation: 'Patch',
    manifest: `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db-credentials\n  namespace: ${namespace}\nstringData:\n  password: attacker\n`,
  },
  rollback: {
    type: 'KubernetesResource',
    resource: { operation: 'Patch', manifest: `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db-credentials\n  namespace: ${namespace}\n` },
  },
});

/** A RoleBinding in `namespace` giving `account` of `accountNamespace` the rules of a Role made for it there. */
async function grant(env: E2eEnv, namespace: string, account: { namespace: string; name: string }, rules: Json[]): Promise<void> {
  const name = `grant-${account.namespace}-${account.name}`;
  await env.kube.apply({ apiVersion: RBAC, kind: 'Role', metadata: { name, namespace }, rules }, 'e2e');
  await env.kube.apply(
    {
      apiVersion: RBAC,
      kind: 'RoleBinding',
      metadata: { name, namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', ...account }],
    },
    'e2e',
  );
}

describe("tenancy: a plan acts with its own ServiceAccount's rights only", { skip: localStackOnly('it grants a test account rights in kube-system') }, () => {
  let env: E2eEnv | undefined;
  const running = (): E2eEnv => {
    assert.ok(env !== undefined, 'the environment did not start');
    return env;
  };

  before(async () => {
    env = await startE2eEnvWith({});
  });

  after(async () => {
    await env?.stop();
  });

  test('a Job in kube-system is refused at once (Failed, naming the refusal, no retry, nothing created); granted, the same plan runs it', async () => {
    const c = caseOf(running(), 'tenant-job');
    await c.setUp([c.workflow('steps', [jobAction('kube-system', 'powerful')]), c.plan('plan', [{ name: 'only', workflows: ['steps'] }])]);

    const refused = await c.run('refused', 'plan');

    const action = actionsOf(refused)['only/0/restore'];
    assert.equal(refused.phase, 'Failed');
    assert.equal(action?.phase, 'Failed');
    assert.equal(action.attempt, 1, 'a refusal is not retried');
    assert.match(action.message ?? '', /403 Forbidden/);
    assert.match(
      action.message ?? '',
      new RegExp(`User "system:serviceaccount:${c.namespace}:default" cannot create resource "jobs" in API group "batch" in the namespace "kube-system"`),
    );
    const jobs = await running().kube.list('batch/v1', 'Job', { namespace: 'kube-system' });
    assert.deepEqual(
      jobs.map((job) => job.metadata.name),
      [],
    );

    await grant(running(), 'kube-system', { namespace: c.namespace, name: 'default' }, [
      { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create', 'get', 'delete'] },
    ]);
    await running().kube.create(c.execution('granted', 'plan'));
    const jobName = await c.waitObject(
      'DRPlanExecution',
      'granted',
      (execution) => {
        const ref = actionsOf(execution?.status ?? {})['only/0/restore']?.outputs?.jobRef;
        return ref?.uid === undefined ? undefined : ref.name;
      },
      'to create its Job',
    );
    const created = await running().kube.get({ apiVersion: 'batch/v1', kind: 'Job', name: jobName, namespace: 'kube-system' });
    assert.equal(created?.metadata.namespace, 'kube-system');
  });

  test("a Secret in another tenant's namespace is not patched; the plan naming a ServiceAccount that may, does", async () => {
    const c = caseOf(running(), 'tenant-secret');
    const victim = caseOf(running(), 'tenant-victim');
    await running().createNamespace(victim.namespace);
    await running().kube.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db-credentials', namespace: victim.namespace },
      stringData: { password: 'original' },
    });
    await c.setUp([c.workflow('steps', [patchSecret(victim.namespace)]), c.plan('plan', [{ name: 'only', workflows: ['steps'] }])]);

    const refused = await c.run('refused', 'plan');

    const action = actionsOf(refused)['only/0/steal'];
    assert.equal(action?.phase, 'Failed');
    assert.equal(action.attempt, 1);
    assert.match(action.message ?? '', new RegExp(`cannot get resource "secrets" in API group "" in the namespace "${victim.namespace}"`));
    const secret = await running().kube.get({ apiVersion: 'v1', kind: 'Secret', name: 'db-credentials', namespace: victim.namespace });
    assert.equal(secretValue(secret, 'password'), 'original');

    // The victim's owner grants a dedicated account of the attacker's namespace; only an execution naming it may.
    await running().kube.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'secret-rotator', namespace: c.namespace } });
    await grant(running(), victim.namespace, { namespace: c.namespace, name: 'secret-rotator' }, [
      // create: the prior state of a Secret is kept in a Secret beside it before it changes
      { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'patch', 'create'] },
    ]);
    await running().kube.create({
      ...c.execution('as-rotator', 'plan'),
      spec: { planRef: 'plan', operationType: 'Execute', serviceAccountName: 'secret-rotator' },
    });
    const granted = await c.waitFor('as-rotator', (status) => status.phase === 'Succeeded' || status.phase === 'Failed', 'to finish');
    assert.equal(granted.phase, 'Succeeded', JSON.stringify(actionsOf(granted)));
    assert.equal(granted.resolved?.serviceAccountName, 'secret-rotator');
    const patched = await running().kube.get({ apiVersion: 'v1', kind: 'Secret', name: 'db-credentials', namespace: victim.namespace });
    assert.equal(secretValue(patched, 'password'), 'attacker');
  });

  test("a plan using another namespace's workflow is Invalid until that workflow shares itself; nothing is written there before", async () => {
    const owner = caseOf(running(), 'tenant-owner');
    const user = caseOf(running(), 'tenant-user');
    const shared = owner.workflow('probe', [{ name: 'noop', type: 'HTTP', http: { url: owner.url('/primary/health', 'probe'), method: 'GET' } }]);
    await owner.setUp([shared]);
    const plan = user.plan('plan', [{ name: 'only', workflows: ['probe'] }]);
    const stages = (plan.spec as { stages: { workflows: { workflowRef: Json }[] }[] }).stages;
    for (const stage of stages) for (const entry of stage.workflows) entry.workflowRef.namespace = owner.namespace;
    await running().createNamespace(user.namespace);
    await running().kube.create(plan);

    const refused = await user.waitObject(
      'DRPlan',
      'plan',
      (current) => ((current?.status as Json | undefined)?.phase === 'Invalid' ? current : undefined),
      'to be Invalid',
    );
    const conditions = ((refused.status as Json).conditions ?? []) as { type: string; message?: string }[];
    assert.match(conditions.find((c) => c.type === 'Ready')?.message ?? '', /does not share itself with namespace/);
    const untouched = await owner.get('DRWorkflow', 'probe');
    assert.deepEqual(untouched?.metadata.finalizers ?? [], []);
    assert.equal((untouched?.status as Json | undefined)?.referencedBy, undefined);

    await running().kube.mergePatch(owner.key('DRWorkflow', 'probe'), { spec: { shareWithNamespaces: [user.namespace] } });
    await user.waitObject(
      'DRPlan',
      'plan',
      (current) => ((current?.status as Json | undefined)?.phase === 'Ready' ? true : undefined),
      'to be Ready once shared',
    );
    const held = await owner.waitObject(
      'DRWorkflow',
      'probe',
      (current) => ((current?.metadata.finalizers ?? []).length > 0 ? current : undefined),
      'to be protected',
    );
    assert.deepEqual((held.status as Json).referencedBy, [{ name: 'plan', namespace: user.namespace }]);
  });

  test('a run that deletes a Secret and calls an API with a token from a Secret leaves no secret value in the execution, its Events or the event log; its revert re-creates the Secret', async () => {
    const c = caseOf(running(), 'tenant-secrets');
    const password = 'pw-0f1e2d3c4b5a';
    const token = 'tok-9a8b7c6d5e4f';
    const secret = (name: string, data: Record<string, string>): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace: c.namespace },
      stringData: data,
    });
    const actions = [
      {
        name: 'call',
        type: 'HTTP',
        timeout: '10s',
        http: { url: c.url('/primary/health', 'call'), method: 'GET', headersFrom: [{ name: 'X-Api-Key', secretKeyRef: { name: 'api-token', key: 'token' } }] },
      },
      {
        name: 'drop',
        type: 'KubernetesResource',
        timeout: '10s',
        resource: { operation: 'Delete', manifest: 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: db-credentials\n' },
      },
    ];
    await c.setUp([
      secret('db-credentials', { password }),
      secret('api-token', { token }),
      c.workflow('steps', actions),
      c.plan('plan', [{ name: 'only', workflows: ['steps'] }]),
    ]);

    const done = await c.run('run', 'plan');

    assert.equal(done.phase, 'Succeeded', JSON.stringify(actionsOf(done)));
    assert.equal(c.requests()[0]?.headers['x-api-key'], token);
    assert.equal(await c.get('Secret', 'db-credentials'), undefined);
    const ref = actionsOf(done)['only/0/drop']?.outputs?.priorStateRef;
    assert.equal(ref?.namespace, c.namespace);
    assert.equal(actionsOf(done)['only/0/drop']?.outputs?.priorState, undefined);

    await running().kube.create(c.revert('undo', 'plan', 'run'));
    const undone = await c.waitFor('undo', (status) => status.phase === 'Succeeded' || status.phase === 'Failed', 'to finish');
    assert.equal(undone.phase, 'Succeeded', JSON.stringify(actionsOf(undone)));
    const restored = await running().kube.get({ apiVersion: 'v1', kind: 'Secret', name: 'db-credentials', namespace: c.namespace });
    assert.equal(secretValue(restored, 'password'), password);

    const encoded = (text: string): string => Buffer.from(text).toString('base64');
    const executions = await running().kube.list(DR_API, 'DRPlanExecution', { namespace: c.namespace });
    const events = await running().kube.list('v1', 'Event', { namespace: c.namespace });
    const eventLog = running().stack.eventing.eventLog.records();
    const everything = JSON.stringify([executions, events, eventLog]);
    for (const value of [password, token, encoded(password), encoded(token)]) assert.ok(!everything.includes(value), `a secret value leaked: ${value}`);
  });
});
