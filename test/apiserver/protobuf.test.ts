/** kubectl ≥ 1.32 sends `kubectl create configmap|secret|namespace|serviceaccount` as protobuf: the server reads it. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { encodeMessage, type ProtoField } from '../../local/apiserver/openapi-protobuf.js';
import { raw, startTestServer, type TestServer } from './helpers.js';

const MAGIC = Uint8Array.from([0x6b, 0x38, 0x73, 0x00]);

/** `runtime.Unknown{typeMeta, raw}` behind the `k8s\0` magic, as client-go writes it. */
function envelope(apiVersion: string, kind: string, object: readonly ProtoField[]): Uint8Array {
  const unknown = encodeMessage([
    [
      1,
      [
        [1, apiVersion],
        [2, kind],
      ],
    ],
    [2, encodeMessage(object)],
  ]);
  return Uint8Array.from([...MAGIC, ...unknown]);
}

const entry = (key: string, value: string): ProtoField[] => [
  [1, key],
  [2, value],
];

describe('protobuf request bodies', () => {
  let t: TestServer;

  before(async () => {
    t = await startTestServer();
  });
  after(async () => {
    await t.dispose();
  });

  test('a protobuf ConfigMap is created with its name, labels and data', async () => {
    // Prepare: ObjectMeta{name=1, labels=11}, ConfigMap{metadata=1, data=2}
    const body = envelope('v1', 'ConfigMap', [
      [
        1,
        [
          [1, 'from-proto'],
          [11, entry('app', 'dr')],
        ],
      ],
      [2, entry('region', 'eu')],
      [2, entry('empty', '')],
    ]);
    // Act
    const response = await raw(t.server, '/api/v1/namespaces/default/configmaps', { method: 'POST', contentType: 'application/vnd.kubernetes.protobuf', body });
    // Assess
    assert.equal(response.status, 201, response.text);
    const created = response.json as { metadata: { name: string; labels: Record<string, string> }; data: Record<string, string> };
    assert.equal(created.metadata.name, 'from-proto');
    assert.deepEqual(created.metadata.labels, { app: 'dr' });
    assert.deepEqual(created.data, { region: 'eu', empty: '' });
  });

  test('protobuf Secret data (bytes) is stored base64-encoded and the type defaults to Opaque', async () => {
    const body = envelope('v1', 'Secret', [
      [1, [[1, 'proto-secret']]],
      [
        2,
        [
          [1, 'password'],
          [2, new TextEncoder().encode('hunter2')],
        ],
      ],
    ]);
    const response = await raw(t.server, '/api/v1/namespaces/default/secrets', { method: 'POST', contentType: 'application/vnd.kubernetes.protobuf', body });
    const created = response.json as { data: Record<string, string>; type: string };
    assert.equal(response.status, 201, response.text);
    assert.equal(Buffer.from(created.data.password ?? '', 'base64').toString('utf8'), 'hunter2');
    assert.equal(created.type, 'Opaque');
  });

  test('a protobuf kind the server cannot decode is 415 asking for JSON', async () => {
    const body = envelope('batch/v1', 'Job', [[1, [[1, 'proto-job']]]]);
    const response = await raw(t.server, '/apis/batch/v1/namespaces/default/jobs', {
      method: 'POST',
      contentType: 'application/vnd.kubernetes.protobuf',
      body,
    });
    assert.equal(response.status, 415);
    assert.equal(
      response.json?.message,
      'the body of the request was in an unknown format (application/vnd.kubernetes.protobuf for Job; protobuf is read for Namespace, ConfigMap, Secret, ServiceAccount, Role, ClusterRole, RoleBinding, ClusterRoleBinding, SelfSubjectAccessReview only) - accepted media types include: application/json, application/yaml',
    );
  });

  test('a protobuf body without the magic number is 400', async () => {
    const response = await raw(t.server, '/api/v1/namespaces/default/configmaps', {
      method: 'POST',
      contentType: 'application/vnd.kubernetes.protobuf',
      body: Uint8Array.from([1, 2, 3, 4, 5]),
    });
    assert.equal(response.status, 400);
  });
});
