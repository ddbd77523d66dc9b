/** list: label and field selectors, all namespaces, paging, the list resourceVersion, Table output. */
/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment -- client-node's models are declared as classes, but its API takes plain objects (its serializer reads fields, not prototypes). */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { DR, drPlan, raw, startTestServer, type TestServer } from './helpers.js';

const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

describe('list through client-node', () => {
  let t: TestServer;
  let core: CoreV1Api;

  before(async () => {
    t = await startTestServer();
    core = t.kubeConfig.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'other' } } });
    const maps: Array<[string, string, Record<string, string>]> = [
      ['default', 'red', { colour: 'red', size: 'big' }],
      ['default', 'green', { colour: 'green' }],
      ['default', 'blue', { colour: 'blue', size: 'small' }],
      ['other', 'red', { colour: 'red' }],
    ];
    for (const [namespace, name, labels] of maps) await core.createNamespacedConfigMap({ namespace, body: { metadata: { name, labels } } });
  });
  after(async () => {
    await t.dispose();
  });

  const labelCases: Array<[string, string[]]> = [
    ['colour=red', ['red']],
    ['colour==red', ['red']],
    ['colour!=red', ['blue', 'green']],
    ['colour in (red, blue)', ['blue', 'red']],
    ['colour notin (red,blue)', ['green']],
    ['size', ['blue', 'red']],
    ['!size', ['green']],
    ['colour=red,size=big', ['red']],
    ['colour=red,size=small', []],
  ];
  for (const [selector, expected] of labelCases) {
    test(`the label selector "${selector}" selects ${expected.length === 0 ? 'nothing' : expected.join(', ')}`, async () => {
      const list = await core.listNamespacedConfigMap({ namespace: 'default', labelSelector: selector });
      assert.deepEqual(
        list.items.map((m) => m.metadata?.name),
        expected,
      );
    });
  }

  const fieldCases: Array<[string, string[]]> = [
    ['metadata.name=red', ['default/red', 'other/red']],
    ['metadata.name==red,metadata.namespace=other', ['other/red']],
    ['metadata.namespace!=default', ['other/red']],
  ];
  for (const [selector, expected] of fieldCases) {
    test(`the field selector "${selector}" across namespaces selects ${expected.join(', ')}`, async () => {
      const list = await core.listConfigMapForAllNamespaces({ fieldSelector: selector });
      assert.deepEqual(
        list.items.map((m) => `${m.metadata?.namespace ?? ''}/${m.metadata?.name ?? ''}`),
        expected,
      );
    });
  }

  test('a list carries the latest resourceVersion', async () => {
    const created = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'latest' } } });
    const list = await core.listNamespacedConfigMap({ namespace: 'default' });
    assert.equal(list.metadata?.resourceVersion, created.metadata?.resourceVersion);
  });

  test('limit and continue page through a list', async () => {
    const first = await core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'colour', limit: 2 });
    const second = await core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'colour', limit: 2, _continue: first.metadata?._continue });
    assert.deepEqual(
      first.items.map((m) => m.metadata?.name),
      ['blue', 'green'],
    );
    assert.equal(first.metadata?.remainingItemCount, 1);
    assert.deepEqual(
      second.items.map((m) => m.metadata?.name),
      ['red'],
    );
    assert.equal(second.metadata?._continue, undefined);
  });

  test('a custom resource Table has NAME, the printer columns and AGE', async () => {
    await t.kubeConfig.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({ ...DR, namespace: 'default', plural: 'drplans', body: drPlan('tabled') });
    const response = await raw(t.server, '/apis/dr.bkbcs.tencent.com/v1alpha1/namespaces/default/drplans', { accept: TABLE });
    const table = response.json as {
      kind: string;
      columnDefinitions: Array<{ name: string }>;
      rows: Array<{ cells: unknown[]; object: { metadata: { name: string } } }>;
    };
    const names = table.columnDefinitions.map((c) => c.name);
    assert.equal(table.kind, 'Table');
    assert.equal(names[0], 'Name');
    assert.equal(names[names.length - 1], 'Age');
    assert.ok(names.length > 2);
    assert.equal(table.rows[0]?.cells[0], 'tabled');
    assert.equal(table.rows[0].object.metadata.name, 'tabled');
  });

  test('a built-in Table uses the usual kubectl columns', async () => {
    const response = await raw(t.server, '/api/v1/namespaces', { accept: TABLE });
    const table = response.json as { columnDefinitions: Array<{ name: string }>; rows: Array<{ cells: unknown[] }> };
    assert.deepEqual(
      table.columnDefinitions.map((c) => c.name),
      ['Name', 'Status', 'Age'],
    );
    assert.deepEqual(table.rows.find((r) => r.cells[0] === 'default')?.cells.slice(0, 2), ['default', 'Active']);
  });
});
