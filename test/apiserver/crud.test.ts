/** CRUD semantics through @kubernetes/client-node: create, generateName, conflicts, generation, status. */
/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment -- client-node's models are declared as classes, but its API takes plain objects (its serializer reads fields, not prototypes). */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CoreV1Api, CustomObjectsApi, KubernetesObjectApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { DR, drPlan, failure, startTestServer, type TestServer } from './helpers.js';

type Plan = Record<string, unknown> & {
  metadata: { name: string; resourceVersion: string; uid: string; generation: number; namespace: string };
  spec: Record<string, unknown>;
  status?: Record<string, unknown>;
};

const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

describe('CRUD through client-node', () => {
  let t: TestServer;
  let core: CoreV1Api;
  let custom: CustomObjectsApi;
  const plans = { ...DR, namespace: 'default', plural: 'drplans' };

  before(async () => {
    t = await startTestServer();
    core = t.kubeConfig.makeApiClient(CoreV1Api);
    custom = t.kubeConfig.makeApiClient(CustomObjectsApi);
  });
  after(async () => {
    await t.dispose();
  });

  test('a created config map reads back with server-set metadata', async () => {
    // Prepare
    const body = { metadata: { name: 'settings', labels: { app: 'dr' } }, data: { region: 'eu' } };
    // Act
    const created = await core.createNamespacedConfigMap({ namespace: 'default', body });
    const read = await core.readNamespacedConfigMap({ name: 'settings', namespace: 'default' });
    // Assess
    assert.equal(read.data?.region, 'eu');
    assert.match(read.metadata?.uid ?? '', /^[0-9a-f-]{36}$/);
    assert.match(read.metadata?.resourceVersion ?? '', /^[0-9]+$/);
    assert.ok(read.metadata?.creationTimestamp instanceof Date);
    assert.equal(read.metadata.namespace, 'default');
    assert.equal(read.metadata.resourceVersion, created.metadata?.resourceVersion);
  });

  test('creating an object that exists is 409 AlreadyExists naming it', async () => {
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'twice' } } });
    const status = await failure(() => core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'twice' } } }));
    assert.equal(status.code, 409);
    assert.equal(status.reason, 'AlreadyExists');
    assert.equal(status.message, 'configmaps "twice" already exists');
    assert.equal(status.details?.name, 'twice');
  });

  test('generateName gives a unique name with the prefix', async () => {
    const first = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { generateName: 'run-' } } });
    const second = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { generateName: 'run-' } } });
    assert.match(first.metadata?.name ?? '', /^run-[a-z0-9]{5}$/);
    assert.notEqual(first.metadata?.name, second.metadata?.name);
  });

  test('an object needs a name or generateName', async () => {
    const status = await failure(() => core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: {} } }));
    assert.equal(status.code, 422);
    assert.deepEqual(status.details?.causes, [
      { reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' },
    ]);
  });

  test('creating in a namespace that does not exist is 404 naming the namespace', async () => {
    const status = await failure(() => core.createNamespacedConfigMap({ namespace: 'nowhere', body: { metadata: { name: 'x' } } }));
    assert.equal(status.code, 404);
    assert.equal(status.message, 'namespaces "nowhere" not found');
  });

  test('an update carrying a stale resourceVersion is 409 Conflict with the Kubernetes message', async () => {
    // Prepare
    const created = (await custom.createNamespacedCustomObject({ ...plans, body: drPlan('stale') })) as Plan;
    await custom.patchNamespacedCustomObject({ ...plans, name: 'stale', body: { metadata: { labels: { touched: 'yes' } } } }, merge);
    // Act
    const status = await failure(() => custom.replaceNamespacedCustomObject({ ...plans, name: 'stale', body: created }));
    // Assess
    assert.equal(status.code, 409);
    assert.equal(status.reason, 'Conflict');
    assert.equal(
      status.message,
      'Operation cannot be fulfilled on drplans.dr.bkbcs.tencent.com "stale": the object has been modified; please apply your changes to the latest version and try again',
    );
  });

  test('a merge patch carrying a stale resourceVersion is 409 Conflict', async () => {
    const created = (await custom.createNamespacedCustomObject({ ...plans, body: drPlan('stale-patch') })) as Plan;
    await custom.patchNamespacedCustomObject({ ...plans, name: 'stale-patch', body: { spec: { description: 'one' } } }, merge);
    const body = { metadata: { resourceVersion: created.metadata.resourceVersion }, spec: { description: 'two' } };
    const status = await failure(() => custom.patchNamespacedCustomObject({ ...plans, name: 'stale-patch', body }, merge));
    assert.equal(status.code, 409);
    assert.equal(status.reason, 'Conflict');
  });

  test('a custom resource update without resourceVersion is 422 naming metadata.resourceVersion', async () => {
    const created = (await custom.createNamespacedCustomObject({ ...plans, body: drPlan('no-version') })) as Plan;
    const body = { ...created, metadata: { ...created.metadata, resourceVersion: undefined } };
    const status = await failure(() => custom.replaceNamespacedCustomObject({ ...plans, name: 'no-version', body }));
    assert.equal(status.code, 422);
    assert.equal(status.details?.causes?.[0]?.field, 'metadata.resourceVersion');
  });

  test('resourceVersions come from one counter shared by every type', async () => {
    const map = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'counter-a' } } });
    const plan = (await custom.createNamespacedCustomObject({ ...plans, body: drPlan('counter-b') })) as Plan;
    assert.equal(Number(plan.metadata.resourceVersion), Number(map.metadata?.resourceVersion) + 1);
  });

  test('generation starts at 1 and grows on spec changes only', async () => {
    // Prepare
    await custom.createNamespacedCustomObject({ ...plans, body: drPlan('generations') });
    // Act
    const labelled = (await custom.patchNamespacedCustomObject({ ...plans, name: 'generations', body: { metadata: { labels: { a: 'b' } } } }, merge)) as Plan;
    const statused = (await custom.patchNamespacedCustomObjectStatus({ ...plans, name: 'generations', body: { status: { phase: 'Ready' } } }, merge)) as Plan;
    const specced = (await custom.patchNamespacedCustomObject({ ...plans, name: 'generations', body: { spec: { description: 'new' } } }, merge)) as Plan;
    // Assess
    assert.deepEqual([labelled.metadata.generation, statused.metadata.generation, specced.metadata.generation], [1, 1, 2]);
  });

  test('a write to /status changes only status', async () => {
    await custom.createNamespacedCustomObject({ ...plans, body: drPlan('status-only') });
    const body = { metadata: { labels: { sneaky: 'yes' } }, spec: { description: 'sneaky' }, status: { phase: 'Ready' } };
    const result = (await custom.patchNamespacedCustomObjectStatus({ ...plans, name: 'status-only', body }, merge)) as Plan;
    assert.deepEqual(result.status, { phase: 'Ready' });
    assert.equal(result.spec.description, undefined);
    assert.equal((result.metadata as { labels?: unknown }).labels, undefined);
  });

  test('a write to the main resource ignores status', async () => {
    await custom.createNamespacedCustomObject({ ...plans, body: { ...drPlan('main-only'), status: { phase: 'Invalid' } } });
    const patched = (await custom.patchNamespacedCustomObject(
      { ...plans, name: 'main-only', body: { status: { phase: 'Ready' }, spec: { description: 'd' } } },
      merge,
    )) as Plan;
    assert.equal(patched.status, undefined);
    assert.equal(patched.spec.description, 'd');
  });

  test('a write that changes nothing keeps the resourceVersion', async () => {
    const created = (await custom.createNamespacedCustomObject({ ...plans, body: drPlan('no-op') })) as Plan;
    const same = (await custom.patchNamespacedCustomObject(
      { ...plans, name: 'no-op', body: { spec: { stages: (created.spec as { stages: unknown }).stages } } },
      merge,
    )) as Plan;
    assert.equal(same.metadata.resourceVersion, created.metadata.resourceVersion);
  });

  test('KubernetesObjectApi creates, reads and deletes by kind through discovery', async () => {
    const objects = KubernetesObjectApi.makeApiClient(t.kubeConfig);
    await objects.create({
      apiVersion: `${DR.group}/${DR.version}`,
      kind: 'DRPlan',
      metadata: { name: 'by-kind', namespace: 'default' },
      spec: drPlan('x').spec,
    } as never);
    const read = await objects.read({ apiVersion: `${DR.group}/${DR.version}`, kind: 'DRPlan', metadata: { name: 'by-kind', namespace: 'default' } });
    await objects.delete(read);
    const status = await failure(() =>
      objects.read({ apiVersion: `${DR.group}/${DR.version}`, kind: 'DRPlan', metadata: { name: 'by-kind', namespace: 'default' } }),
    );
    assert.equal(read.metadata?.name, 'by-kind');
    assert.equal(status.code, 404);
    assert.equal(status.message, 'drplans.dr.bkbcs.tencent.com "by-kind" not found');
  });

  test('dryRun=All validates without storing', async () => {
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'dry' } }, dryRun: 'All' });
    const status = await failure(() => core.readNamespacedConfigMap({ name: 'dry', namespace: 'default' }));
    assert.equal(status.code, 404);
  });
});
