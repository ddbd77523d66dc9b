import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { startApiServer, type ApiServer } from '../../local/apiserver/index.js';
import { startApiServerSources, type ApiServerSources } from '../../local/eventing/apiserver-source.js';
import { kubeTransport } from '../../local/eventing/kube-transport.js';
import { freePort } from '../../local/host/index.js';
import { manifestsOf, startSubscriber, tempDir, waitFor, type Json, type Subscriber } from './helpers.js';

const NS = 'eventing-test';

/** Everything started is stopped, and every folder removed, even when a test fails half-way. */
const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function source(name: string, spec: Json, sinkUrl: string): Json {
  return {
    apiVersion: 'sources.knative.dev/v1',
    kind: 'ApiServerSource',
    metadata: { name, namespace: NS },
    spec: { mode: 'Resource', sink: { uri: sinkUrl }, ...spec },
  };
}

const configMap = (name: string, namespace: string, labels: Record<string, string> = { app: 'fixture' }, data: Record<string, string> = {}): Json => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace, labels },
  data,
});

/** The collection path of an object (`/api/v1/namespaces/ns/configmaps`), and the object's own path. */
function pathsOf(object: Json): { collection: string; item: string } {
  const { name, namespace } = object.metadata as { name: string; namespace?: string };
  const apiVersion = String(object.apiVersion);
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  const plural = `${String(object.kind).toLowerCase()}s`;
  const collection = namespace === undefined ? `${base}/${plural}` : `${base}/namespaces/${namespace}/${plural}`;
  return { collection, item: `${collection}/${name}` };
}

/** One REST call over a fresh connection (a pooled one could point at a server that was restarted). */
function rest(server: ApiServer, call: { method: string; path: string; body?: Json; contentType?: string }): Promise<void> {
  const { method, path, body, contentType = 'application/json' } = call;
  return new Promise((resolve, reject) => {
    const outgoing = request(
      `${server.url}${path}`,
      { method, agent: false, headers: { authorization: `Bearer ${server.token}`, 'content-type': contentType } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve();
          else reject(new Error(`${method} ${path}: HTTP ${status} ${Buffer.concat(chunks).toString('utf8')}`));
        });
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** Plain REST calls to the API server (what kubectl does), without a typed client. */
function restClient(server: ApiServer): { create(object: Json): Promise<void>; patch(object: Json): Promise<void>; delete(object: Json): Promise<void> } {
  return {
    create: (object) => rest(server, { method: 'POST', path: pathsOf(object).collection, body: object }),
    patch: (object) => rest(server, { method: 'PATCH', path: pathsOf(object).item, body: object, contentType: 'application/merge-patch+json' }),
    delete: (object) => rest(server, { method: 'DELETE', path: pathsOf(object).item }),
  };
}

interface World {
  server: ApiServer;
  kubeConfig: KubeConfig;
  client: ReturnType<typeof restClient>;
  stateDir: string;
}

async function world(options: { port?: number; token?: string; stateDir?: string } = {}): Promise<World> {
  let dir = options.stateDir;
  if (dir === undefined) {
    const created = tempDir('apiserver-source');
    cleanups.push(created.remove);
    dir = created.path;
  }
  const server = await startApiServer({ stateDir: dir, port: options.port ?? 0, token: options.token, jobController: false });
  cleanups.push(() => server.stop());
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(server.kubeconfigPath);
  return { server, kubeConfig, client: restClient(server), stateDir: dir };
}

async function watch(w: World, sources: Json[], warnings: string[] = [], retryDelayMs?: number): Promise<ApiServerSources> {
  const started = await startApiServerSources({
    sources: manifestsOf(sources).apiServerSources,
    transport: kubeTransport(w.kubeConfig),
    sinkOf: (s) => String(s.object.spec.sink.uri),
    warn: (line) => warnings.push(line),
    retryDelayMs,
  });
  cleanups.push(() => started.stop());
  return started;
}

async function sinkServer(): Promise<Subscriber> {
  const started = await startSubscriber();
  cleanups.push(() => started.close());
  return started;
}

describe('ApiServerSource against a real local API server', () => {
  let w: World;
  let sink: Subscriber;
  before(async () => {
    w = await world();
    sink = await sinkServer();
    for (const [name, labels] of [
      [NS, {}],
      ['elsewhere', { team: 'dr' }],
      ['other', { team: 'web' }],
    ] as const) {
      await w.client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
    }
  });

  it('emits add, update and delete exactly as Knative does, and nothing for objects that existed before', async () => {
    // Prepare
    await w.client.create(configMap('before', NS));
    sink.received.length = 0;
    const sources = await watch(w, [
      source('configmaps', { resources: [{ apiVersion: 'v1', kind: 'ConfigMap', selector: { matchLabels: { app: 'fixture' } } }] }, sink.url),
    ]);

    // Act
    await w.client.create(configMap('after', NS, { app: 'fixture' }, { v: '1' }));
    await w.client.patch(configMap('after', NS, { app: 'fixture' }, { v: '2' }));
    await w.client.delete(configMap('after', NS));
    await waitFor('three events', () => (sink.received.length >= 3 ? true : undefined));
    await sources.stop();

    // Assess
    const events = sink.received.map((r) => r.event);
    assert.deepEqual(
      events.map((e) => e.attributes.type),
      ['dev.knative.apiserver.resource.add', 'dev.knative.apiserver.resource.update', 'dev.knative.apiserver.resource.delete'],
    );
    for (const event of events) {
      assert.equal(event.attributes.source, w.server.secureUrl);
      assert.equal(event.attributes.subject, `/apis/v1/namespaces/${NS}/configmaps/after`);
      assert.deepEqual(
        [event.attributes.kind, event.attributes.name, event.attributes.namespace, event.attributes.apiversion],
        ['ConfigMap', 'after', NS, 'v1'],
      );
      assert.equal(event.attributes.datacontenttype, 'application/json');
    }
    assert.equal(new Set(events.map((e) => e.attributes.id)).size, 3);
    const data = events.map((e) => (e.data !== undefined && 'json' in e.data ? (e.data.json as { data?: { v?: string }; metadata?: { uid?: string } }) : {}));
    assert.deepEqual(
      data.map((d) => d.data?.v),
      ['1', '2', '2'],
    );
    assert.ok(
      data.every((d) => typeof d.metadata?.uid === 'string'),
      'data is the whole object',
    );
  });

  it('honours the label selector and, without a namespaceSelector, its own namespace only', async () => {
    // Prepare
    sink.received.length = 0;
    const sources = await watch(w, [
      source(
        'configmaps',
        { resources: [{ apiVersion: 'v1', kind: 'ConfigMap', selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['fixture'] }] } }] },
        sink.url,
      ),
    ]);

    // Act
    await w.client.create(configMap('unlabelled', NS, {}));
    await w.client.create(configMap('labelled-elsewhere', 'elsewhere'));
    await w.client.create(configMap('labelled', NS));
    // the last change of the watched stream: once its event is in, an event for any change before it would be too
    await w.client.create(configMap('labelled-last', NS));
    await waitFor('the last event', () => (sink.received.some((r) => r.event.attributes.name === 'labelled-last') ? true : undefined));
    await sources.stop();

    // Assess
    assert.deepEqual(
      sink.received.map((r) => `${r.event.attributes.namespace}/${r.event.attributes.name}`),
      [`${NS}/labelled`, `${NS}/labelled-last`],
    );
  });

  it('watches the namespaces a namespaceSelector picks, and custom resources with their group in the subject', async () => {
    // Prepare
    sink.received.length = 0;
    const resources = [
      { apiVersion: 'v1', kind: 'ConfigMap' },
      { apiVersion: 'dr.bkbcs.tencent.com/v1alpha1', kind: 'DRWorkflow' },
    ];
    const sources = await watch(w, [source('team-dr', { resources, namespaceSelector: { matchLabels: { team: 'dr' } } }, sink.url)]);
    const workflow = {
      apiVersion: 'dr.bkbcs.tencent.com/v1alpha1',
      kind: 'DRWorkflow',
      metadata: { name: 'wf', namespace: 'elsewhere' },
      spec: { actions: [{ name: 'a', type: 'HTTP', http: { url: 'http://127.0.0.1:1/' } }] },
    };

    // Act
    await w.client.create(configMap('in-other', 'other'));
    await w.client.create(configMap('in-elsewhere', 'elsewhere'));
    await w.client.create(workflow);
    // the last ConfigMap change: once its event is in, one for the ConfigMap in the namespace not picked would be too
    await w.client.create(configMap('last', 'elsewhere'));
    const arrived = (name: string): boolean => sink.received.some((r) => r.event.attributes.name === name);
    await waitFor('the workflow and the last ConfigMap', () => (arrived('wf') && arrived('last') ? true : undefined));
    await sources.stop();

    // Assess
    assert.deepEqual(sink.received.map((r) => r.event.attributes.subject).sort(), [
      '/apis/dr.bkbcs.tencent.com/v1alpha1/namespaces/elsewhere/drworkflows/wf',
      '/apis/v1/namespaces/elsewhere/configmaps/in-elsewhere',
      '/apis/v1/namespaces/elsewhere/configmaps/last',
    ]);
    assert.ok(sink.received.some((r) => r.event.attributes.apiversion === 'dr.bkbcs.tencent.com/v1alpha1' && r.event.attributes.kind === 'DRWorkflow'));
  });

  it('sends Reference-mode events with a reference as data and the ceOverrides extensions', async () => {
    // Prepare
    sink.received.length = 0;
    const sources = await watch(w, [
      source('refs', { mode: 'Reference', resources: [{ apiVersion: 'v1', kind: 'ConfigMap' }], ceOverrides: { extensions: { team: 'dr' } } }, sink.url),
    ]);

    // Act
    await w.client.create(configMap('referenced', NS));
    await waitFor('one event', () => (sink.received.length >= 1 ? true : undefined));
    await sources.stop();

    // Assess
    const [event] = sink.received.map((r) => r.event);
    assert.equal(event?.attributes.type, 'dev.knative.apiserver.ref.add');
    assert.equal(event.attributes.team, 'dr');
    assert.deepEqual(event.data, { json: { kind: 'ConfigMap', namespace: NS, name: 'referenced', apiVersion: 'v1' } });
  });
});

describe('ApiServerSource when its watch breaks', () => {
  it('lists again, says what changed meanwhile without emitting it, and emits what follows', async () => {
    // Prepare
    const port = await freePort();
    const token = 'test-token';
    const first = await world({ port, token });
    await first.client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    await first.client.create(configMap('kept', NS));
    await first.client.create(configMap('removed', NS));
    const sink = await sinkServer();
    const warnings: string[] = [];
    const sources = await watch(first, [source('configmaps', { resources: [{ apiVersion: 'v1', kind: 'ConfigMap' }] }, sink.url)], warnings, 1500);

    // Act: the API server goes away; changes happen before the source lists again
    await first.server.stop();
    const second = await world({ port, token, stateDir: first.stateDir });
    await second.client.create(configMap('added-meanwhile', NS));
    await second.client.patch(configMap('kept', NS, { app: 'fixture' }, { v: 'changed' }));
    await second.client.delete(configMap('removed', NS));
    await waitFor('the relist', () => warnings.find((line) => line.includes('listed again')), 10_000);
    await second.client.create(configMap('added-after', NS));
    await waitFor('an event after the relist', () => (sink.received.length >= 1 ? true : undefined));
    await sources.stop();

    // Assess
    assert.deepEqual(
      sink.received.map((r) => `${r.event.attributes.type} ${r.event.attributes.name}`),
      ['dev.knative.apiserver.resource.add added-after'],
    );
    const relist = warnings.find((line) => line.includes('listed again')) ?? '';
    assert.match(relist, /1 added \(eventing-test\/added-meanwhile\), 1 updated \(eventing-test\/kept\), 1 deleted \(eventing-test\/removed\)/);
  });
});
