/**
 * The whole local stack on the fixture manifests and the fixture function (never the six DR
 * functions): events go through the real ingress, the triggers of test/fixtures/knative, real
 * faas-js-runtime processes, and back.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { reconcileIntervalSeconds, startDevStack, type DevStack } from '../../local/dev.js';
import type { AcceptedRecord, DeliveryRecord, SunkRecord } from '../../local/eventing/event-log.js';
import { FIXTURE_FUNCTIONS, FIXTURE_MANIFESTS, NAMESPACE, manifestsOf, send, tempDir, waitFor } from './helpers.js';

interface Recorded {
  pid: number;
  type: string;
  source: string;
  id: string;
  data: unknown;
  env: Record<string, string | undefined>;
  attributes: Record<string, unknown>;
}

describe('the local stack on the fixture manifests', () => {
  const state = tempDir('dev-state');
  const records = tempDir('dev-records');
  const log: string[] = [];
  let stack: DevStack;
  let broker = '';

  const recorded = (service: string): Recorded[] => {
    const path = join(records.path, `${service}.jsonl`);
    return existsSync(path)
      ? readFileSync(path, 'utf8')
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => JSON.parse(l) as Recorded)
      : [];
  };
  const start = (): Promise<DevStack> =>
    startDevStack({
      stateDir: state.path,
      manifestsDir: FIXTURE_MANIFESTS,
      bundlesDir: FIXTURE_FUNCTIONS,
      jobController: false,
      tickSeconds: 1,
      extraEnv: { RECORD_DIR: records.path },
      log: (line) => log.push(line),
    });
  const kube = async (method: string, path: string, body?: unknown): Promise<number> => {
    const response = await fetch(`${stack.apiServer.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${stack.apiServer.token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    await response.arrayBuffer();
    return response.status;
  };

  before(async () => {
    stack = await start();
    broker = stack.brokers[`${NAMESPACE}/events`] ?? '';
  });
  after(async () => {
    await stack.stop();
    state.remove();
    records.remove();
  });

  it('routes by the triggers: the prefix filter picks the replier, the reply reaches the recorder', async () => {
    // Act
    await send(broker, { type: 'com.example.fixture.created', source: '/fixtures/tests/a' });
    await send(broker, { type: 'com.example.fixture.created', source: '/elsewhere' });
    await waitFor('the reply to be recorded', () => (recorded('recorder').some((r) => r.type === 'com.example.fixture.replied') ? true : undefined));
    await stack.eventing.idle();

    // Assess (the resync ticks the recorder also gets are left aside)
    assert.deepEqual(
      recorded('replier').map((r) => r.source),
      ['/fixtures/tests/a'],
    );
    const fixtureTypes = recorded('recorder')
      .map((r) => r.type)
      .filter((type) => type.startsWith('com.example.'));
    assert.deepEqual(fixtureTypes.sort(), ['com.example.fixture.created', 'com.example.fixture.created', 'com.example.fixture.replied']);
    assert.equal(recorded('recorder').find((r) => r.type === 'com.example.fixture.replied')?.source, '/fixtures/replier');
  });

  it('runs the functions with their Service env, the local kubeconfig and the broker as K_SINK', () => {
    // Act
    const [first] = recorded('recorder');

    // Assess
    assert.deepEqual(first?.env, { LOG_LEVEL: 'warn', K_SERVICE: 'recorder', K_SINK: broker, BROKER_URL: broker, KUBECONFIG: stack.kubeconfigPath });
  });

  it("cuts the looper's reply loop at the hop limit", async () => {
    // Act
    await send(broker, { type: 'com.example.fixture.loop', knativebrokerttl: '4' });
    await waitFor('the drop', () => (stack.eventing.eventLog.records().some((r) => r.record === 'dropped') ? true : undefined));
    await stack.eventing.idle();

    // Assess
    assert.equal(recorded('looper').length, 3);
  });

  it('retries a delivery whose function process crashed, and the process comes back', async () => {
    // Act
    await send(broker, { type: 'com.example.fixture.work' });
    const outcome = await waitFor(
      'the work to be delivered',
      () => stack.eventing.eventLog.records().find((r): r is DeliveryRecord => r.record === 'delivery' && r.trigger === `${NAMESPACE}/flaky-work`),
      20_000,
    );
    await waitFor('the crashed replica back', () => (stack.host.replicas(NAMESPACE, 'flaky').every((r) => r.ready) ? true : undefined), 20_000);

    // Assess
    const deliveries = recorded('flaky');
    assert.equal(outcome.outcome, 'delivered');
    assert.ok(outcome.attempts >= 2, `attempts: ${outcome.attempts}`);
    assert.equal(deliveries.length, outcome.attempts);
    assert.equal(new Set(deliveries.map((d) => d.id)).size, 1);
    assert.notEqual(deliveries[0]?.pid, deliveries.at(-1)?.pid);
    assert.equal(
      stack.host.replicas(NAMESPACE, 'flaky').reduce((sum, r) => sum + r.restarts, 0),
      1,
    );
  });

  it('sends what a function keeps failing to the dead-letter sink, played by a stand-in', async () => {
    // Act
    await send(broker, { type: 'com.example.fixture.doomed' });
    const letter = await waitFor('the dead letter', () => stack.eventing.eventLog.records().find((r): r is SunkRecord => r.record === 'sunk'), 20_000);

    // Assess: the broker's delivery spec says 4 retries
    assert.deepEqual(stack.standIns, [`${NAMESPACE}/dead-letter`]);
    assert.equal(letter.sink, `${NAMESPACE}/dead-letter`);
    assert.equal(letter.event.knativeerrorcode, '500');
    assert.equal(recorded('failing').length, 5);
  });

  it('turns ConfigMaps created in its namespace into ApiServerSource events for the recorder', async () => {
    // Act
    assert.equal(await kube('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } }), 201);
    const configMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'watched', namespace: NAMESPACE, labels: { app: 'fixture' } },
      data: { a: '1' },
    };
    assert.equal(await kube('POST', `/api/v1/namespaces/${NAMESPACE}/configmaps`, configMap), 201);
    const event = await waitFor('the ConfigMap event', () => recorded('recorder').find((r) => r.type === 'dev.knative.apiserver.resource.add'));

    // Assess
    assert.equal(event.source, stack.apiServer.secureUrl);
    assert.equal(event.attributes.subject, `/apis/v1/namespaces/${NAMESPACE}/configmaps/watched`);
    assert.deepEqual([event.attributes.kind, event.attributes.name, event.attributes.apiversion], ['ConfigMap', 'watched', 'v1']);
  });

  it('fires the PingSource every tick-seconds with its data', async () => {
    // Act
    const pings = await waitFor(
      'two ticks',
      () => {
        const found = recorded('recorder').filter((r) => r.type === 'dev.knative.sources.ping');
        return found.length >= 2 ? found : undefined;
      },
      10_000,
    );

    // Assess
    assert.equal(pings[0]?.source, `/apis/v1/namespaces/${NAMESPACE}/pingsources/tick`);
    assert.deepEqual(pings[0].data, { reason: 'resync' });
  });

  it('keeps the objects and the event log across a restart', async () => {
    // Prepare
    const before = stack.eventing.eventLog.records().length;
    await stack.stop();

    // Act
    stack = await start();
    broker = stack.brokers[`${NAMESPACE}/events`] ?? '';
    const status = await kube('GET', `/api/v1/namespaces/${NAMESPACE}/configmaps/watched`);
    await send(broker, { type: 'com.example.fixture.created', source: '/after-restart' });
    const accepted = await waitFor('the new event in the log', () =>
      stack.eventing.eventLog.records().find((r): r is AcceptedRecord => r.record === 'accepted' && r.event.source === '/after-restart'),
    );

    // Assess
    assert.equal(status, 200);
    assert.ok(accepted.seq > before, `seq ${accepted.seq} after ${before} records`);
  });
});

describe('the local resync tick period', () => {
  const service = (name: string, interval?: string): Record<string, unknown> => ({
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name, namespace: NAMESPACE },
    spec: { template: { spec: { containers: [{ image: 'x', env: interval === undefined ? [] : [{ name: 'RECONCILE_INTERVAL', value: interval }] }] } } },
  });
  const cases: { name: string; services: Record<string, unknown>[]; seconds: number | undefined }[] = [
    { name: 'the RECONCILE_INTERVAL the Services share', services: [service('a', '30s'), service('b', '30s'), service('c')], seconds: 30 },
    { name: 'none when the Services disagree', services: [service('a', '30s'), service('b', '1m')], seconds: undefined },
    { name: 'none when no Service sets it', services: [service('a')], seconds: undefined },
    { name: 'none when it is not a duration', services: [service('a', 'often')], seconds: undefined },
  ];
  for (const { name, services, seconds } of cases) {
    it(`is ${name}`, () => {
      // Act
      const result = reconcileIntervalSeconds(manifestsOf(services));

      // Assess
      assert.equal(result, seconds);
    });
  }
});
