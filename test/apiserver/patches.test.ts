/** JSON patch, strategic merge patch and server-side apply through client-node. */
/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment -- client-node's models are declared as classes, but its API takes plain objects (its serializer reads fields, not prototypes). */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BatchV1Api, CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { DR, drPlan, failure, startTestServer, type TestServer } from './helpers.js';

type Plan = {
  metadata: { name: string; resourceVersion: string; labels?: Record<string, string>; managedFields?: Array<{ manager: string; operation: string }> };
  spec: Record<string, unknown>;
};

const as = (strategy: PatchStrategy) => setHeaderOptions('Content-Type', strategy);

describe('patches through client-node', () => {
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

  test('a JSON patch applies its operations in order, with escaped pointers', async () => {
    await custom.createNamespacedCustomObject({ ...plans, body: drPlan('json-patch') });
    const body = [
      { op: 'test', path: '/spec/stages/0/name', value: 'one' },
      { op: 'add', path: '/metadata/annotations', value: { 'example.com/note': 'x' } },
      { op: 'replace', path: '/metadata/annotations/example.com~1note', value: 'y' },
      { op: 'replace', path: '/spec/stages/0/name', value: 'first' },
      { op: 'copy', from: '/spec/stages/0', path: '/spec/stages/-' },
      { op: 'replace', path: '/spec/stages/1/name', value: 'second' },
    ];
    const patched = (await custom.patchNamespacedCustomObject({ ...plans, name: 'json-patch', body }, as(PatchStrategy.JsonPatch))) as Plan & {
      metadata: { annotations?: Record<string, string> };
    };
    assert.deepEqual(
      (patched.spec.stages as Array<{ name: string }>).map((s) => s.name),
      ['first', 'second'],
    );
    assert.deepEqual(patched.metadata.annotations, { 'example.com/note': 'y' });
  });

  test('a JSON patch whose test fails is 422 and changes nothing', async () => {
    const created = (await custom.createNamespacedCustomObject({ ...plans, body: drPlan('json-test') })) as Plan;
    const body = [
      { op: 'test', path: '/spec/stages/0/name', value: 'other' },
      { op: 'remove', path: '/spec/stages' },
    ];
    const status = await failure(() => custom.patchNamespacedCustomObject({ ...plans, name: 'json-test', body }, as(PatchStrategy.JsonPatch)));
    const after = (await custom.getNamespacedCustomObject({ ...plans, name: 'json-test' })) as Plan;
    assert.equal(status.code, 422);
    assert.match(status.message ?? '', /test operation on "\/spec\/stages\/0\/name" failed/);
    assert.equal(after.metadata.resourceVersion, created.metadata.resourceVersion);
  });

  test('a JSON patch with a path that does not exist is 422', async () => {
    await custom.createNamespacedCustomObject({ ...plans, body: drPlan('json-missing') });
    const status = await failure(() =>
      custom.patchNamespacedCustomObject({ ...plans, name: 'json-missing', body: [{ op: 'remove', path: '/spec/nothing' }] }, as(PatchStrategy.JsonPatch)),
    );
    assert.equal(status.code, 422);
    assert.equal(status.message, 'the path "/spec/nothing" does not exist');
  });

  test('a strategic merge patch on a custom resource is 415', async () => {
    await custom.createNamespacedCustomObject({ ...plans, body: drPlan('no-smp') });
    const status = await failure(() =>
      custom.patchNamespacedCustomObject({ ...plans, name: 'no-smp', body: { spec: {} } }, as(PatchStrategy.StrategicMergePatch)),
    );
    assert.equal(status.code, 415);
    assert.equal(status.reason, 'UnsupportedMediaType');
  });

  test('a strategic merge patch merges a Job container list by name, new entries last', async () => {
    // Prepare
    const batch = t.kubeConfig.makeApiClient(BatchV1Api);
    const containers = [
      { name: 'main', image: 'busybox', env: [{ name: 'A', value: '1' }] },
      { name: 'side', image: 'nginx' },
    ];
    await batch.createNamespacedJob({
      namespace: 'default',
      body: { metadata: { name: 'smp' }, spec: { template: { spec: { restartPolicy: 'Never', containers } } } },
    });
    // Act
    const body = { spec: { template: { spec: { containers: [{ name: 'main', env: [{ name: 'B', value: '2' }] }] } } } };
    const patched = await batch.patchNamespacedJob({ name: 'smp', namespace: 'default', body }, as(PatchStrategy.StrategicMergePatch));
    // Assess
    const result = patched.spec?.template.spec?.containers ?? [];
    assert.deepEqual(
      result.map((c) => c.name),
      ['main', 'side'],
    );
    assert.deepEqual(
      result[0]?.env?.map((e) => e.name),
      ['A', 'B'],
    );
    assert.equal(result[0].image, 'busybox');
  });

  test('server-side apply creates the object and records its manager', async () => {
    const body = drPlan('applied');
    const created = (await custom.patchNamespacedCustomObject(
      { ...plans, name: 'applied', body, fieldManager: 'sre' },
      as(PatchStrategy.ServerSideApply),
    )) as Plan;
    assert.equal(created.metadata.name, 'applied');
    assert.deepEqual(
      created.metadata.managedFields?.map((m) => [m.manager, m.operation]),
      [['sre', 'Apply']],
    );
  });

  test('server-side apply removes a field its manager no longer applies', async () => {
    await custom.patchNamespacedCustomObject(
      { ...plans, name: 'shrink', body: { ...drPlan('shrink'), metadata: { name: 'shrink', labels: { a: '1', b: '2' } } }, fieldManager: 'sre' },
      as(PatchStrategy.ServerSideApply),
    );
    const after = (await custom.patchNamespacedCustomObject(
      { ...plans, name: 'shrink', body: { ...drPlan('shrink'), metadata: { name: 'shrink', labels: { a: '1' } } }, fieldManager: 'sre' },
      as(PatchStrategy.ServerSideApply),
    )) as Plan;
    assert.deepEqual(after.metadata.labels, { a: '1' });
  });

  test('server-side apply of a field another manager owns is a 409 conflict unless forced', async () => {
    // Prepare
    const mine = { ...drPlan('contested'), spec: { ...(drPlan('x').spec as object), description: 'mine' } };
    const theirs = { ...drPlan('contested'), spec: { ...(drPlan('x').spec as object), description: 'theirs' } };
    await custom.patchNamespacedCustomObject({ ...plans, name: 'contested', body: mine, fieldManager: 'alice' }, as(PatchStrategy.ServerSideApply));
    // Act
    const status = await failure(() =>
      custom.patchNamespacedCustomObject({ ...plans, name: 'contested', body: theirs, fieldManager: 'bob' }, as(PatchStrategy.ServerSideApply)),
    );
    const forced = (await custom.patchNamespacedCustomObject(
      { ...plans, name: 'contested', body: theirs, fieldManager: 'bob', force: true },
      as(PatchStrategy.ServerSideApply),
    )) as Plan;
    // Assess
    assert.equal(status.code, 409);
    assert.equal(status.reason, 'Conflict');
    assert.ok(
      status.details?.causes?.some((c) => c.reason === 'FieldManagerConflict' && c.field === '.spec.description' && c.message === 'conflict with "alice"'),
    );
    assert.equal(forced.spec.description, 'theirs');
  });

  test('server-side apply without a fieldManager is 400', async () => {
    const status = await failure(() =>
      custom.patchNamespacedCustomObject({ ...plans, name: 'anonymous', body: drPlan('anonymous') }, as(PatchStrategy.ServerSideApply)),
    );
    assert.equal(status.code, 400);
    assert.match(status.message ?? '', /fieldManager/);
  });

  test('a merge patch with null removes a config map key', async () => {
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'nulls' }, data: { keep: '1', drop: '2' } } });
    const patched = await core.patchNamespacedConfigMap({ name: 'nulls', namespace: 'default', body: { data: { drop: null } } }, as(PatchStrategy.MergePatch));
    assert.deepEqual(patched.data, { keep: '1' });
  });
});
