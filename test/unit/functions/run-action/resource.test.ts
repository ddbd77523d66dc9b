import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { stringify } from 'yaml';
import { createRunAction } from '../../../../functions/run-action/run-action.js';
import type { Action } from '../../../../shared/api/index.js';
import { actionLabel, OwnershipLabels } from '../../../../shared/job-labels.js';
import type { KubeObject } from '../../../../shared/kube/types.js';
import { ApiError, FakeKube } from '../../../support/fake-kube.js';
import {
  editAction,
  EXEC,
  executionObject,
  NS,
  pathOf,
  planOf,
  requestAction,
  requested,
  startedStatus,
  UID,
  world,
  worldOf,
  httpAction,
} from '../../../support/run-action-helpers.js';

const PATH = pathOf('switch');
const CM_KEY = { apiVersion: 'v1', kind: 'ConfigMap', name: 'routing', namespace: NS };

const configMap = (data: Record<string, string>, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'routing', ...extra },
  data,
});

function resourceAction(operation: 'Create' | 'Apply' | 'Patch' | 'Delete', manifest: string | Record<string, unknown>): Action {
  const text = typeof manifest === 'string' ? manifest : stringify(manifest);
  return { name: 'switch', type: 'KubernetesResource', timeout: '1m', resource: { operation, manifest: text } };
}

/** The stored ConfigMap as it was seeded (what a prior state must equal, server fields and all). */
const seedConfigMap = (kube: FakeKube, data: Record<string, string>): KubeObject =>
  kube.seed({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'routing', namespace: NS, labels: { app: 'shop' } }, data });

describe('a KubernetesResource Create', () => {
  test("logs the object at info and its manifest at debug, never a Secret's data", async () => {
    // Prepare
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db-credentials' }, stringData: { password: 's3cr3t-value' } };
    const w = worldOf([resourceAction('Create', secret)]);

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    const info = w.log.lines.find((line) => line.message === 'object change');
    assert.deepEqual(info?.object, { operation: 'Create', apiVersion: 'v1', kind: 'Secret', name: 'db-credentials', namespace: NS });
    const debug = w.log.lines.find((line) => line.message === 'object change manifest');
    assert.ok(debug);
    assert.equal(debug.level, 'debug');
    assert.deepEqual((debug.object.object as { stringData?: unknown }).stringData, '(redacted)');
    assert.equal(w.log.text().includes('s3cr3t-value'), false);
  });

  test('creates the object in the workflow namespace with our labels and records it as created', async () => {
    // Prepare
    const w = worldOf([resourceAction('Create', configMap({ active: 'b' }))]);

    // Act
    const replies = await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    const stored = await w.kube.get(CM_KEY);
    assert.deepEqual(stored?.data, { active: 'b' });
    assert.equal(stored.metadata.labels?.[OwnershipLabels.executionUid], UID);
    assert.equal(stored.metadata.labels[OwnershipLabels.managedBy], 'drplan');
    const action = w.action(PATH);
    assert.equal(action?.phase, 'Succeeded');
    assert.deepEqual(action.outputs, {
      resourceRef: { apiVersion: 'v1', kind: 'ConfigMap', name: 'routing', namespace: NS, uid: stored.metadata.uid },
      created: true,
    });
    assert.deepEqual(
      replies.map((r) => r.data.phase),
      ['Succeeded'],
    );
  });

  test('keeps a managed-by label the manifest sets', async () => {
    // Prepare
    const w = worldOf([resourceAction('Create', configMap({ active: 'b' }, { labels: { 'app.kubernetes.io/managed-by': 'Helm' } }))]);

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    const stored = await w.kube.get(CM_KEY);
    assert.equal(stored?.metadata.labels?.['app.kubernetes.io/managed-by'], 'Helm');
    assert.equal(stored.metadata.labels[OwnershipLabels.executionUid], UID);
  });

  test('takes an object an earlier attempt of this action created as created (AlreadyExists is success)', async () => {
    // Prepare: attempt 1 created the object, then its result was lost; attempt 2 runs (a second action keeps the execution running)
    const w = worldOf([resourceAction('Create', configMap({ active: 'b' })), httpAction('next', { url: 'http://127.0.0.1:9/y' })]);
    await createRunAction(w.deps).onActionRequested(requested(PATH));
    const created = await w.kube.get(CM_KEY);
    const status = requestAction(w.status(), PATH, 2, w.clock.now());
    await w.kube.replaceStatus({ ...executionObject(status), metadata: { name: EXEC, namespace: NS } });

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH, 2));

    // Assess
    assert.equal(w.action(PATH)?.phase, 'Succeeded');
    assert.equal(w.action(PATH)?.outputs?.created, true);
    assert.equal(w.action(PATH)?.outputs?.resourceRef?.uid, created?.metadata.uid);
  });

  const foreign: Array<{ name: string; labels: Record<string, string>; annotations?: Record<string, string>; message: string }> = [
    {
      name: 'without drplan labels',
      labels: { app: 'shop' },
      message: `ConfigMap ${NS}/routing already exists, not created by drplan; delete it or use operation Apply`,
    },
    {
      name: 'created by another execution',
      labels: {
        'app.kubernetes.io/managed-by': 'drplan',
        [OwnershipLabels.executionUid]: 'other-uid',
        [OwnershipLabels.action]: actionLabel('x/0/y'),
        [OwnershipLabels.attempt]: '1',
      },
      annotations: {
        'dr.bkbcs.tencent.com/execution-name': 'failover-0',
        'dr.bkbcs.tencent.com/execution-namespace': NS,
        'dr.bkbcs.tencent.com/action-path': 'x/0/y',
      },
      message: `ConfigMap ${NS}/routing already exists, created by drplan execution failover-0, action x/0/y; delete it or use operation Apply`,
    },
  ];
  for (const c of foreign) {
    test(`fails without retry on an existing object ${c.name}`, async () => {
      // Prepare
      const w = worldOf([resourceAction('Create', configMap({ active: 'b' }))]);
      w.kube.seed({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'routing', namespace: NS, labels: c.labels, annotations: c.annotations },
        data: { active: 'a' },
      });

      // Act
      await createRunAction(w.deps).onActionRequested(requested(PATH));

      // Assess
      assert.equal(w.action(PATH)?.phase, 'Failed');
      assert.equal(w.action(PATH)?.message, c.message);
      assert.deepEqual((await w.kube.get(CM_KEY))?.data, { active: 'a' });
    });
  }

  test('creates every document of a multi-document manifest and records the first', async () => {
    // Prepare
    const manifest = `${stringify(configMap({ active: 'b' }))}---\n${stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'token', namespace: 'apps' }, stringData: { t: 'x' } })}---\n`;
    const w = worldOf([resourceAction('Create', manifest)]);

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    assert.ok(await w.kube.get(CM_KEY));
    assert.ok(await w.kube.get({ apiVersion: 'v1', kind: 'Secret', name: 'token', namespace: 'apps' }));
    assert.equal(w.action(PATH)?.outputs?.resourceRef?.kind, 'ConfigMap');
  });

  test('leaves a cluster-scoped kind without a namespace', async () => {
    // Prepare
    const w = worldOf([resourceAction('Create', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'standby' } })]);

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    assert.ok(await w.kube.get({ apiVersion: 'v1', kind: 'Namespace', name: 'standby' }));
    assert.deepEqual(w.action(PATH)?.outputs?.resourceRef, {
      apiVersion: 'v1',
      kind: 'Namespace',
      name: 'standby',
      uid: w.action(PATH)?.outputs?.resourceRef?.uid,
    });
  });
});

describe('a KubernetesResource manifest that cannot be used', () => {
  const cases = [
    { name: 'invalid YAML', manifest: 'kind: [', message: /^resource\.manifest \(document 1\): is not valid YAML: / },
    {
      name: 'a document without kind',
      manifest: `${stringify(configMap({}))}---\napiVersion: v1\nmetadata:\n  name: x\n`,
      message: /^resource\.manifest \(document 2\)\.kind: is required$/,
    },
    {
      name: 'a document without a name',
      manifest: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n',
      message: /^resource\.manifest \(document 1\)\.metadata\.name: is required$/,
    },
    { name: 'a list instead of an object', manifest: '- a\n- b\n', message: /^resource\.manifest \(document 1\): is not a mapping$/ },
    { name: 'only comments', manifest: '# nothing here\n', message: /^resource\.manifest: holds no object$/ },
  ];
  for (const c of cases) {
    test(`(${c.name}) fails without retry, naming the document`, async () => {
      // Prepare
      const w = worldOf([resourceAction('Create', c.manifest)]);

      // Act
      await createRunAction(w.deps).onActionRequested(requested(PATH));

      // Assess
      assert.equal(w.action(PATH)?.phase, 'Failed');
      assert.match(w.action(PATH)?.message ?? '', c.message);
      assert.deepEqual(
        w.kube.calls.filter((call) => call.verb === 'create'),
        [],
      );
    });
  }
});

describe('a KubernetesResource Apply', () => {
  test('of an existing object records its prior state and that it did not create it', async () => {
    // Prepare
    const kube = new FakeKube();
    const before = seedConfigMap(kube, { active: 'a' });
    const w = worldOf([resourceAction('Apply', configMap({ active: 'b' }))], { kube });

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    assert.deepEqual((await w.kube.get(CM_KEY))?.data, { active: 'b' });
    const outputs = w.action(PATH)?.outputs;
    assert.equal(outputs?.created, false);
    assert.deepEqual(JSON.parse(outputs.priorState ?? '{}'), before);
    assert.equal(w.kube.calls.filter((c) => c.verb === 'apply').length, 1);
  });

  test('of a new object records it as created, without prior state', async () => {
    // Prepare
    const w = worldOf([resourceAction('Apply', configMap({ active: 'b' }))]);

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    const stored = await w.kube.get(CM_KEY);
    assert.equal(stored?.metadata.labels?.[OwnershipLabels.managedBy], 'drplan');
    assert.deepEqual(w.action(PATH)?.outputs, {
      resourceRef: { apiVersion: 'v1', kind: 'ConfigMap', name: 'routing', namespace: NS, uid: stored.metadata.uid },
      created: true,
    });
    assert.equal(w.action(PATH)?.outputs?.priorState, undefined);
  });

  test('saves the prior state before applying, so a failed apply still has it', async () => {
    // Prepare: the API accepts reads and status writes but fails the apply
    class FailingApply extends FakeKube {
      override apply(): Promise<KubeObject> {
        return Promise.reject(new ApiError(503, 'ServiceUnavailable', 'etcd leader changed'));
      }
    }
    const kube = new FailingApply();
    const before = seedConfigMap(kube, { active: 'a' });
    const w = worldOf([resourceAction('Apply', configMap({ active: 'b' }))], { kube, config: { maxInlineWaitMs: 0 } });

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess: attempt 1 failed (retryable), its prior state kept for attempt 2
    const action = w.action(PATH);
    assert.equal(action?.phase, 'Pending');
    assert.match(action.message ?? '', /attempt 1 failed: applying ConfigMap dr\/routing failed \(503 ServiceUnavailable\): etcd leader changed/);
    assert.deepEqual(JSON.parse(action.outputs?.priorState ?? '{}'), before);
  });

  test('re-run after a lost result keeps the first observation (created), not our own write', async () => {
    // Prepare: attempt 1 saw no object (created: true) and applied; its result was lost and it is re-run (a second action keeps the execution running)
    const w = worldOf([resourceAction('Apply', configMap({ active: 'b' })), httpAction('next', { url: 'http://127.0.0.1:9/y' })]);
    await createRunAction(w.deps).onActionRequested(requested(PATH));
    await editAction(w, PATH, (action) => {
      Object.assign(action, { phase: 'Unknown', attempt: 1, requestedAt: w.clock.now().toISOString() });
      delete action.completionTime;
    });

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    assert.equal(w.action(PATH)?.phase, 'Succeeded');
    assert.equal(w.action(PATH)?.outputs?.created, true);
    assert.equal(w.action(PATH)?.outputs?.priorState, undefined);
  });
});

describe('a KubernetesResource Patch', () => {
  test('merges the manifest into the object and records its prior state', async () => {
    // Prepare
    const kube = new FakeKube();
    const before = seedConfigMap(kube, { active: 'a', region: 'east' });
    const w = worldOf([resourceAction('Patch', configMap({ active: 'b' }))], { kube });

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    const stored = await w.kube.get(CM_KEY);
    assert.deepEqual(stored?.data, { active: 'b', region: 'east' });
    assert.deepEqual(stored.metadata.labels, { app: 'shop' });
    const outputs = w.action(PATH)?.outputs;
    assert.equal(outputs?.created, false);
    assert.deepEqual(JSON.parse(outputs.priorState ?? '{}'), before);
    assert.equal(w.action(PATH)?.phase, 'Succeeded');
  });

  test('of a missing object fails without retry', async () => {
    // Prepare
    const w = worldOf([resourceAction('Patch', configMap({ active: 'b' }))]);

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    assert.equal(w.action(PATH)?.phase, 'Failed');
    assert.equal(w.action(PATH)?.message, `ConfigMap ${NS}/routing not found; a Patch needs an existing object`);
  });
});

describe('a KubernetesResource Delete', () => {
  test('deletes the object and records its prior state', async () => {
    // Prepare
    const kube = new FakeKube();
    const before = seedConfigMap(kube, { active: 'a' });
    const w = worldOf([resourceAction('Delete', configMap({}))], { kube });

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    assert.equal(await w.kube.get(CM_KEY), undefined);
    assert.equal(w.action(PATH)?.phase, 'Succeeded');
    assert.deepEqual(JSON.parse(w.action(PATH)?.outputs?.priorState ?? '{}'), before);
  });

  test('of an object already gone succeeds', async () => {
    // Prepare
    const w = worldOf([resourceAction('Delete', configMap({}))]);

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    assert.equal(w.action(PATH)?.phase, 'Succeeded');
    assert.equal(w.action(PATH)?.message, `ConfigMap ${NS}/routing was already gone`);
    assert.equal(w.action(PATH)?.outputs?.priorState, undefined);
  });
});

describe('a KubernetesResource action whose target API fails', () => {
  const cases = [
    { name: 'with 403 Forbidden fails without retry', error: new ApiError(403, 'Forbidden', 'configmaps is forbidden'), phase: 'Failed' },
    { name: 'with 500 is retried', error: new ApiError(500, 'InternalError', 'boom'), phase: 'Pending' },
    { name: 'with a network error is retried', error: new Error('socket hang up'), phase: 'Pending' },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      // Prepare
      class FailingCreate extends FakeKube {
        override create(object: KubeObject): Promise<KubeObject> {
          return object.kind === 'ConfigMap' ? Promise.reject(c.error) : super.create(object);
        }
      }
      const w = world(executionObject(startedStatus(planOf([resourceAction('Create', configMap({ active: 'b' }))]))), {
        kube: new FailingCreate(),
        config: { maxInlineWaitMs: 0 },
      });

      // Act
      await createRunAction(w.deps).onActionRequested(requested(PATH));

      // Assess
      assert.equal(w.action(PATH)?.phase, c.phase);
      assert.match(w.action(PATH)?.message ?? '', /creating ConfigMap dr\/routing failed/);
    });
  }
});

describe('a KubernetesResource Delete naming a uid (the automatic rollback of a Create)', () => {
  test('deletes the object with that uid', async () => {
    // Prepare
    const kube = new FakeKube();
    const seeded = seedConfigMap(kube, { a: '1' });
    assert.ok(seeded.metadata.uid !== undefined);
    const w = worldOf([resourceAction('Delete', configMap({}, { uid: seeded.metadata.uid }))], { kube });

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    assert.equal(w.action(PATH)?.phase, 'Succeeded');
    assert.equal(await w.kube.get(CM_KEY), undefined);
  });

  test('leaves an object of the same name with another uid in place: it is not the one that was created', async () => {
    // Prepare
    const w = worldOf([resourceAction('Delete', configMap({}, { uid: 'the-one-we-created' }))]);
    seedConfigMap(w.kube, { owner: 'someone else' });

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    assert.equal(w.action(PATH)?.phase, 'Succeeded');
    assert.match(w.action(PATH)?.message ?? '', /is not the object that was created \(uid .*, not the-one-we-created\): left in place/);
    assert.deepEqual((await w.kube.get(CM_KEY))?.data, { owner: 'someone else' });
  });
});

describe('the budget of a recorded prior state', () => {
  test('an object whose prior state is over 256 KiB fails the action at once, unchanged', async () => {
    // Prepare
    const w = worldOf([resourceAction('Delete', configMap({}))]);
    seedConfigMap(w.kube, { blob: 'x'.repeat(300 * 1024) });

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    const action = w.action(PATH);
    assert.equal(action?.phase, 'Failed');
    assert.equal(action.attempt, 1);
    assert.match(
      action.message ?? '',
      /ConfigMap dr\/routing: its prior state is \d+ bytes, over the 262144 an action may record for its rollback; nothing was changed/,
    );
    assert.notEqual(await w.kube.get(CM_KEY), undefined);
  });

  test('a prior state that would make the execution heavier than 1 MiB fails the action at once, unchanged', async () => {
    // Prepare: the execution already holds ~880 KiB (four actions with large bodies, frozen in its plan)
    const heavy = [1, 2, 3, 4].map((n) => httpAction(`later-${n}`, { url: 'http://svc.example/x', method: 'POST', body: 'b'.repeat(220 * 1024) }));
    const w = worldOf([resourceAction('Delete', configMap({})), ...heavy]);
    seedConfigMap(w.kube, { blob: 'x'.repeat(200 * 1024) });

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    const action = w.action(PATH);
    assert.equal(action?.phase, 'Failed');
    assert.equal(action.attempt, 1);
    assert.match(
      action.message ?? '',
      /^outputs\.priorState: recording this object's prior state \(\d+ bytes\) would make the execution \d+ bytes, over the 1048576 it may hold .*nothing was changed/,
    );
    assert.notEqual(await w.kube.get(CM_KEY), undefined);
  });
});

describe('a KubernetesResource Create of several documents', () => {
  test('records every object it created, in order, for its rollback', async () => {
    // Prepare
    const manifest = `${stringify(configMap({ a: '1' }))}---\n${stringify({ ...configMap({ b: '2' }), metadata: { name: 'second' } })}`;
    const w = worldOf([resourceAction('Create', manifest)]);

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    const outputs = w.action(PATH)?.outputs;
    assert.equal(w.action(PATH)?.phase, 'Succeeded');
    assert.deepEqual(
      outputs?.createdRefs?.map((ref) => [ref.kind, ref.name, typeof ref.uid]),
      [
        ['ConfigMap', 'routing', 'string'],
        ['ConfigMap', 'second', 'string'],
      ],
    );
    assert.equal(outputs.resourceRef?.name, 'routing');
  });
});
