/** Custom resources are validated, defaulted and pruned against their CRD schema; CRDs can come and go. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CustomObjectsApi, KubernetesObjectApi } from '@kubernetes/client-node';
import { DR, drPlan, failure, raw, startTestServer, type TestServer } from './helpers.js';

type Plan = { metadata: { name: string }; spec: { failurePolicy?: string; stages: Array<Record<string, unknown>>; [key: string]: unknown } };

const widgetCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.example.com' },
  spec: {
    group: 'example.com',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget', shortNames: ['wd'] },
    scope: 'Namespaced',
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        additionalPrinterColumns: [{ name: 'Size', type: 'integer', jsonPath: '.spec.size' }],
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: { type: 'object', properties: { size: { type: 'integer', default: 3 } } },
              status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
            },
          },
        },
      },
    ],
  },
};

/** CRDs go in as raw JSON: client-node's typed serializer only knows its own property names (`_default`). */
async function createCrd(t: TestServer, crd: unknown): Promise<Record<string, unknown>> {
  const response = await raw(t.server, '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
    method: 'POST',
    contentType: 'application/json',
    body: JSON.stringify(crd),
  });
  if (response.status !== 201 || response.json === undefined) throw new Error(`CRD not created: ${response.text}`);
  return response.json;
}

describe('admission of custom resources', () => {
  let t: TestServer;
  let custom: CustomObjectsApi;
  const plans = { ...DR, namespace: 'default', plural: 'drplans' };

  before(async () => {
    t = await startTestServer();
    custom = t.kubeConfig.makeApiClient(CustomObjectsApi);
  });
  after(async () => {
    await t.dispose();
  });

  test('an invalid custom resource is 422 with one cause per field and a Kubernetes message', async () => {
    const body = { apiVersion: `${DR.group}/${DR.version}`, kind: 'DRPlan', metadata: { name: 'broken' }, spec: { failurePolicy: 'Sometimes' } };
    const status = await failure(() => custom.createNamespacedCustomObject({ ...plans, body }));
    assert.equal(status.code, 422);
    assert.equal(status.reason, 'Invalid');
    assert.match(status.message ?? '', /^DRPlan\.dr\.bkbcs\.tencent\.com "broken" is invalid: \[/);
    const fields = (status.details?.causes ?? []).map((c) => [c.reason, c.field]);
    assert.deepEqual(fields.sort(), [
      ['FieldValueNotSupported', 'spec.failurePolicy'],
      ['FieldValueRequired', 'spec.stages'],
    ]);
  });

  test('a single invalid field gives the unbracketed message', async () => {
    const body = { apiVersion: `${DR.group}/${DR.version}`, kind: 'DRPlan', metadata: { name: 'no-stages' }, spec: {} };
    const status = await failure(() => custom.createNamespacedCustomObject({ ...plans, body }));
    assert.equal(status.message, 'DRPlan.dr.bkbcs.tencent.com "no-stages" is invalid: spec.stages: Required value');
  });

  test('schema defaults are applied on create', async () => {
    const created = (await custom.createNamespacedCustomObject({ ...plans, body: drPlan('defaulted') })) as Plan;
    assert.equal(created.spec.failurePolicy, 'Stop');
    assert.equal(created.spec.stages[0]?.parallel, false);
  });

  test('unknown fields are pruned and reported in a Warning header', async () => {
    const body = { ...drPlan('pruned'), spec: { ...(drPlan('x').spec as object), colour: 'blue' } };
    const response = await raw(t.server, '/apis/dr.bkbcs.tencent.com/v1alpha1/namespaces/default/drplans', {
      method: 'POST',
      contentType: 'application/json',
      body: JSON.stringify(body),
    });
    assert.equal(response.status, 201);
    assert.equal((response.json?.spec as Record<string, unknown>).colour, undefined);
    assert.match(response.headers.get('warning') ?? '', /unknown field \\"spec\.colour\\"/);
  });

  test('fieldValidation=Strict refuses unknown fields with 400 naming them', async () => {
    const body = { ...drPlan('strict'), spec: { ...(drPlan('x').spec as object), colour: 'blue' } };
    const response = await raw(t.server, '/apis/dr.bkbcs.tencent.com/v1alpha1/namespaces/default/drplans?fieldValidation=Strict', {
      method: 'POST',
      contentType: 'application/json',
      body: JSON.stringify(body),
    });
    assert.equal(response.status, 400);
    assert.equal(response.json?.message, 'DRPlan in version "v1alpha1" cannot be handled as a DRPlan: strict decoding error: unknown field "spec.colour"');
  });

  test('a CRD created at run time is served, discoverable and defaulted', async () => {
    // Act
    const created = (await createCrd(t, widgetCrd)) as { status: { conditions: Array<{ type: string; status: string }> } };
    const discovery = await raw(t.server, '/apis/example.com/v1');
    const widget = (await custom.createNamespacedCustomObject({
      group: 'example.com',
      version: 'v1',
      namespace: 'default',
      plural: 'widgets',
      body: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: {} },
    })) as { spec: { size: number } };
    // Assess
    assert.deepEqual(
      created.status.conditions.map((c) => [c.type, c.status]),
      [
        ['NamesAccepted', 'True'],
        ['Established', 'True'],
      ],
    );
    const resources = (discovery.json?.resources as Array<{ name: string; shortNames?: string[] }>).map((r) => [r.name, r.shortNames]);
    assert.deepEqual(resources, [
      ['widgets', ['wd']],
      ['widgets/status', undefined],
    ]);
    assert.equal(widget.spec.size, 3);
  });

  test('a CRD deleted at run time is no longer served and its objects are gone', async () => {
    const gadget = {
      ...widgetCrd,
      metadata: { name: 'gadgets.example.org' },
      spec: { ...widgetCrd.spec, group: 'example.org', names: { plural: 'gadgets', kind: 'Gadget' } },
    };
    await createCrd(t, gadget);
    await custom.createNamespacedCustomObject({
      group: 'example.org',
      version: 'v1',
      namespace: 'default',
      plural: 'gadgets',
      body: { apiVersion: 'example.org/v1', kind: 'Gadget', metadata: { name: 'g' }, spec: {} },
    });
    await raw(t.server, '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.example.org', { method: 'DELETE' });
    const list = await raw(t.server, '/apis/example.org/v1/namespaces/default/gadgets');
    const groups = await raw(t.server, '/apis');
    assert.equal(list.status, 404);
    assert.equal(
      (groups.json?.groups as Array<{ name: string }>).some((g) => g.name === 'example.org'),
      false,
    );
  });

  test('a CRD whose name does not match its names is 422 naming metadata.name', async () => {
    const body = JSON.stringify({ ...widgetCrd, metadata: { name: 'wrong.example.com' } });
    const response = await raw(t.server, '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { method: 'POST', contentType: 'application/json', body });
    const causes = (response.json?.details as { causes: Array<{ field: string; message: string }> }).causes;
    assert.equal(response.status, 422);
    assert.deepEqual(causes, [
      { reason: 'FieldValueInvalid', field: 'metadata.name', message: 'Invalid value: "wrong.example.com": must be spec.names.plural+"."+spec.group' },
    ]);
  });

  test("a CRD's group cannot change", async () => {
    const crd = { ...widgetCrd, metadata: { name: 'levers.example.com' }, spec: { ...widgetCrd.spec, names: { plural: 'levers', kind: 'Lever' } } };
    const created = await createCrd(t, crd);
    const body = JSON.stringify([{ op: 'replace', path: '/spec/group', value: 'example.org' }]);
    const response = await raw(t.server, '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/levers.example.com', {
      method: 'PATCH',
      contentType: 'application/json-patch+json',
      body,
    });
    assert.ok(created.metadata !== undefined);
    assert.equal(response.status, 422);
    assert.deepEqual((response.json?.details as { causes: unknown[] }).causes, [
      { reason: 'FieldValueInvalid', message: 'Invalid value: "example.org": field is immutable', field: 'spec.group' },
    ]);
  });

  test('KubernetesObjectApi finds a kind registered at run time', async () => {
    const objects = KubernetesObjectApi.makeApiClient(t.kubeConfig);
    const thing = {
      ...widgetCrd,
      metadata: { name: 'things.example.net' },
      spec: { ...widgetCrd.spec, group: 'example.net', names: { plural: 'things', kind: 'Thing' } },
    };
    await createCrd(t, thing);
    const created = await objects.create({
      apiVersion: 'example.net/v1',
      kind: 'Thing',
      metadata: { name: 't', namespace: 'default' },
      spec: { size: 1 },
    } as never);
    assert.equal((created as { spec: { size: number } }).spec.size, 1);
  });
});
