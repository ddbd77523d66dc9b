/** Watch through client-node's Watch and informer: resume, 410 Gone, bookmarks, selectors, timeouts. */
/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment -- client-node's models are declared as classes, but its API takes plain objects (its serializer reads fields, not prototypes). */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CoreV1Api, PatchStrategy, Watch, makeInformer, setHeaderOptions, type V1ConfigMap } from '@kubernetes/client-node';
import { eventually, startTestServer, type TestServer } from './helpers.js';

interface Seen {
  type: string;
  name: string;
  resourceVersion: string;
  code?: number;
  reason?: string;
}

const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const CONFIGMAPS = '/api/v1/namespaces/default/configmaps';

/** Watches `path` and collects events until `count` have arrived; resolves with them (and the end, if it came). */
async function collect(
  t: TestServer,
  query: Record<string, string | number | boolean | undefined>,
  count: number,
  path = CONFIGMAPS,
): Promise<{ events: Seen[]; ended: boolean }> {
  const events: Seen[] = [];
  let ended = false;
  const controller = await new Watch(t.kubeConfig).watch(
    path,
    query,
    (type, object: { metadata?: { name?: string; resourceVersion?: string }; code?: number; reason?: string }) => {
      events.push({
        type,
        name: object.metadata?.name ?? '',
        resourceVersion: object.metadata?.resourceVersion ?? '',
        ...(object.code === undefined ? {} : { code: object.code, reason: object.reason }),
      });
    },
    () => {
      ended = true;
    },
  );
  try {
    await eventually(() => (events.length >= count || ended ? true : undefined));
  } finally {
    controller.abort();
  }
  return { events, ended };
}

describe('watch through client-node', () => {
  let t: TestServer;
  let core: CoreV1Api;
  const create = (name: string, labels?: Record<string, string>): Promise<V1ConfigMap> =>
    core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name, ...(labels === undefined ? {} : { labels }) } } });

  before(async () => {
    t = await startTestServer({ watchHistorySize: 20, bookmarkIntervalMs: 50 });
    core = t.kubeConfig.makeApiClient(CoreV1Api);
  });
  after(async () => {
    await t.dispose();
  });

  test('a watch from a resourceVersion replays what happened after it, in order', async () => {
    // Prepare
    const first = await create('resume-a');
    await create('resume-b');
    await core.patchNamespacedConfigMap({ name: 'resume-a', namespace: 'default', body: { data: { x: '1' } } }, merge);
    await core.deleteNamespacedConfigMap({ name: 'resume-b', namespace: 'default' });
    // Act
    const { events } = await collect(t, { resourceVersion: first.metadata?.resourceVersion }, 3);
    // Assess
    assert.deepEqual(
      events.map((e) => [e.type, e.name]),
      [
        ['ADDED', 'resume-b'],
        ['MODIFIED', 'resume-a'],
        ['DELETED', 'resume-b'],
      ],
    );
    const versions = events.map((e) => Number(e.resourceVersion));
    assert.deepEqual(
      versions,
      [...versions].sort((a, b) => a - b),
    );
  });

  test('a watch without a resourceVersion starts with the current objects as ADDED', async () => {
    await create('initial-a', { batch: 'initial' });
    await create('initial-b', { batch: 'initial' });
    const { events } = await collect(t, { labelSelector: 'batch=initial' }, 2);
    assert.deepEqual(
      events.map((e) => [e.type, e.name]),
      [
        ['ADDED', 'initial-a'],
        ['ADDED', 'initial-b'],
      ],
    );
  });

  test('a resourceVersion older than the history window gets an ERROR event with 410 Gone', async () => {
    const old = await create('too-old');
    for (let i = 0; i < 25; i += 1) await core.patchNamespacedConfigMap({ name: 'too-old', namespace: 'default', body: { data: { i: String(i) } } }, merge);
    const { events, ended } = await collect(t, { resourceVersion: old.metadata?.resourceVersion }, 1);
    assert.deepEqual(
      events.map((e) => [e.type, e.code, e.reason]),
      [['ERROR', 410, 'Expired']],
    );
    await eventually(() => (ended ? true : undefined));
  });

  test('bookmarks carry the current resourceVersion', async () => {
    const latest = await create('bookmarked');
    const { events } = await collect(t, { resourceVersion: latest.metadata?.resourceVersion, allowWatchBookmarks: true }, 1);
    assert.equal(events[0]?.type, 'BOOKMARK');
    assert.ok(Number(events[0].resourceVersion) >= Number(latest.metadata?.resourceVersion));
  });

  test('a label-selected watch sees an edit into the selection as ADDED and out of it as DELETED', async () => {
    const start = await create('mover');
    await core.patchNamespacedConfigMap({ name: 'mover', namespace: 'default', body: { metadata: { labels: { tier: 'gold' } } } }, merge);
    await core.patchNamespacedConfigMap({ name: 'mover', namespace: 'default', body: { data: { a: '1' } } }, merge);
    await core.patchNamespacedConfigMap({ name: 'mover', namespace: 'default', body: { metadata: { labels: { tier: 'lead' } } } }, merge);
    const { events } = await collect(t, { resourceVersion: start.metadata?.resourceVersion, labelSelector: 'tier in (gold)' }, 3);
    assert.deepEqual(
      events.map((e) => e.type),
      ['ADDED', 'MODIFIED', 'DELETED'],
    );
  });

  test('a field-selected watch sees only the named object', async () => {
    const start = await create('field-a');
    await create('field-b');
    await core.patchNamespacedConfigMap({ name: 'field-a', namespace: 'default', body: { data: { a: '1' } } }, merge);
    const { events } = await collect(t, { resourceVersion: start.metadata?.resourceVersion, fieldSelector: 'metadata.name=field-a' }, 1);
    assert.deepEqual(
      events.map((e) => [e.type, e.name]),
      [['MODIFIED', 'field-a']],
    );
  });

  test('timeoutSeconds ends the watch', async () => {
    const { ended } = await collect(t, { resourceVersion: '1', timeoutSeconds: 0.2, fieldSelector: 'metadata.name=nothing-here' }, 1000);
    assert.equal(ended, true);
  });

  test('an informer sees adds, updates and deletes', async () => {
    // Prepare
    const path = '/api/v1/namespaces/default/configmaps';
    const informer = makeInformer(
      t.kubeConfig,
      path,
      () => core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'informed=yes' }),
      'informed=yes',
    );
    const seen: string[] = [];
    informer.on('add', (o) => seen.push(`add:${o.metadata?.name ?? ''}`));
    informer.on('update', (o) => seen.push(`update:${o.metadata?.name ?? ''}`));
    informer.on('delete', (o) => seen.push(`delete:${o.metadata?.name ?? ''}`));
    await create('informed-early', { informed: 'yes' });
    await informer.start();
    // Act
    await create('informed-late', { informed: 'yes' });
    await core.patchNamespacedConfigMap({ name: 'informed-early', namespace: 'default', body: { data: { a: '1' } } }, merge);
    await core.deleteNamespacedConfigMap({ name: 'informed-late', namespace: 'default' });
    // Assess
    try {
      await eventually(() => (seen.length >= 4 ? true : undefined));
      assert.deepEqual(seen, ['add:informed-early', 'add:informed-late', 'update:informed-early', 'delete:informed-late']);
      assert.deepEqual(
        informer.list('default').map((o) => o.metadata?.name),
        ['informed-early'],
      );
    } finally {
      await informer.stop();
    }
  });
});
