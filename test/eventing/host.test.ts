import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort, startFunctionHost, type FunctionHost } from '../../local/host/index.js';
import { Replica } from '../../local/host/replica.js';
import { envOf, findBundle, replicasOf } from '../../local/host/service-spec.js';
import { loadKnativeManifests } from '../../local/eventing/manifests.js';
import { FIXTURE_FUNCTIONS, FIXTURE_MANIFESTS, send, tempDir, waitFor } from './helpers.js';

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const RECORDER = join(FIXTURE_FUNCTIONS, 'recorder', 'index.mjs');

interface Recorded {
  pid: number;
  type: string;
  env: Record<string, string | undefined>;
}

function recorded(dir: string, service: string): Recorded[] {
  const path = join(dir, `${service}.jsonl`);
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Recorded);
}

async function host(name: string, replicas: number, env: Record<string, string> = {}): Promise<{ host: FunctionHost; records: string; warnings: string[] }> {
  const records = tempDir('host');
  cleanups.push(records.remove);
  const warnings: string[] = [];
  const started = await startFunctionHost({
    functions: [{ namespace: 'eventing-test', name, entry: RECORDER, env, replicas }],
    commonEnv: { RECORD_DIR: records.path },
    warn: (line) => warnings.push(line),
  });
  cleanups.push(() => started.stop());
  assert.deepEqual(await started.ready(20_000), []);
  return { host: started, records: records.path, warnings };
}

describe('the function host', () => {
  it('runs each replica in its own process and spreads requests across them in turn', async () => {
    // Prepare
    const { host: running, records } = await host('recorder', 2);
    const url = running.serviceUrl('eventing-test', 'recorder') ?? '';

    // Act
    for (let n = 0; n < 4; n += 1) assert.equal((await send(url, { type: 'com.example.created' })).status, 204);

    // Assess
    const pids = recorded(records, 'recorder').map((r) => r.pid);
    const replicaPids = running.replicas('eventing-test', 'recorder').map((r) => r.pid);
    assert.equal(new Set(replicaPids).size, 2);
    assert.deepEqual(pids, [replicaPids[0], replicaPids[1], replicaPids[0], replicaPids[1]]);
  });

  it("gives each process the env of its Service and its Knative variables, and none of the host's cluster settings", async () => {
    // Prepare
    const saved = process.env.KUBECONFIG;
    process.env.KUBECONFIG = '/host/kubeconfig';
    const { host: running, records } = await host('with-env', 1, { LOG_LEVEL: 'debug' });
    if (saved === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = saved;

    // Act
    await send(running.serviceUrl('eventing-test', 'with-env') ?? '', { type: 'com.example.created' });

    // Assess
    assert.deepEqual(recorded(records, 'with-env')[0]?.env, { LOG_LEVEL: 'debug', K_SERVICE: 'with-env' });
  });

  it("passes a function's 413 for a body over its limit through as 413 (not a 502 the broker would retry)", async () => {
    // Act
    const { host: running } = await host('too-big', 1);
    const answer = await send(running.serviceUrl('eventing-test', 'too-big') ?? '', { type: 'com.example.created' }, { blob: 'x'.repeat(4 * 1024 * 1024) });

    // Assess
    assert.equal(answer.status, 413, answer.text);
  });

  it('makes each function listen on loopback only (faas-js-runtime alone binds every interface)', async () => {
    // Act
    const { host: running } = await host('loopback', 1);

    // Assess
    assert.deepEqual(
      running.replicas('eventing-test', 'loopback').map((r) => r.address),
      ['127.0.0.1'],
    );
  });

  it('restarts a killed process, which is ready and serving again', async () => {
    // Prepare
    const { host: running, warnings } = await host('killed', 1);
    const [before] = running.replicas('eventing-test', 'killed');
    assert.ok(before?.pid !== undefined);

    // Act
    process.kill(before.pid, 'SIGKILL');
    const after = await waitFor(
      'the restarted replica',
      () => {
        const [replica] = running.replicas('eventing-test', 'killed');
        return replica?.ready === true && replica.pid !== before.pid ? replica : undefined;
      },
      20_000,
    );

    // Assess
    assert.equal(after.restarts, 1);
    assert.equal((await send(running.serviceUrl('eventing-test', 'killed') ?? '', { type: 'com.example.created' })).status, 204);
    assert.ok(
      warnings.some((line) => line.startsWith('function eventing-test/killed#1 exited (SIGKILL); restarting in 200 ms')),
      warnings.join('\n'),
    );
  });
  it('does not take another process answering on its port for its own: it starts again on a new port', async () => {
    // Prepare: another process's server holds the port the replica is given, and answers every probe
    const impostor = createServer((_request, response) => response.writeHead(200).end('OK'));
    await new Promise<void>((resolve) => impostor.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => impostor.close(resolve)));
    const held = (impostor.address() as AddressInfo).port;
    const records = tempDir('host');
    cleanups.push(records.remove);
    const warnings: string[] = [];
    const replica = new Replica({
      label: 'eventing-test/held#1',
      entry: RECORDER,
      port: held,
      choosePort: freePort,
      env: { ...process.env, RECORD_DIR: records.path, K_SERVICE: 'held' },
      warn: (line) => warnings.push(line),
    });
    cleanups.push(() => replica.stop());

    // Act
    replica.start();
    await Promise.race([replica.whenReady(), new Promise((resolve) => setTimeout(resolve, 20_000))]);

    // Assess
    assert.equal(replica.isReady(), true, warnings.join('\n'));
    assert.notEqual(replica.url, `http://127.0.0.1:${held}`);
    assert.equal((await send(replica.url, { type: 'com.example.created' })).status, 204);
    assert.deepEqual(
      recorded(records.path, 'held').map((r) => r.pid),
      [replica.status().pid],
    );
  });

  it('answers 503 when no replica gets ready in time, says which replica and why, and backs off its restarts', async () => {
    // Prepare
    const warnings: string[] = [];
    const broken = await startFunctionHost({
      functions: [{ namespace: 'eventing-test', name: 'broken', entry: join(FIXTURE_FUNCTIONS, 'broken', 'index.mjs'), env: {}, replicas: 1 }],
      warn: (line) => warnings.push(line),
      activationTimeoutMs: 300,
    });
    cleanups.push(() => broken.stop());

    // Act
    const notReady = await broken.ready(1500);
    const answer = await send(broken.serviceUrl('eventing-test', 'broken') ?? '', { type: 'com.example.created' });

    // Assess
    assert.equal(answer.status, 503);
    assert.deepEqual(notReady, ['eventing-test/broken#1: TypeError: Function must export a handle function']);
    assert.deepEqual(
      warnings.slice(0, 2),
      [200, 400].map(
        (ms) => `function eventing-test/broken#1 exited (code 1); restarting in ${ms} ms; last output: TypeError: Function must export a handle function`,
      ),
    );
  });
});

describe('reading a Knative Service for the host', () => {
  const services = loadKnativeManifests(FIXTURE_MANIFESTS).services;
  const service = (name: string): (typeof services)[number] => {
    const found = services.find((s) => s.name === name);
    assert.ok(found !== undefined);
    return found;
  };

  it('finds the bundle by the function label, and none for an image it does not have', () => {
    // Act
    const recorder = findBundle(service('replier').object, FIXTURE_FUNCTIONS);
    const display = findBundle(service('dead-letter').object, FIXTURE_FUNCTIONS);

    // Assess
    assert.equal(recorder, RECORDER);
    assert.equal(display, undefined);
  });

  it('takes the replica count from min-scale, at least one', () => {
    // Act
    const counts = ['recorder', 'flaky'].map((name) => replicasOf(service(name).object));

    // Assess
    assert.deepEqual(counts, [1, 2]);
  });

  it('takes env values, the pod namespace from valueFrom, and names what it cannot resolve', () => {
    // Prepare
    const located = { ...service('recorder'), object: structuredClone(service('recorder').object) };
    const container = located.object.spec.template.spec.containers[0];
    assert.ok(container !== undefined);
    container.env = [
      { name: 'A', value: '1' },
      { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'SECRET', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
    ];

    // Act
    const { env, skipped } = envOf(located);

    // Assess
    assert.deepEqual(env, { A: '1', NS: 'eventing-test' });
    assert.deepEqual(skipped, ['SECRET']);
  });
});
