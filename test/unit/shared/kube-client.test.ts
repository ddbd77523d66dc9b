/**
 * The real Kube client against the local API server (no mocks): JSON in and out, discovery, the status
 * subresource, conditional writes, server-side apply, Events, and errors with a numeric code and reason.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { RequestOptions } from 'node:https';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeApiError } from '../../../shared/kube/api-error.js';
import { createKube, loadKubeConfig } from '../../../shared/kube/client.js';
import { createDiscovery } from '../../../shared/kube/discovery.js';
import { headerRecord, parseKubeConfig, TOKEN_REREAD_MS } from '../../../shared/kube/kubeconfig.js';
import type { JsonRequest, RestClient } from '../../../shared/kube/rest.js';
import type { Kube, KubeObject } from '../../../shared/kube/types.js';
import { configMap, drWorkflow, rejection, startLocalApiServer, type LocalApiServer } from '../../support/infra-helpers.js';

const FIXED_NOW = new Date('2026-03-01T10:20:30.456Z');
const workflowKey = (name: string) => ({ apiVersion: 'dr.bkbcs.tencent.com/v1alpha1', kind: 'DRWorkflow', name, namespace: 'default' });
const configMapKey = (name: string, namespace = 'default') => ({ apiVersion: 'v1', kind: 'ConfigMap', name, namespace });

function assertApiError(error: unknown, expected: { code: number; reason: string; message: RegExp }): void {
  assert.ok(error instanceof KubeApiError, `expected a KubeApiError, got ${String(error)}`);
  assert.equal(error.code, expected.code);
  assert.equal(error.reason, expected.reason);
  assert.match(error.message, expected.message);
}

describe('the Kubernetes client', () => {
  let local: LocalApiServer;
  let kube: Kube;

  before(async () => {
    local = await startLocalApiServer();
    kube = createKube(local.kubeConfig, { now: () => FIXED_NOW });
  });
  after(async () => {
    await local.dispose();
  });

  describe('get', () => {
    test('returns a custom resource as the JSON the server sent, timestamps as strings', async () => {
      // Prepare
      await kube.create(drWorkflow('get-json'));
      // Act
      const found = await kube.get(workflowKey('get-json'));
      // Assess
      assert.ok(found);
      assert.equal(found.kind, 'DRWorkflow');
      assert.equal(found.metadata.name, 'get-json');
      assert.equal(typeof found.metadata.creationTimestamp, 'string');
      assert.deepEqual((found.spec as { actions: unknown[] }).actions.length, 1);
    });

    test('returns undefined when the object does not exist', async () => {
      const found = await kube.get(workflowKey('never-created'));
      assert.equal(found, undefined);
    });

    test('returns undefined when the server does not serve the kind at all', async () => {
      const found = await kube.get({ apiVersion: 'example.com/v1', kind: 'Nothing', name: 'x', namespace: 'default' });
      assert.equal(found, undefined);
    });

    test('uses the namespace of the kubeconfig context when the key names none', async () => {
      // Prepare
      await kube.create(configMap('default-namespace', { a: '1' }));
      // Act
      const found = await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', name: 'default-namespace' });
      // Assess
      assert.equal(found?.metadata.namespace, 'default');
    });
  });

  describe('list', () => {
    test('lists across namespaces when none is given, with apiVersion and kind on every item', async () => {
      // Prepare
      await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'list-other' } });
      await kube.create({ ...configMap('listed-a', {}), metadata: { name: 'listed-a', namespace: 'default', labels: { suite: 'list' } } });
      await kube.create({ ...configMap('listed-b', {}, 'list-other'), metadata: { name: 'listed-b', namespace: 'list-other', labels: { suite: 'list' } } });
      // Act
      const items = await kube.list('v1', 'ConfigMap', { labelSelector: 'suite=list' });
      // Assess
      assert.deepEqual(items.map((i) => `${i.metadata.namespace ?? ''}/${i.metadata.name ?? ''}`).sort(), ['default/listed-a', 'list-other/listed-b']);
      assert.ok(items.every((i) => i.apiVersion === 'v1' && i.kind === 'ConfigMap'));
    });

    test('lists one namespace when it is given', async () => {
      const items = await kube.list('v1', 'ConfigMap', { namespace: 'list-other', labelSelector: 'suite=list' });
      assert.deepEqual(
        items.map((i) => i.metadata.name),
        ['listed-b'],
      );
    });

    test('follows continue tokens past the page size', async () => {
      // Prepare
      await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'many' } });
      for (let i = 0; i < 505; i += 1) await kube.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, namespace: 'many' } });
      // Act
      const items = await kube.list('v1', 'ConfigMap', { namespace: 'many' });
      // Assess
      assert.equal(new Set(items.map((i) => i.metadata.name)).size, 505);
    });
  });

  describe('create', () => {
    test('fails with 409 AlreadyExists when the name is taken', async () => {
      // Prepare
      await kube.create(configMap('taken', {}));
      // Act
      const error = await rejection(() => kube.create(configMap('taken', {})));
      // Assess
      assertApiError(error, { code: 409, reason: 'AlreadyExists', message: /^create ConfigMap default\/taken: .*taken/ });
    });

    test('fails with 422 Invalid naming the field when the schema rejects the object', async () => {
      // Prepare
      const invalid: KubeObject = { ...drWorkflow('invalid-type'), spec: { actions: [{ name: 'a', type: 'Teleport' }] } };
      // Act
      const error = await rejection(() => kube.create(invalid));
      // Assess
      assertApiError(error, { code: 422, reason: 'Invalid', message: /spec\.actions\[0\]\.type/ });
    });
  });

  describe('apply', () => {
    test('creates with server-side apply and records drplan as the field manager', async () => {
      // Act
      const applied = await kube.apply(configMap('applied', { a: '1' }), 'drplan');
      // Assess
      assert.deepEqual(applied.data, { a: '1' });
      const managers = (applied.metadata.managedFields as Array<{ manager: string; operation: string }> | undefined) ?? [];
      assert.ok(
        managers.some((m) => m.manager === 'drplan' && m.operation === 'Apply'),
        JSON.stringify(managers),
      );
    });

    test('applies an object read back from the server, managed fields and all', async () => {
      // Prepare
      const read = await kube.apply(configMap('reapplied', { a: '1' }), 'drplan');
      // Act
      const applied = await kube.apply({ ...read, data: { a: '2' } }, 'drplan');
      // Assess
      assert.deepEqual(applied.data, { a: '2' });
    });

    test('takes over fields another manager owns (force)', async () => {
      // Prepare
      await kube.apply(configMap('contested', { a: 'theirs' }), 'someone-else');
      // Act
      const applied = await kube.apply(configMap('contested', { a: 'ours' }), 'drplan');
      // Assess
      assert.deepEqual(applied.data, { a: 'ours' });
    });
  });

  describe('merge patches', () => {
    test('a merge patch removes a key set to null', async () => {
      // Prepare
      await kube.create(configMap('patched', { keep: '1', drop: '2' }));
      // Act
      const patched = await kube.mergePatch(configMapKey('patched'), { data: { drop: null } });
      // Assess
      assert.deepEqual(patched.data, { keep: '1' });
    });

    test('a merge patch of a custom resource is accepted (merge patch, not strategic merge)', async () => {
      // Prepare
      await kube.create(drWorkflow('labelled'));
      // Act
      const patched = await kube.mergePatch(workflowKey('labelled'), { metadata: { labels: { team: 'sre' } } });
      // Assess
      assert.deepEqual(patched.metadata.labels, { team: 'sre' });
    });

    test('a patch carrying a stale resourceVersion fails with 409 Conflict', async () => {
      // Prepare
      const created = await kube.create(configMap('stale', { v: '1' }));
      await kube.mergePatch(configMapKey('stale'), { data: { v: '2' } });
      // Act
      const error = await rejection(() =>
        kube.mergePatch(configMapKey('stale'), { metadata: { resourceVersion: created.metadata.resourceVersion }, data: { v: '3' } }),
      );
      // Assess
      assertApiError(error, { code: 409, reason: 'Conflict', message: /^patch ConfigMap default\/stale: / });
    });

    test('patching the status changes the status and leaves the spec alone', async () => {
      // Prepare
      const created = await kube.create(drWorkflow('status-patch'));
      // Act
      const patched = await kube.mergePatchStatus(workflowKey('status-patch'), {
        metadata: { resourceVersion: created.metadata.resourceVersion },
        status: { phase: 'Ready' },
        spec: { actions: [] },
      });
      // Assess
      assert.deepEqual(patched.status, { phase: 'Ready' });
      assert.equal((patched.spec as { actions: unknown[] }).actions.length, 1);
    });

    test('a status patch carrying a stale resourceVersion fails with 409 Conflict', async () => {
      // Prepare
      const created = await kube.create(drWorkflow('status-stale'));
      await kube.mergePatchStatus(workflowKey('status-stale'), { status: { phase: 'Ready' } });
      // Act
      const error = await rejection(() =>
        kube.mergePatchStatus(workflowKey('status-stale'), { metadata: { resourceVersion: created.metadata.resourceVersion }, status: { phase: 'Invalid' } }),
      );
      // Assess
      assertApiError(error, { code: 409, reason: 'Conflict', message: /^patch the status of DRWorkflow default\/status-stale: / });
    });

    test('a patch of a missing object fails with 404 NotFound', async () => {
      const error = await rejection(() => kube.mergePatch(configMapKey('absent'), { data: { a: '1' } }));
      assertApiError(error, { code: 404, reason: 'NotFound', message: /absent/ });
    });
  });

  describe('replaceStatus', () => {
    test('replaces the whole status', async () => {
      // Prepare
      await kube.create(drWorkflow('status-replace'));
      const withStatus = await kube.mergePatchStatus(workflowKey('status-replace'), { status: { phase: 'Invalid', message: 'old' } });
      // Act
      const replaced = await kube.replaceStatus({ ...withStatus, status: { phase: 'Ready' } });
      // Assess
      assert.deepEqual(replaced.status, { phase: 'Ready' });
    });
  });

  describe('remove', () => {
    test('returns true when it deleted the object and false when it was already gone', async () => {
      // Prepare
      await kube.create(configMap('removed', {}));
      // Act
      const first = await kube.remove(configMapKey('removed'));
      const second = await kube.remove(configMapKey('removed'));
      // Assess
      assert.deepEqual([first, second], [true, false]);
      assert.equal(await kube.get(configMapKey('removed')), undefined);
    });

    test('deletes a Job with background propagation', async () => {
      // Prepare
      await kube.create({
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: 'job-removed', namespace: 'default' },
        spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
      });
      // Act
      const removed = await kube.remove(
        { apiVersion: 'batch/v1', kind: 'Job', name: 'job-removed', namespace: 'default' },
        { propagationPolicy: 'Background' },
      );
      // Assess
      assert.equal(removed, true);
    });
  });

  describe('recordEvent', () => {
    test('creates a core/v1 Event about the object, from the drplan component', async () => {
      // Prepare
      const regarding = { ...workflowKey('evented'), uid: 'uid-1' };
      // Act
      await kube.recordEvent({ regarding, type: 'Warning', reason: 'ActionFailed', message: 'action ping failed: 503' });
      // Assess
      const events = await kube.list('v1', 'Event', { namespace: 'default' });
      const event = events.find((e) => (e.involvedObject as { name?: string } | undefined)?.name === 'evented');
      assert.ok(event, 'the Event was not recorded');
      assert.match(event.metadata.name ?? '', /^evented\.[0-9a-f]+$/);
      assert.deepEqual(event.involvedObject, { apiVersion: regarding.apiVersion, kind: 'DRWorkflow', name: 'evented', namespace: 'default', uid: 'uid-1' });
      assert.deepEqual(
        {
          reason: event.reason,
          message: event.message,
          type: event.type,
          count: event.count,
          source: event.source,
          reportingComponent: event.reportingComponent,
        },
        {
          reason: 'ActionFailed',
          message: 'action ping failed: 503',
          type: 'Warning',
          count: 1,
          source: { component: 'drplan' },
          reportingComponent: 'drplan',
        },
      );
      assert.equal(event.firstTimestamp, '2026-03-01T10:20:30Z');
      assert.equal(event.lastTimestamp, '2026-03-01T10:20:30Z');
    });

    test('gives two Events about the same object different names', async () => {
      // Prepare
      const regarding = workflowKey('twice');
      // Act
      await kube.recordEvent({ regarding, type: 'Normal', reason: 'One', message: 'one' });
      await kube.recordEvent({ regarding, type: 'Normal', reason: 'Two', message: 'two' });
      // Assess
      const events = (await kube.list('v1', 'Event', { namespace: 'default' })).filter((e) => (e.involvedObject as { name?: string }).name === 'twice');
      assert.deepEqual(events.map((e) => e.reason).sort(), ['One', 'Two']);
    });
  });

  test('an unreachable server fails with 503 ServiceUnavailable naming the request and the cause', async () => {
    // Prepare
    const kc = new KubeConfig();
    kc.loadFromClusterAndUser({ name: 'gone', server: 'https://127.0.0.1:9', skipTLSVerify: false }, { name: 'nobody' });
    const offline = createKube(kc);
    // Act
    const error = await rejection(() => offline.get(configMapKey('x')));
    // Assess
    assertApiError(error, { code: 503, reason: 'ServiceUnavailable', message: /^discover v1 ConfigMap: no answer from the API server: .*ECONNREFUSED/ });
  });

  test('a server stopped after discovery fails with 503 on the next request, naming the object', async () => {
    // Prepare
    const doomed = await startLocalApiServer();
    const client = createKube(doomed.kubeConfig);
    await client.get(configMapKey('warm-up'));
    await doomed.dispose();
    // Act
    const error = await rejection(() => client.get(configMapKey('after-stop')));
    // Assess
    assertApiError(error, { code: 503, reason: 'ServiceUnavailable', message: /^get ConfigMap default\/after-stop: no answer from the API server: / });
  });
});

describe('loadKubeConfig', () => {
  const saved = { ...process.env };
  const restore = (): void => {
    for (const name of ['KUBECONFIG', 'KUBERNETES_SERVICE_HOST', 'KUBERNETES_SERVICE_PORT']) {
      if (saved[name] === undefined) Reflect.deleteProperty(process.env, name);
      else process.env[name] = saved[name];
    }
  };

  test('reads the file KUBECONFIG names', async () => {
    // Prepare
    const local = await startLocalApiServer();
    try {
      process.env.KUBECONFIG = local.server.kubeconfigPath;
      process.env.KUBERNETES_SERVICE_HOST = '10.0.0.1';
      // Act
      const kc = loadKubeConfig();
      // Assess
      assert.equal(kc.getCurrentCluster()?.server, local.server.secureUrl);
      assert.equal(await createKube(kc).get(configMapKey('nothing')), undefined);
    } finally {
      restore();
      await local.dispose();
    }
  });

  test('uses the in-cluster service account when KUBERNETES_SERVICE_HOST is set and KUBECONFIG is not', () => {
    // Prepare
    Reflect.deleteProperty(process.env, 'KUBECONFIG');
    process.env.KUBERNETES_SERVICE_HOST = '10.96.0.1';
    process.env.KUBERNETES_SERVICE_PORT = '443';
    try {
      // Act
      const kc = loadKubeConfig();
      // Assess
      assert.equal(kc.getCurrentCluster()?.server, 'https://10.96.0.1:443');
      assert.equal(kc.getCurrentCluster()?.caFile, '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt');
    } finally {
      restore();
    }
  });
});

const KUBECONFIG_PATH = '/home/sre/.kube/config';
/** TLS material as text, to compare (the kubeconfig hands Buffers). */
const asText = (material: unknown): unknown => (Buffer.isBuffer(material) ? material.toString('utf8') : material);

/** A kubeconfig text: one cluster and one context per user given, `current-context` the first. */
function kubeconfigText(
  users: Array<{ name: string; user: Record<string, unknown>; namespace?: string }>,
  cluster: Record<string, unknown> = { server: 'https://k8s.example:6443' },
): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster }],
    users: users.map(({ name, user }) => ({ name, user })),
    contexts: users.map(({ name, namespace }) => ({ name: `ctx-${name}`, context: { cluster: 'c', user: name, namespace } })),
    'current-context': `ctx-${users[0]?.name ?? ''}`,
  });
}

describe('parseKubeConfig', () => {
  test('uses the current context unless one is given, with its namespace', () => {
    // Prepare
    const text = kubeconfigText([
      { name: 'first', user: { token: 'a' }, namespace: 'ops' },
      { name: 'second', user: { token: 'b' }, namespace: 'dr' },
    ]);
    const cases = [
      { context: undefined, expected: { context: 'ctx-first', namespace: 'ops' } },
      { context: 'ctx-second', expected: { context: 'ctx-second', namespace: 'dr' } },
    ];
    for (const { context, expected } of cases) {
      // Act
      const kc = parseKubeConfig(text, { path: KUBECONFIG_PATH, context });
      // Assess
      assert.deepEqual({ context: kc.getCurrentContext(), namespace: kc.getContextObject(kc.getCurrentContext())?.namespace }, expected);
    }
  });

  test('refuses a context it does not have, naming it and the file', () => {
    const text = kubeconfigText([{ name: 'first', user: { token: 'a' } }]);
    assert.throws(() => parseKubeConfig(text, { path: KUBECONFIG_PATH, context: 'ctx-nowhere' }), {
      message: '/home/sre/.kube/config: no context named "ctx-nowhere"',
    });
  });

  test('refuses a user that authenticates with a plugin, naming the user and the plugin', () => {
    const cases = [
      { user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'aws' } }, plugin: 'an exec plugin' },
      { user: { 'auth-provider': { name: 'gcp' } }, plugin: 'an auth-provider plugin' },
    ];
    for (const { user, plugin } of cases) {
      assert.throws(() => parseKubeConfig(kubeconfigText([{ name: 'eks-admin', user }]), { path: KUBECONFIG_PATH }), {
        message: `/home/sre/.kube/config: user "eks-admin" authenticates with ${plugin}, which the drplan functions do not run; give it a token, tokenFile or client certificate instead`,
      });
    }
  });

  test('accepts a file whose plugin users are not the current context', () => {
    // Prepare
    const text = kubeconfigText([
      { name: 'robot', user: { token: 'a' } },
      { name: 'human', user: { exec: { command: 'login' } } },
    ]);
    // Act
    const kc = parseKubeConfig(text, { path: KUBECONFIG_PATH });
    // Assess
    assert.equal(kc.getCurrentUser()?.name, 'robot');
  });

  test('refuses an invalid file naming the field', () => {
    const text = JSON.stringify({ clusters: [{ name: 'c', cluster: { 'insecure-skip-tls-verify': true } }] });
    assert.throws(() => parseKubeConfig(text, { path: KUBECONFIG_PATH }), {
      message: /^\/home\/sre\/\.kube\/config: not a valid kubeconfig: clusters\.0\.cluster\.server: /,
    });
  });

  test('decodes inline certificates, keeps TLS checks unless told otherwise, and sends the token', async () => {
    // Prepare
    const data = (text: string): string => Buffer.from(text).toString('base64');
    const user = { token: 'secret', 'client-certificate-data': data('CERT'), 'client-key-data': data('KEY') };
    const cases = [
      { cluster: { server: 'https://a', 'certificate-authority-data': data('CA') }, rejectUnauthorized: undefined },
      { cluster: { server: 'https://a', 'insecure-skip-tls-verify': true }, rejectUnauthorized: false },
    ];
    for (const { cluster, rejectUnauthorized } of cases) {
      const kc = parseKubeConfig(kubeconfigText([{ name: 'u', user }], cluster), { path: KUBECONFIG_PATH });
      const options: RequestOptions = {};
      // Act
      await kc.applyToHTTPSOptions(options);
      // Assess
      assert.equal(options.rejectUnauthorized, rejectUnauthorized);
      assert.equal(asText(options.ca), 'certificate-authority-data' in cluster ? 'CA' : undefined);
      assert.deepEqual([asText(options.cert), asText(options.key), headerRecord(options.headers).Authorization], ['CERT', 'KEY', 'Bearer secret']);
    }
  });

  test('reads certificate files relative to the kubeconfig file', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'drplan-kubeconfig-'));
    try {
      writeFileSync(join(dir, 'client.crt'), 'CERT FROM FILE');
      const kc = parseKubeConfig(kubeconfigText([{ name: 'u', user: { 'client-certificate': 'client.crt' } }]), { path: join(dir, 'config') });
      const options: RequestOptions = {};
      // Act
      await kc.applyToHTTPSOptions(options);
      // Assess
      assert.equal(asText(options.cert), 'CERT FROM FILE');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('reads a token file again once it is a minute old, not before', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'drplan-kubeconfig-'));
    let now = 0;
    try {
      writeFileSync(join(dir, 'token'), 'first\n');
      const kc = parseKubeConfig(kubeconfigText([{ name: 'u', user: { tokenFile: 'token' } }]), { path: join(dir, 'config'), now: () => now });
      const authorization = async (): Promise<unknown> => {
        const options: RequestOptions = {};
        await kc.applyToHTTPSOptions(options);
        return headerRecord(options.headers).Authorization;
      };
      const seen = [await authorization()];
      writeFileSync(join(dir, 'token'), 'rotated\n');
      // Act
      now = TOKEN_REREAD_MS - 1;
      seen.push(await authorization());
      now = TOKEN_REREAD_MS;
      seen.push(await authorization());
      // Assess
      assert.deepEqual(seen, ['Bearer first', 'Bearer first', 'Bearer rotated']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('loadKubeConfig with a KUBECONFIG list', () => {
  test('reads the first file of the list that exists', () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'drplan-kubeconfig-'));
    try {
      writeFileSync(join(dir, 'second'), kubeconfigText([{ name: 'second', user: { token: 't' } }], { server: 'https://second:6443' }));
      // Act
      const kc = loadKubeConfig({ KUBECONFIG: [join(dir, 'missing'), join(dir, 'second')].join(delimiter), KUBERNETES_SERVICE_HOST: '10.0.0.1' });
      // Assess
      assert.equal(kc.getCurrentCluster()?.server, 'https://second:6443');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('refuses a KUBECONFIG file that cannot be read, naming it', () => {
    assert.throws(() => loadKubeConfig({ KUBECONFIG: '/nonexistent/kubeconfig' }), { message: 'kubeconfig /nonexistent/kubeconfig cannot be read' });
  });
});

describe('the Kubernetes client with its own kubeconfig', () => {
  let local: LocalApiServer;
  before(async () => {
    local = await startLocalApiServer();
  });
  after(async () => {
    await local.dispose();
  });

  const clientWith = (user: Record<string, unknown>, cluster: Record<string, unknown>): Kube =>
    createKube(parseKubeConfig(kubeconfigText([{ name: 'u', user, namespace: 'default' }], cluster), { path: KUBECONFIG_PATH }));
  const trusted = (): Record<string, unknown> => ({
    server: local.server.secureUrl,
    'certificate-authority-data': Buffer.from(local.server.caCertificate).toString('base64'),
  });

  test('reads through TLS with the CA and token of the kubeconfig', async () => {
    const found = await clientWith({ token: local.server.token }, trusted()).get(configMapKey('never-there'));
    assert.equal(found, undefined);
  });

  test('a wrong token fails with 401 Unauthorized naming the request', async () => {
    const error = await rejection(() => clientWith({ token: 'wrong' }, trusted()).get(configMapKey('x')));
    assertApiError(error, { code: 401, reason: 'Unauthorized', message: /^discover v1 ConfigMap: / });
  });

  test('a server whose certificate the kubeconfig does not trust fails with 503 naming the request', async () => {
    const error = await rejection(() => clientWith({ token: local.server.token }, { server: local.server.secureUrl }).get(configMapKey('x')));
    assertApiError(error, { code: 503, reason: 'ServiceUnavailable', message: /^discover v1 ConfigMap: no answer from the API server: .*certificate/ });
  });
});

describe('request timeout', () => {
  let silent: Server;
  const sockets: Socket[] = [];
  before(async () => {
    silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  test('a server that never answers fails with 503 once the timeout passes, naming the request', async () => {
    // Prepare
    const address = silent.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const kc = parseKubeConfig(kubeconfigText([{ name: 'u', user: {} }], { server: `http://127.0.0.1:${port}` }), { path: KUBECONFIG_PATH });
    const client = createKube(kc, { timeoutMs: 100 });
    // Act
    const error = await rejection(() => client.get(configMapKey('x')));
    // Assess
    assertApiError(error, {
      code: 503,
      reason: 'ServiceUnavailable',
      message: /^discover v1 ConfigMap: no answer from the API server: no answer within 100 ms$/,
    });
  });
});

describe('discovery', () => {
  /** A RestClient that serves one discovery document per call, in order, and records the paths asked. */
  function scriptedRest(answers: unknown[]): RestClient & { asked: string[] } {
    const asked: string[] = [];
    return {
      namespace: 'default',
      asked,
      send(request: JsonRequest) {
        asked.push(request.path);
        const answer = answers[Math.min(asked.length, answers.length) - 1];
        if (answer instanceof Error) return Promise.reject(answer);
        return Promise.resolve(answer);
      },
    };
  }
  const resources = (...kinds: string[]) => ({
    kind: 'APIResourceList',
    resources: kinds.flatMap((kind) => [
      { name: `${kind.toLowerCase()}s`, kind, namespaced: true },
      { name: `${kind.toLowerCase()}s/status`, kind, namespaced: true },
    ]),
  });

  test('asks each API version once and answers later lookups from the cache', async () => {
    // Prepare
    const rest = scriptedRest([resources('DRPlan', 'DRWorkflow')]);
    const discovery = createDiscovery(rest);
    // Act
    const first = await discovery.describe('dr.bkbcs.tencent.com/v1alpha1', 'DRPlan');
    const second = await discovery.describe('dr.bkbcs.tencent.com/v1alpha1', 'DRWorkflow');
    // Assess
    assert.deepEqual(first, { base: '/apis/dr.bkbcs.tencent.com/v1alpha1', plural: 'drplans', namespaced: true });
    assert.equal(second?.plural, 'drworkflows');
    assert.deepEqual(rest.asked, ['/apis/dr.bkbcs.tencent.com/v1alpha1']);
  });

  test('asks again once when the cached answer lacks the kind (a CRD installed since)', async () => {
    // Prepare
    const rest = scriptedRest([resources('DRPlan'), resources('DRPlan', 'DRPlanExecution')]);
    const discovery = createDiscovery(rest);
    await discovery.describe('dr.bkbcs.tencent.com/v1alpha1', 'DRPlan');
    // Act
    const found = await discovery.describe('dr.bkbcs.tencent.com/v1alpha1', 'DRPlanExecution');
    // Assess
    assert.equal(found?.plural, 'drplanexecutions');
    assert.equal(rest.asked.length, 2);
  });

  test('an API version the server does not serve is undefined, not an error', async () => {
    const rest = scriptedRest([new KubeApiError({ code: 404, reason: 'NotFound', message: 'discover example.com/v1 Thing: not found' })]);
    assert.equal(await createDiscovery(rest).describe('example.com/v1', 'Thing'), undefined);
  });

  test('a failed discovery is not cached: the next lookup asks again', async () => {
    // Prepare
    const rest = scriptedRest([new KubeApiError({ code: 503, reason: 'ServiceUnavailable', message: 'down' }), resources('ConfigMap')]);
    const discovery = createDiscovery(rest);
    const error = await rejection(() => discovery.describe('v1', 'ConfigMap'));
    // Act
    const found = await discovery.describe('v1', 'ConfigMap');
    // Assess
    assertApiError(error, { code: 503, reason: 'ServiceUnavailable', message: /^down$/ });
    assert.deepEqual(found, { base: '/api/v1', plural: 'configmaps', namespaced: true });
  });
});
