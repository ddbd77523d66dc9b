import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeKube } from '../../support/fake-kube.js';

const plan = { apiVersion: 'dr.bkbcs.tencent.com/v1alpha1', kind: 'DRPlan', metadata: { name: 'p', namespace: 'default' }, spec: { stages: [] } };
const key = { apiVersion: plan.apiVersion, kind: plan.kind, name: 'p', namespace: 'default' };

test('a status patch carrying a stale resourceVersion fails with 409, as the API server does', async () => {
  const kube = new FakeKube();
  const created = await kube.create(plan);
  await kube.mergePatchStatus(key, { status: { phase: 'Ready' } });
  await assert.rejects(kube.mergePatchStatus(key, { metadata: { resourceVersion: created.metadata.resourceVersion }, status: { phase: 'Invalid' } }), {
    code: 409,
  });
  assert.deepEqual((await kube.get(key))?.['status'], { phase: 'Ready' });
});

test('a status write leaves spec alone and a main write leaves status alone', async () => {
  const kube = new FakeKube();
  await kube.create(plan);
  await kube.mergePatchStatus(key, { spec: { stages: ['x'] }, status: { phase: 'Ready' } });
  await kube.mergePatch(key, { spec: { description: 'd' }, status: { phase: 'Invalid' } });
  const stored = await kube.get(key);
  assert.ok(stored);
  assert.deepEqual(stored['spec'], { stages: [], description: 'd' });
  assert.deepEqual(stored['status'], { phase: 'Ready' });
});

test('generation increments on spec changes only', async () => {
  const kube = new FakeKube();
  await kube.create(plan);
  await kube.mergePatchStatus(key, { status: { phase: 'Ready' } });
  assert.equal((await kube.get(key))?.metadata.generation, 1);
  await kube.mergePatch(key, { spec: { description: 'changed' } });
  assert.equal((await kube.get(key))?.metadata.generation, 2);
});

test('delete with a finalizer only marks the object; removing the finalizer removes it', async () => {
  const kube = new FakeKube();
  await kube.create({ ...plan, metadata: { ...plan.metadata, finalizers: ['f'] } });
  assert.equal(await kube.remove(key), true);
  assert.ok((await kube.get(key))?.metadata.deletionTimestamp);
  await kube.mergePatch(key, { metadata: { finalizers: null } });
  assert.equal(await kube.get(key), undefined);
  assert.equal(await kube.remove(key), false);
});

test('create of an existing name fails with 409 AlreadyExists', async () => {
  const kube = new FakeKube();
  await kube.create(plan);
  await assert.rejects(kube.create(plan), { code: 409, reason: 'AlreadyExists' });
});
