import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { OpenApiResource } from '../../../local/apiserver/openapi.js';
import { openApiV2Json, openApiV2Protobuf, operationId } from '../../../local/apiserver/openapi.js';
import { openApiV3Document, openApiV3Root } from '../../../local/apiserver/openapi-v3.js';

/** A decoded protobuf message: every occurrence of each field number, as varints or raw bytes. */
type Message = Map<number, (number | Uint8Array)[]>;

/** A protobuf wire-format reader, just large enough to check the document (varints and length-delimited fields). */
function decode(bytes: Uint8Array): Message {
  const fields: Message = new Map();
  let offset = 0;
  const varint = (): number => {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = bytes[offset];
      assert.ok(byte !== undefined, 'truncated varint');
      offset += 1;
      value += (byte & 0x7f) * scale;
      scale *= 128;
      if (byte < 0x80) return value;
    }
  };
  while (offset < bytes.length) {
    const key = varint();
    const [field, wire] = [Math.floor(key / 8), key % 8];
    let value: number | Uint8Array;
    if (wire === 0) value = varint();
    else if (wire === 2) {
      const length = varint();
      assert.ok(offset + length <= bytes.length, 'length runs past the end');
      value = bytes.subarray(offset, offset + length);
      offset += length;
    } else assert.fail(`unexpected wire type ${wire} for field ${field}`);
    fields.set(field, [...(fields.get(field) ?? []), value]);
  }
  return fields;
}

const bytesOf = (message: Message, field: number, index = 0): Uint8Array => {
  const value = message.get(field)?.[index];
  assert.ok(value instanceof Uint8Array, `field ${field} is not length-delimited`);
  return value;
};
const stringOf = (message: Message, field: number, index = 0): string => new TextDecoder().decode(bytesOf(message, field, index));
const child = (message: Message, field: number, index = 0): Message => decode(bytesOf(message, field, index));
const stringsOf = (message: Message, field: number): string[] => (message.get(field) ?? []).map((v) => new TextDecoder().decode(v as Uint8Array));

const drplan: OpenApiResource = {
  group: 'dr.bkbcs.tencent.com',
  version: 'v1alpha1',
  kind: 'DRPlan',
  plural: 'drplans',
  namespaced: true,
  statusSubresource: true,
  schema: { type: 'object', properties: { spec: { type: 'object' } } },
};
const namespace: OpenApiResource = { group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false };
const job: OpenApiResource = { group: 'batch', version: 'v1', kind: 'Job', plural: 'jobs', namespaced: true, statusSubresource: true };
const resources = [drplan, namespace, job];

describe('OpenAPI v2 protobuf', () => {
  test('decodes as a Document with swagger 2.0, an info title and version, and empty definitions', () => {
    const document = decode(openApiV2Protobuf([]));

    assert.equal(stringOf(document, 1), '2.0');
    const info = child(document, 2);
    assert.equal(stringOf(info, 1), 'Kubernetes');
    assert.notEqual(stringOf(info, 2), '');
    assert.equal(bytesOf(document, 9).length, 0);
    assert.deepEqual(
      [...document.keys()].sort((a, b) => a - b),
      [1, 2, 8, 9],
    );
  });

  test('lists one path per resource: the object path', () => {
    const paths = child(decode(openApiV2Protobuf(resources)), 8);

    const names = (paths.get(2) ?? []).map((entry) => stringOf(decode(entry as Uint8Array), 1));
    assert.deepEqual(names, [
      '/apis/dr.bkbcs.tencent.com/v1alpha1/namespaces/{namespace}/drplans/{name}',
      '/api/v1/namespaces/{name}',
      '/apis/batch/v1/namespaces/{namespace}/jobs/{name}',
    ]);
  });

  test('gives each PATCH its group/version/kind and a fieldValidation query parameter, as kubectl looks them up', () => {
    const entry = child(child(decode(openApiV2Protobuf([drplan])), 8), 2);
    const patch = child(child(entry, 2), 8);

    const extensions = (patch.get(13) ?? []).map((e) => decode(e as Uint8Array));
    const gvk = extensions.find((e) => stringOf(e, 1) === 'x-kubernetes-group-version-kind');
    assert.ok(gvk !== undefined);
    assert.deepEqual(JSON.parse(stringOf(child(gvk, 2), 2)), { group: 'dr.bkbcs.tencent.com', kind: 'DRPlan', version: 'v1alpha1' });
    const query = child(child(child(child(patch, 8), 1), 2), 3);
    assert.equal(stringOf(query, 4), 'fieldValidation');
    assert.equal(stringOf(query, 2), 'query');
    assert.equal(stringOf(patch, 5), 'patchDrBkbcsTencentComV1alpha1NamespacedDRPlan');
    assert.deepEqual(stringsOf(patch, 7), ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml']);
  });
});

describe('OpenAPI v2 JSON', () => {
  test('is a swagger 2.0 document with the same PATCH operations and no definitions', () => {
    const document = openApiV2Json([job]) as { swagger: string; definitions: unknown; paths: Record<string, { patch: Record<string, unknown> }> };

    assert.equal(document.swagger, '2.0');
    assert.deepEqual(document.definitions, {});
    const patch = document.paths['/apis/batch/v1/namespaces/{namespace}/jobs/{name}']?.patch;
    assert.ok(patch !== undefined);
    assert.deepEqual(patch['x-kubernetes-group-version-kind'], { group: 'batch', kind: 'Job', version: 'v1' });
    assert.deepEqual(
      (patch.parameters as { name: string }[]).map((p) => p.name),
      ['fieldValidation'],
    );
  });
});

interface V3Operation {
  parameters?: { name: string; in: string }[];
  requestBody?: { content: Record<string, unknown> };
  'x-kubernetes-group-version-kind'?: { group: string; version: string; kind: string };
}
type V3Document = { openapi: string; paths: Record<string, Record<string, V3Operation>>; components: { schemas: Record<string, Record<string, unknown>> } };

/** kubectl's `supportsQueryParamV3`: the PATCH operation of a kind, found by its group/version/kind. */
function patchOf(document: V3Document, kind: string): V3Operation | undefined {
  return Object.values(document.paths)
    .map((item) => item.patch)
    .find((op) => op?.['x-kubernetes-group-version-kind']?.kind === kind);
}

describe('OpenAPI v3', () => {
  test('lists each served group/version with a document URL carrying a content hash', () => {
    const root = openApiV3Root(resources);

    assert.deepEqual(Object.keys(root.paths), ['api/v1', 'apis/batch/v1', 'apis/dr.bkbcs.tencent.com/v1alpha1']);
    assert.match(root.paths['api/v1']?.serverRelativeURL ?? '', /^\/openapi\/v3\/api\/v1\?hash=[0-9A-F]{128}$/);
  });

  test('changes the hash of a group/version when its schema changes', () => {
    const before = openApiV3Root([drplan]).paths['apis/dr.bkbcs.tencent.com/v1alpha1']?.serverRelativeURL;
    const after = openApiV3Root([{ ...drplan, schema: { type: 'object' } }]).paths['apis/dr.bkbcs.tencent.com/v1alpha1']?.serverRelativeURL;

    assert.notEqual(before, after);
  });

  test('offers fieldValidation on the PATCH of every kind, so kubectl leaves validation to the server', () => {
    for (const resource of resources) {
      const document = openApiV3Document(resource.group === '' ? 'api/v1' : `apis/${resource.group}/${resource.version}`, resources) as V3Document;

      const patch = patchOf(document, resource.kind);

      assert.ok(
        patch?.parameters?.some((p) => p.name === 'fieldValidation' && p.in === 'query'),
        resource.kind,
      );
    }
  });

  test('does not offer strategic merge patch, so kubectl computes patches from its own types', () => {
    const document = openApiV3Document('apis/batch/v1', resources) as V3Document;

    assert.deepEqual(Object.keys(patchOf(document, 'Job')?.requestBody?.content ?? {}), [
      'application/json-patch+json',
      'application/merge-patch+json',
      'application/apply-patch+yaml',
    ]);
  });

  test('publishes a CRD schema tagged with its group/version/kind for kubectl explain', () => {
    const document = openApiV3Document('/apis/dr.bkbcs.tencent.com/v1alpha1', resources) as V3Document;

    assert.deepEqual(document.components.schemas['com.tencent.bkbcs.dr.v1alpha1.DRPlan'], {
      type: 'object',
      properties: { spec: { type: 'object' } },
      'x-kubernetes-group-version-kind': [{ group: 'dr.bkbcs.tencent.com', kind: 'DRPlan', version: 'v1alpha1' }],
    });
  });

  test('describes the status subresource of a kind that has one', () => {
    const document = openApiV3Document('apis/batch/v1', resources) as V3Document;

    assert.ok('/apis/batch/v1/namespaces/{namespace}/jobs/{name}/status' in document.paths);
    assert.ok(!('/api/v1/namespaces/{name}/status' in (openApiV3Document('api/v1', resources) as V3Document).paths));
  });

  test('has no document for a group/version nothing is served under', () => {
    assert.equal(openApiV3Document('apis/apps/v1', resources), undefined);
  });
});

describe('operation ids', () => {
  const cases: [string, OpenApiResource, string][] = [
    ['patch', job, 'patchBatchV1NamespacedJob'],
    ['read', namespace, 'readCoreV1Namespace'],
    ['patch', drplan, 'patchDrBkbcsTencentComV1alpha1NamespacedDRPlan'],
  ];
  for (const [verb, resource, expected] of cases) {
    test(`${verb} ${resource.kind} is ${expected}`, () => {
      assert.equal(operationId(verb, resource), expected);
    });
  }
});
