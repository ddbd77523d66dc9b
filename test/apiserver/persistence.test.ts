/** State survives a restart and a crash: objects, resourceVersions and uids, and the counter continues. */
/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment -- client-node's models are declared as classes, but its API takes plain objects (its serializer reads fields, not prototypes). */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { startApiServer } from '../../local/apiserver/index.js';
import { DR, drPlan, raw, startTestServer, testCrdDirs } from './helpers.js';

type Plan = { metadata: { uid: string; resourceVersion: string; generation: number }; spec: Record<string, unknown>; status?: Record<string, unknown> };

const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const plans = { ...DR, namespace: 'default', plural: 'drplans' };
const dirs: string[] = [];

function stateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'drplan-apiserver-state-'));
  dirs.push(dir);
  return dir;
}

/** A server in a child process (so that it can be killed mid-flight); resolves once it is listening. */
async function childServer(dir: string): Promise<{ url: string; token: string; kill: () => Promise<void> }> {
  const entry = fileURLToPath(new URL('../../local/apiserver/index.ts', import.meta.url));
  const script = `import { startApiServer } from ${JSON.stringify(entry)};
const s = await startApiServer({ stateDir: ${JSON.stringify(dir)}, crdDirs: ${JSON.stringify(testCrdDirs())}, jobController: false });
console.log(JSON.stringify({ url: s.url, token: s.token }));`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => {
      reject(new Error(`the server process exited with ${String(code)}`));
    });
  });
  const { url, token } = JSON.parse(line) as { url: string; token: string };
  return {
    url,
    token,
    kill: () =>
      new Promise((resolve) => {
        child.once('exit', () => {
          resolve();
        });
        child.kill('SIGKILL');
      }),
  };
}

describe('persistence', () => {
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  test('objects, resourceVersions and uids survive a restart, and the counter continues', async () => {
    // Prepare
    const dir = stateDir();
    const first = await startTestServer({ stateDir: dir });
    const custom = first.kubeConfig.makeApiClient(CustomObjectsApi);
    await custom.createNamespacedCustomObject({ ...plans, body: drPlan('kept') });
    const before = (await custom.patchNamespacedCustomObjectStatus({ ...plans, name: 'kept', body: { status: { phase: 'Ready' } } }, merge)) as Plan;
    await first.stop();
    // Act
    const second = await startTestServer({ stateDir: dir });
    const again = second.kubeConfig.makeApiClient(CustomObjectsApi);
    const after = (await again.getNamespacedCustomObject({ ...plans, name: 'kept' })) as Plan;
    const next = await second.kubeConfig.makeApiClient(CoreV1Api).createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'later' } } });
    await second.stop();
    // Assess
    assert.deepEqual(after, before);
    assert.equal(Number(next.metadata?.resourceVersion), Number(before.metadata.resourceVersion) + 1);
  });

  test('a deletion survives a restart', async () => {
    const dir = stateDir();
    const first = await startTestServer({ stateDir: dir });
    const core = first.kubeConfig.makeApiClient(CoreV1Api);
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'short-lived' } } });
    await core.deleteNamespacedConfigMap({ name: 'short-lived', namespace: 'default' });
    await first.stop();
    const second = await startTestServer({ stateDir: dir });
    const response = await raw(second.server, '/api/v1/namespaces/default/configmaps/short-lived');
    await second.stop();
    assert.equal(response.status, 404);
  });

  test('the log is replayed over the snapshot, and a torn last line (a crash mid-write) is ignored', async () => {
    // Prepare: what a crash leaves behind: a snapshot, then a log with one whole record and a torn one.
    const dir = stateDir();
    const first = await startTestServer({ stateDir: dir });
    await first.stop();
    const snapshot = JSON.parse(readFileSync(join(dir, 'snapshot.json'), 'utf8')) as { resourceVersion: number };
    const rv = snapshot.resourceVersion + 1;
    const object = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'from-log', namespace: 'default', uid: 'u-1', resourceVersion: String(rv) } };
    const whole = JSON.stringify({ rv, key: 'configmaps/default/from-log', object });
    writeFileSync(join(dir, 'wal.log'), `${whole}\n{"rv":${rv + 1},"key":"configmaps/default/torn","object":{"metad`);
    // Act
    const second = await startTestServer({ stateDir: dir });
    const replayed = await raw(second.server, '/api/v1/namespaces/default/configmaps/from-log');
    const torn = await raw(second.server, '/api/v1/namespaces/default/configmaps/torn');
    await second.stop();
    // Assess
    assert.deepEqual([replayed.status, torn.status], [200, 404]);
    assert.equal((replayed.json?.metadata as { uid: string }).uid, 'u-1');
  });

  test('a corrupt record with acknowledged ones after it stops the start, naming the file and the byte offset', async () => {
    // Prepare
    const dir = stateDir();
    const first = await startTestServer({ stateDir: dir });
    await first.stop();
    const snapshot = JSON.parse(readFileSync(join(dir, 'snapshot.json'), 'utf8')) as { resourceVersion: number };
    const rv = snapshot.resourceVersion + 1;
    const record = (n: number, name: string): string =>
      JSON.stringify({ rv: n, key: `configmaps/default/${name}`, object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' } } });
    const good = record(rv, 'before');
    writeFileSync(join(dir, 'wal.log'), `${good}\n{"rv":${rv + 1},"key":"configm#garbage\n${record(rv + 2, 'after')}\n`);
    // Act + Assess
    await assert.rejects(
      startTestServer({ stateDir: dir }),
      new RegExp(`write-ahead log .*wal\\.log has a corrupt record at byte ${Buffer.byteLength(good) + 1}, followed by others`),
    );
  });

  test('a write the disk refuses is answered 500 and changes nothing: not in memory, not after a restart', async () => {
    // Prepare
    const dir = stateDir();
    const server = await startTestServer({ stateDir: dir });
    const body = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'lost' }, data: { a: '1' } });
    const before = await raw(server.server, '/api/v1/namespaces/default/configmaps');
    // Act
    server.server.failNextWrites(1);
    const refused = await raw(server.server, '/api/v1/namespaces/default/configmaps', { method: 'POST', body, contentType: 'application/json' });
    const readBack = await raw(server.server, '/api/v1/namespaces/default/configmaps/lost');
    const listed = await raw(server.server, '/api/v1/namespaces/default/configmaps');
    const retried = await raw(server.server, '/api/v1/namespaces/default/configmaps', {
      method: 'POST',
      body: body.replace('"lost"', '"kept"'),
      contentType: 'application/json',
    });
    await server.stop();
    const again = await startTestServer({ stateDir: dir });
    const afterRestart = await raw(again.server, '/api/v1/namespaces/default/configmaps/lost');
    const kept = await raw(again.server, '/api/v1/namespaces/default/configmaps/kept');
    await again.stop();
    // Assess
    assert.equal(refused.status, 500);
    assert.equal(readBack.status, 404);
    assert.equal(
      (listed.json?.metadata as { resourceVersion: string }).resourceVersion,
      (before.json?.metadata as { resourceVersion: string }).resourceVersion,
    );
    assert.equal(retried.status, 201);
    assert.deepEqual([afterRestart.status, kept.status], [404, 200]);
  });
});

describe('persistence across a crash', () => {
  const dir = mkdtempSync(join(tmpdir(), 'drplan-apiserver-crash-'));
  let child: Awaited<ReturnType<typeof childServer>>;

  before(async () => {
    child = await childServer(dir);
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('a second server cannot open a state folder another live process holds', async () => {
    await assert.rejects(startApiServer({ stateDir: dir, crdDirs: testCrdDirs(), jobController: false }), /is in use by process \d+/);
  });

  test('an acknowledged write survives the server being killed', async () => {
    // Prepare
    const headers = { Authorization: `Bearer ${child.token}`, 'Content-Type': 'application/json' };
    const created = await fetch(`${child.url}/api/v1/namespaces/default/configmaps`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ metadata: { name: 'durable' }, data: { a: '1' } }),
    });
    const body = (await created.json()) as { metadata: { uid: string; resourceVersion: string } };
    // Act
    await child.kill();
    const revived = await startApiServer({ stateDir: dir, crdDirs: testCrdDirs(), jobController: false });
    const read = await raw(revived, '/api/v1/namespaces/default/configmaps/durable');
    await revived.stop();
    // Assess
    assert.equal(created.status, 201);
    assert.equal(read.status, 200);
    assert.equal((read.json?.metadata as { uid: string }).uid, body.metadata.uid);
    assert.equal((read.json?.metadata as { resourceVersion: string }).resourceVersion, body.metadata.resourceVersion);
  });
});
