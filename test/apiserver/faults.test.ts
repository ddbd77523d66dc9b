/**
 * Injected 409 Conflicts through HTTP: the chosen writes get the Status a real server sends for a
 * stale resourceVersion and change nothing; reads, watches, creates and the Job controller's own
 * writes are never touched; `clear()` stops it; the counters say what happened; a seed repeats it.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { faultInjector, parseConflictFaults, type ConflictFaults, type WriteRequest } from '../../local/apiserver/faults.js';
import { DR, drPlan, eventually, raw, startTestServer, type RawResponse, type TestServer } from './helpers.js';

const PLANS = `/apis/${DR.group}/${DR.version}/namespaces/default/drplans`;
const CONFIG_MAPS = '/api/v1/namespaces/default/configmaps';
const MERGE = 'application/merge-patch+json';

const STALE_MESSAGE = (resource: string, name: string): string =>
  `Operation cannot be fulfilled on ${resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`;

const json = (value: unknown): string => JSON.stringify(value);

async function createPlan(t: TestServer, name: string): Promise<Record<string, unknown>> {
  const response = await raw(t.server, PLANS, { method: 'POST', contentType: 'application/json', body: json(drPlan(name)) });
  assert.equal(response.status, 201, response.text);
  return response.json ?? {};
}

const patchStatus = (t: TestServer, name: string, phase: string): Promise<RawResponse> =>
  raw(t.server, `${PLANS}/${name}/status`, { method: 'PATCH', contentType: MERGE, body: json({ status: { phase } }) });

const patchLabel = (t: TestServer, name: string, value: string): Promise<RawResponse> =>
  raw(t.server, `${PLANS}/${name}`, { method: 'PATCH', contentType: MERGE, body: json({ metadata: { labels: { mark: value } } }) });

describe('injected 409 Conflicts', () => {
  let t: TestServer;

  before(async () => {
    t = await startTestServer();
  });
  afterEach(() => {
    t.server.faults.clear();
  });
  after(async () => {
    await t.dispose();
  });

  test('a chosen write gets the Conflict Status of a stale resourceVersion and leaves the object unchanged', async () => {
    // Prepare
    const created = await createPlan(t, 'stale');
    t.server.faults.set({ conflictRatio: 1 });
    // Act
    const response = await patchStatus(t, 'stale', 'Ready');
    const read = await raw(t.server, `${PLANS}/stale`);
    // Assess
    assert.equal(response.status, 409);
    assert.deepEqual(response.json, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: STALE_MESSAGE('drplans.dr.bkbcs.tencent.com', 'stale'),
      reason: 'Conflict',
      details: { name: 'stale', group: DR.group, kind: 'drplans' },
      code: 409,
    });
    assert.deepEqual(read.json, created);
  });

  test('an update (PUT) of a core object gets the Conflict too, worded for the core group', async () => {
    const created = await raw(t.server, CONFIG_MAPS, {
      method: 'POST',
      contentType: 'application/json',
      body: json({ metadata: { name: 'settings' }, data: { site: 'a' } }),
    });
    t.server.faults.set({ conflictRatio: 1, verbs: ['update'] });

    const response = await raw(t.server, `${CONFIG_MAPS}/settings`, {
      method: 'PUT',
      contentType: 'application/json',
      body: json({ ...created.json, data: { site: 'b' } }),
    });
    const read = await raw(t.server, `${CONFIG_MAPS}/settings`);

    assert.equal(response.status, 409);
    assert.equal(response.json?.message, STALE_MESSAGE('configmaps', 'settings'));
    assert.deepEqual(read.json, created.json);
  });

  test('reads, lists and watches are answered as usual while every write conflicts', async () => {
    await createPlan(t, 'readable');
    t.server.faults.set({ conflictRatio: 1 });
    const before = t.server.faults.counts();

    const get = await raw(t.server, `${PLANS}/readable`);
    const list = await raw(t.server, PLANS);
    const watch = await raw(t.server, `${PLANS}?watch=true&fieldSelector=metadata.name%3Dreadable&timeoutSeconds=1`);

    assert.equal(get.status, 200);
    assert.equal(list.status, 200);
    assert.ok((list.json?.items as unknown[]).length >= 1);
    assert.equal(watch.status, 200);
    assert.match(watch.text, /^\{"type":"ADDED","object":\{.*"name":"readable"/);
    assert.deepEqual(t.server.faults.counts(), before, 'a read counted as an eligible write');
  });

  test('creates, and writes to objects that do not exist, get their usual answers', async () => {
    t.server.faults.set({ conflictRatio: 1 });
    const before = t.server.faults.counts();

    const created = await raw(t.server, PLANS, { method: 'POST', contentType: 'application/json', body: json(drPlan('fresh')) });
    const missing = await patchStatus(t, 'no-such-plan', 'Ready');

    assert.equal(created.status, 201, created.text);
    assert.equal(missing.status, 404);
    assert.deepEqual(t.server.faults.counts(), before);
  });

  test('clear() stops the faults: the same write then succeeds', async () => {
    await createPlan(t, 'cleared');
    t.server.faults.set({ conflictRatio: 1 });
    const refused = await patchStatus(t, 'cleared', 'Ready');

    t.server.faults.clear();
    const accepted = await patchStatus(t, 'cleared', 'Ready');

    assert.equal(refused.status, 409);
    assert.equal(accepted.status, 200, accepted.text);
    assert.equal((accepted.json?.status as { phase?: string } | undefined)?.phase, 'Ready');
  });

  test('the counters count the eligible writes and name each injected one', async () => {
    await createPlan(t, 'counted');
    const before = t.server.faults.counts();
    const injectedBefore = t.server.faults.injections().length;
    t.server.faults.set({ conflictRatio: 1, subresources: ['status'] });

    await patchStatus(t, 'counted', 'Ready');
    await patchStatus(t, 'counted', 'Invalid');
    const label = await patchLabel(t, 'counted', 'x');

    assert.equal(label.status, 200, 'a write to the object itself was not eligible');
    assert.deepEqual(t.server.faults.counts(), { eligible: before.eligible + 2, injected: before.injected + 2 });
    assert.deepEqual(t.server.faults.injections().slice(injectedBefore), [
      { verb: 'patch', resource: 'drplans.dr.bkbcs.tencent.com', subresource: 'status', namespace: 'default', name: 'counted' },
      { verb: 'patch', resource: 'drplans.dr.bkbcs.tencent.com', subresource: 'status', namespace: 'default', name: 'counted' },
    ]);
  });

  const filters: { name: string; settings: ConflictFaults; conflicts: boolean }[] = [
    { name: 'its plural resource name', settings: { conflictRatio: 1, resources: ['drplans'] }, conflicts: true },
    { name: 'its qualified resource name', settings: { conflictRatio: 1, resources: ['drplans.dr.bkbcs.tencent.com'] }, conflicts: true },
    { name: 'another resource', settings: { conflictRatio: 1, resources: ['drplanexecutions', 'configmaps'] }, conflicts: false },
    { name: 'its verb', settings: { conflictRatio: 1, verbs: ['patch'] }, conflicts: true },
    { name: 'another verb', settings: { conflictRatio: 1, verbs: ['update'] }, conflicts: false },
    { name: 'the object itself', settings: { conflictRatio: 1, subresources: [''] }, conflicts: true },
    { name: 'only the status', settings: { conflictRatio: 1, subresources: ['status'] }, conflicts: false },
    { name: 'a ratio of 0', settings: { conflictRatio: 0 }, conflicts: false },
  ];
  for (const { name, settings, conflicts } of filters) {
    test(`a label patch of a DRPlan with faults for ${name} ${conflicts ? 'conflicts' : 'goes through'}`, async () => {
      const plan = `filtered-${filters.findIndex((f) => f.name === name)}`;
      await createPlan(t, plan);
      t.server.faults.set(settings);

      const response = await patchLabel(t, plan, 'y');

      assert.equal(response.status, conflicts ? 409 : 200, response.text);
    });
  }

  test('the same seed injects into the same writes of a sequence', async () => {
    await createPlan(t, 'seeded');
    const outcomes = async (): Promise<number[]> => {
      t.server.faults.set({ conflictRatio: 0.5, seed: 42 });
      const statuses: number[] = [];
      for (let i = 0; i < 16; i += 1) statuses.push((await patchLabel(t, 'seeded', `v${i}`)).status);
      return statuses;
    };

    const first = await outcomes();
    const second = await outcomes();

    assert.deepEqual(second, first);
    assert.ok(first.includes(409) && first.includes(200), `one outcome only: ${first.join(',')}`);
  });
});

describe('injected 409 Conflicts and the server’s own writes', () => {
  let t: TestServer;

  before(async () => {
    t = await startTestServer({ jobController: true, faults: { conflictRatio: 1, resources: ['jobs'] } });
  });
  after(async () => {
    await t.dispose();
  });

  test('faults given at start apply to clients, but the Job controller’s status writes go through', async () => {
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'promote', annotations: { 'local.drplan.dev/duration': '100ms' } },
      spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'promote', image: 'busybox' }] } } },
    };
    const jobs = '/apis/batch/v1/namespaces/default/jobs';
    assert.equal((await raw(t.server, jobs, { method: 'POST', contentType: 'application/json', body: json(job) })).status, 201);

    const clientWrite = await raw(t.server, `${jobs}/promote`, { method: 'PATCH', contentType: MERGE, body: json({ metadata: { labels: { a: 'b' } } }) });
    const completed = await eventually(async () => {
      const read = await raw(t.server, `${jobs}/promote`);
      const conditions = (read.json?.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [];
      return conditions.some((c) => c.type === 'Complete' && c.status === 'True') ? true : undefined;
    }, 10_000);

    assert.equal(clientWrite.status, 409);
    assert.equal(completed, true);
    assert.ok(
      t.server.faults.injections().every((injection) => injection.subresource === ''),
      'a Job controller status write got a fault',
    );
  });
});

describe('fault settings', () => {
  const invalid: { settings: unknown; message: RegExp }[] = [
    { settings: { conflictRatio: 1.5 }, message: /faults\.conflictRatio: / },
    { settings: { conflictRatio: -0.1 }, message: /faults\.conflictRatio: / },
    { settings: {}, message: /faults\.conflictRatio: / },
    { settings: { conflictRatio: 0.2, verbs: ['create'] }, message: /faults\.verbs\[0\]: / },
    { settings: { conflictRatio: 0.2, verbs: [] }, message: /faults\.verbs: / },
    { settings: { conflictRatio: 0.2, subresources: ['scale'] }, message: /faults\.subresources\[0\]: / },
    { settings: { conflictRatio: 0.2, resources: [''] }, message: /faults\.resources\[0\]: / },
    { settings: { conflictRatio: 0.2, seed: 1.5 }, message: /faults\.seed: / },
    { settings: { conflictRatio: 0.2, ratio: 0.3 }, message: /faults: .*ratio/ },
  ];
  for (const { settings, message } of invalid) {
    test(`${JSON.stringify(settings)} is rejected naming the setting`, () => {
      assert.throws(
        () => parseConflictFaults(settings),
        (error: unknown) => error instanceof Error && /^invalid fault settings: /.test(error.message) && message.test(error.message),
      );
      assert.throws(() => {
        faultInjector().set(settings as ConflictFaults);
      }, message);
    });
  }

  test('a write from a User-Agent of the server itself is never eligible', () => {
    const faults = faultInjector({ conflictRatio: 1 });
    const request: WriteRequest = {
      verb: 'patch',
      resource: { group: 'batch', plural: 'jobs' },
      subresource: 'status',
      namespace: 'default',
      name: 'j',
      userAgent: 'drplan-local-apiserver/job-controller',
    };

    assert.equal(faults.conflictFor(request), undefined);
    assert.equal(faults.conflictFor({ ...request, userAgent: 'kubectl/v1.32.0' })?.code, 409);
    assert.deepEqual(faults.counts(), { eligible: 1, injected: 1 });
  });
});
