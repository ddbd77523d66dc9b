/** Deletion through client-node: finalizers and deletionTimestamp, owner-reference GC, namespaces. */
/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment -- client-node's models are declared as classes, but its API takes plain objects (its serializer reads fields, not prototypes). */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, type V1ConfigMap } from '@kubernetes/client-node';
import { DR, drPlan, failure, startTestServer, type TestServer } from './helpers.js';

type Meta = {
  name: string;
  uid: string;
  resourceVersion: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  finalizers?: string[];
  ownerReferences?: unknown[];
};
type Obj = { metadata: Meta };

const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const FINALIZER = 'dr.bkbcs.tencent.com/execution-finalizer';

describe('deletion through client-node', () => {
  let t: TestServer;
  let core: CoreV1Api;
  let custom: CustomObjectsApi;
  const plans = { ...DR, namespace: 'default', plural: 'drplans' };

  const ownedBy = (owner: Obj, kind = 'DRPlan'): Record<string, unknown> => ({
    apiVersion: `${DR.group}/${DR.version}`,
    kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid,
  });
  const configMap = (name: string, owners: Array<Record<string, unknown>>, finalizers?: string[]): V1ConfigMap => ({
    metadata: { name, ownerReferences: owners as never, ...(finalizers === undefined ? {} : { finalizers }) },
  });
  const exists = async (name: string): Promise<boolean> => {
    try {
      await core.readNamespacedConfigMap({ name, namespace: 'default' });
      return true;
    } catch {
      return false;
    }
  };

  before(async () => {
    t = await startTestServer();
    core = t.kubeConfig.makeApiClient(CoreV1Api);
    custom = t.kubeConfig.makeApiClient(CustomObjectsApi);
  });
  after(async () => {
    await t.dispose();
  });

  test('deleting an object with finalizers marks it and returns it', async () => {
    // Prepare
    await custom.createNamespacedCustomObject({ ...plans, body: { ...drPlan('guarded'), metadata: { name: 'guarded', finalizers: [FINALIZER] } } });
    // Act
    const deleted = (await custom.deleteNamespacedCustomObject({ ...plans, name: 'guarded' })) as Obj;
    const read = (await custom.getNamespacedCustomObject({ ...plans, name: 'guarded' })) as Obj;
    // Assess
    assert.match(deleted.metadata.deletionTimestamp ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(deleted.metadata.deletionGracePeriodSeconds, 0);
    assert.deepEqual(read.metadata.finalizers, [FINALIZER]);
  });

  test('an object being deleted disappears when its last finalizer is removed', async () => {
    await custom.createNamespacedCustomObject({ ...plans, body: { ...drPlan('release'), metadata: { name: 'release', finalizers: [FINALIZER, 'other/x'] } } });
    await custom.deleteNamespacedCustomObject({ ...plans, name: 'release' });
    await custom.patchNamespacedCustomObject({ ...plans, name: 'release', body: { metadata: { finalizers: ['other/x'] } } }, merge);
    const stillThere = (await custom.getNamespacedCustomObject({ ...plans, name: 'release' })) as Obj;
    await custom.patchNamespacedCustomObject({ ...plans, name: 'release', body: { metadata: { finalizers: null } } }, merge);
    const status = await failure(() => custom.getNamespacedCustomObject({ ...plans, name: 'release' }));
    assert.deepEqual(stillThere.metadata.finalizers, ['other/x']);
    assert.equal(status.code, 404);
  });

  test('no finalizer can be added to an object being deleted', async () => {
    await custom.createNamespacedCustomObject({ ...plans, body: { ...drPlan('closing'), metadata: { name: 'closing', finalizers: [FINALIZER] } } });
    await custom.deleteNamespacedCustomObject({ ...plans, name: 'closing' });
    const status = await failure(() =>
      custom.patchNamespacedCustomObject({ ...plans, name: 'closing', body: { metadata: { finalizers: [FINALIZER, 'late/one'] } } }, merge),
    );
    assert.equal(status.code, 422);
    assert.equal(status.details?.causes?.[0]?.field, 'metadata.finalizers');
  });

  test('deleting an owner deletes its dependents', async () => {
    const owner = (await custom.createNamespacedCustomObject({ ...plans, body: drPlan('owner-bg') })) as Obj;
    await core.createNamespacedConfigMap({ namespace: 'default', body: configMap('dependent-bg', [ownedBy(owner)]) });
    await custom.deleteNamespacedCustomObject({ ...plans, name: 'owner-bg' });
    assert.equal(await exists('dependent-bg'), false);
  });

  test('orphan propagation leaves dependents without the owner reference', async () => {
    const owner = (await custom.createNamespacedCustomObject({ ...plans, body: drPlan('owner-orphan') })) as Obj;
    await core.createNamespacedConfigMap({ namespace: 'default', body: configMap('dependent-orphan', [ownedBy(owner)]) });
    await custom.deleteNamespacedCustomObject({ ...plans, name: 'owner-orphan', propagationPolicy: 'Orphan' });
    const orphan = await core.readNamespacedConfigMap({ name: 'dependent-orphan', namespace: 'default' });
    assert.equal(orphan.metadata?.ownerReferences, undefined);
  });

  test('a dependent with another live owner only loses the deleted owner reference', async () => {
    const first = (await custom.createNamespacedCustomObject({ ...plans, body: drPlan('owner-one') })) as Obj;
    const second = (await custom.createNamespacedCustomObject({ ...plans, body: drPlan('owner-two') })) as Obj;
    await core.createNamespacedConfigMap({ namespace: 'default', body: configMap('shared', [ownedBy(first), ownedBy(second)]) });
    await custom.deleteNamespacedCustomObject({ ...plans, name: 'owner-one' });
    const shared = await core.readNamespacedConfigMap({ name: 'shared', namespace: 'default' });
    assert.deepEqual(
      shared.metadata?.ownerReferences?.map((r) => r.name),
      ['owner-two'],
    );
  });

  test('the cascade waits for a dependent finalizer and continues to its own dependents after it', async () => {
    // Prepare: plan → config map (with a finalizer) → config map
    const owner = (await custom.createNamespacedCustomObject({ ...plans, body: drPlan('chain-root') })) as Obj;
    const middle = await core.createNamespacedConfigMap({ namespace: 'default', body: configMap('chain-middle', [ownedBy(owner)], ['test/hold']) });
    await core.createNamespacedConfigMap({ namespace: 'default', body: configMap('chain-leaf', [ownedBy(middle as Obj, 'ConfigMap')]) });
    // Act
    await custom.deleteNamespacedCustomObject({ ...plans, name: 'chain-root' });
    const held = await core.readNamespacedConfigMap({ name: 'chain-middle', namespace: 'default' });
    const leafWhileHeld = await exists('chain-leaf');
    await core.patchNamespacedConfigMap({ name: 'chain-middle', namespace: 'default', body: { metadata: { finalizers: null } } }, merge);
    // Assess
    assert.ok(held.metadata?.deletionTimestamp !== undefined);
    assert.equal(leafWhileHeld, true);
    assert.equal(await exists('chain-middle'), false);
    assert.equal(await exists('chain-leaf'), false);
  });

  test('a delete with a wrong uid precondition is 409 and deletes nothing', async () => {
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'precondition' } } });
    const status = await failure(() =>
      core.deleteNamespacedConfigMap({ name: 'precondition', namespace: 'default', body: { preconditions: { uid: 'not-the-uid' } } }),
    );
    assert.equal(status.code, 409);
    assert.match(status.message ?? '', /Precondition failed: UID in precondition: not-the-uid/);
    assert.equal(await exists('precondition'), true);
  });

  test('deleting a namespace deletes what it holds, then the namespace', async () => {
    await core.createNamespace({ body: { metadata: { name: 'scratch' } } });
    await core.createNamespacedConfigMap({ namespace: 'scratch', body: { metadata: { name: 'inside' } } });
    await core.deleteNamespace({ name: 'scratch' });
    const inside = await failure(() => core.readNamespacedConfigMap({ name: 'inside', namespace: 'scratch' }));
    const namespace = await failure(() => core.readNamespace({ name: 'scratch' }));
    assert.equal(inside.code, 404);
    assert.equal(namespace.code, 404);
  });

  test('a namespace with a finalized object stays Terminating and refuses new objects', async () => {
    await core.createNamespace({ body: { metadata: { name: 'slow' } } });
    await core.createNamespacedConfigMap({ namespace: 'slow', body: { metadata: { name: 'held', finalizers: ['test/hold'] } } });
    await core.deleteNamespace({ name: 'slow' });
    const namespace = await core.readNamespace({ name: 'slow' });
    const refused = await failure(() => core.createNamespacedConfigMap({ namespace: 'slow', body: { metadata: { name: 'late' } } }));
    await core.patchNamespacedConfigMap({ name: 'held', namespace: 'slow', body: { metadata: { finalizers: null } } }, merge);
    const gone = await failure(() => core.readNamespace({ name: 'slow' }));
    assert.equal(namespace.status?.phase, 'Terminating');
    assert.equal(refused.code, 403);
    assert.equal(gone.code, 404);
  });

  test('the default namespace cannot be deleted', async () => {
    const status = await failure(() => core.deleteNamespace({ name: 'default' }));
    assert.equal(status.code, 403);
    assert.equal(status.message, 'namespaces "default" is forbidden: this namespace may not be deleted');
  });

  test('deletecollection deletes the selected objects only', async () => {
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'sweep-a', labels: { sweep: 'yes' } } } });
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'sweep-b', labels: { sweep: 'no' } } } });
    await core.deleteCollectionNamespacedConfigMap({ namespace: 'default', labelSelector: 'sweep=yes' });
    assert.deepEqual([await exists('sweep-a'), await exists('sweep-b')], [false, true]);
  });
});
