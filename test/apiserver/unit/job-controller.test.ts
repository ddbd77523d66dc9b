import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startJobController } from '../../../local/apiserver/job-controller.js';
import { decide, planOf, timestamp } from '../../../local/apiserver/job-status.js';

type Json = Record<string, unknown>;

const NOW = Date.parse('2025-03-01T10:00:00Z');
const at = (secondsAfterNow: number): number => NOW + secondsAfterNow * 1000;
const iso = (secondsAfterNow: number): string => timestamp(at(secondsAfterNow));

function job(annotations: Record<string, string> = {}, spec: Json = {}, status?: Json): Json {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'restore-db', namespace: 'dr', uid: 'uid-1', resourceVersion: '1', annotations },
    spec: { backoffLimit: 6, completions: 1, parallelism: 1, template: { spec: { containers: [{ name: 'main', image: 'x' }] } }, ...spec },
    ...(status === undefined ? {} : { status }),
  };
}

/** The status a decision writes (the test fails when it writes none). */
function written(decision: { status?: Json }): Json {
  assert.ok(decision.status !== undefined, 'the decision writes no status');
  return decision.status;
}

const conditionTypes = (status: Json | undefined): unknown[] => ((status?.conditions ?? []) as Json[]).map((c) => [c.type, c.status, c.reason]);

describe('reading the annotations', () => {
  const cases: { name: string; job: Json; expected: { outcome: string; durationMs: number; problems: number } }[] = [
    { name: 'defaults to succeed after one second', job: job(), expected: { outcome: 'succeed', durationMs: 1000, problems: 0 } },
    {
      name: 'reads the Job annotations',
      job: job({ 'local.drplan.dev/outcome': 'fail', 'local.drplan.dev/duration': '1m30s' }),
      expected: { outcome: 'fail', durationMs: 90_000, problems: 0 },
    },
    {
      name: 'reads the pod template annotations',
      job: job({}, { template: { metadata: { annotations: { 'local.drplan.dev/outcome': 'hang', 'local.drplan.dev/duration': '250ms' } } } }),
      expected: { outcome: 'hang', durationMs: 250, problems: 0 },
    },
    {
      name: 'prefers the Job annotations to the template ones',
      job: job({ 'local.drplan.dev/outcome': 'succeed' }, { template: { metadata: { annotations: { 'local.drplan.dev/outcome': 'fail' } } } }),
      expected: { outcome: 'succeed', durationMs: 1000, problems: 0 },
    },
    {
      name: 'falls back to succeed and reports an unknown outcome',
      job: job({ 'local.drplan.dev/outcome': 'explode' }),
      expected: { outcome: 'succeed', durationMs: 1000, problems: 1 },
    },
    {
      name: 'falls back to one second and reports a bad duration',
      job: job({ 'local.drplan.dev/duration': 'soon' }),
      expected: { outcome: 'succeed', durationMs: 1000, problems: 1 },
    },
  ];
  for (const { name, job: input, expected } of cases) {
    test(name, () => {
      const plan = planOf(input);

      assert.deepEqual({ outcome: plan.outcome, durationMs: plan.durationMs, problems: plan.problems.length }, expected);
    });
  }

  test('names the annotation and the value it did not understand', () => {
    assert.deepEqual(planOf(job({ 'local.drplan.dev/outcome': 'explode' })).problems, [
      'local.drplan.dev/outcome: "explode" is not one of succeed, fail, hang; using succeed',
    ]);
  });
});

describe('deciding the status of a Job', () => {
  test('starts a new Job: startTime, one active pod, and a wake-up when it is due', () => {
    const decision = decide(job({ 'local.drplan.dev/duration': '5s' }), NOW);

    assert.deepEqual(decision.status, { startTime: iso(0), active: 1, ready: 0, uncountedTerminatedPods: {} });
    assert.equal(decision.wakeAt, at(5));
  });

  test('only waits while the Job is running and not yet due', () => {
    const decision = decide(job({ 'local.drplan.dev/duration': '5s' }, {}, { startTime: iso(0), active: 1 }), at(2));

    assert.deepEqual(decision, { wakeAt: at(5) });
  });

  test('completes a Job when its duration has passed, with the conditions of the real controller', () => {
    const decision = decide(job({ 'local.drplan.dev/duration': '5s' }, { completions: 3 }, { startTime: iso(0), active: 1, ready: 0 }), at(5));

    const condition = {
      status: 'True',
      reason: 'CompletionsReached',
      message: 'Reached expected number of succeeded pods',
      lastProbeTime: iso(5),
      lastTransitionTime: iso(5),
    };
    assert.deepEqual(decision.status, {
      startTime: iso(0),
      active: 0,
      ready: 0,
      succeeded: 3,
      completionTime: iso(5),
      uncountedTerminatedPods: {},
      conditions: [
        { type: 'SuccessCriteriaMet', ...condition },
        { type: 'Complete', ...condition },
      ],
    });
    assert.equal(decision.wakeAt, undefined);
  });

  test('fails a Job that should fail with failed = backoffLimit + 1 and BackoffLimitExceeded', () => {
    const decision = decide(job({ 'local.drplan.dev/outcome': 'fail' }, { backoffLimit: 2 }, { startTime: iso(0), active: 1 }), at(1));

    assert.equal(written(decision).failed, 3);
    assert.equal(written(decision).active, 0);
    assert.equal(written(decision).completionTime, undefined);
    assert.deepEqual(conditionTypes(written(decision)), [
      ['FailureTarget', 'True', 'BackoffLimitExceeded'],
      ['Failed', 'True', 'BackoffLimitExceeded'],
    ]);
    assert.equal((written(decision).conditions as Json[])[1]?.message, 'Job has reached the specified backoff limit');
  });

  test('counts the default backoff limit of 6 when the Job has none', () => {
    const decision = decide(job({ 'local.drplan.dev/outcome': 'fail' }, { backoffLimit: undefined }, { startTime: iso(0), active: 1 }), at(1));

    assert.equal(written(decision).failed, 7);
  });

  test('never finishes a Job that hangs', () => {
    assert.deepEqual(decide(job({ 'local.drplan.dev/outcome': 'hang' }, {}, { startTime: iso(0), active: 1 }), at(86_400)), {});
  });

  test('fails a Job past its activeDeadlineSeconds with DeadlineExceeded', () => {
    const decision = decide(job({ 'local.drplan.dev/duration': '1m' }, { activeDeadlineSeconds: 10 }, { startTime: iso(0), active: 1 }), at(10));

    assert.deepEqual(conditionTypes(written(decision)), [
      ['FailureTarget', 'True', 'DeadlineExceeded'],
      ['Failed', 'True', 'DeadlineExceeded'],
    ]);
    assert.equal((written(decision).conditions as Json[])[1]?.message, 'Job was active longer than specified deadline');
    assert.equal(written(decision).failed, 1);
  });

  test('wakes a hanging Job at its deadline', () => {
    assert.deepEqual(decide(job({ 'local.drplan.dev/outcome': 'hang' }, { activeDeadlineSeconds: 30 }, { startTime: iso(0), active: 1 }), at(1)), {
      wakeAt: at(30),
    });
  });

  test('completes a Job whose duration ends before its deadline', () => {
    const decision = decide(job({ 'local.drplan.dev/duration': '5s' }, { activeDeadlineSeconds: 10 }, { startTime: iso(0), active: 1 }), at(12));

    assert.deepEqual(conditionTypes(written(decision)), [
      ['SuccessCriteriaMet', 'True', 'CompletionsReached'],
      ['Complete', 'True', 'CompletionsReached'],
    ]);
  });

  test('resumes the timer of an active Job from status.startTime (after a restart)', () => {
    const decision = decide(job({ 'local.drplan.dev/duration': '5s' }, {}, { startTime: iso(-10), active: 1 }), NOW);

    assert.equal(written(decision).startTime, iso(-10));
    assert.equal(written(decision).completionTime, iso(0));
  });

  test('leaves a finished Job alone', () => {
    const status = { startTime: iso(0), succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] };

    assert.deepEqual(decide(job({}, {}, status), at(100)), {});
  });

  test('keeps conditions it does not own', () => {
    const decision = decide(job({}, {}, { startTime: iso(0), active: 1, conditions: [{ type: 'Custom', status: 'True' }] }), at(1));

    assert.deepEqual(conditionTypes(written(decision))[0], ['Custom', 'True', undefined]);
  });

  test('suspends a Job: no active pod, no startTime, a Suspended condition', () => {
    const decision = decide(job({}, { suspend: true }, { startTime: iso(0), active: 1 }), at(1));

    assert.equal(written(decision).active, 0);
    assert.equal(written(decision).startTime, null);
    assert.deepEqual(conditionTypes(written(decision)), [['Suspended', 'True', 'JobSuspended']]);
    assert.equal(decision.wakeAt, undefined);
  });

  test('makes no progress while suspended', () => {
    const status = { active: 0, conditions: [{ type: 'Suspended', status: 'True', reason: 'JobSuspended' }] };

    assert.deepEqual(decide(job({}, { suspend: true }, status), at(100)), {});
  });

  test('restarts the clock when a suspended Job is resumed', () => {
    const status = { active: 0, conditions: [{ type: 'Suspended', status: 'True', reason: 'JobSuspended' }] };

    const decision = decide(job({ 'local.drplan.dev/duration': '5s' }, { suspend: false }, status), at(100));

    assert.equal(written(decision).startTime, iso(100));
    assert.equal(written(decision).active, 1);
    assert.deepEqual(conditionTypes(written(decision)), [['Suspended', 'False', 'JobResumed']]);
    assert.equal(decision.wakeAt, at(105));
  });

  test('wakes at once when a zero-length Job starts', () => {
    const decision = decide(job({ 'local.drplan.dev/duration': '0s' }), at(0.5));

    assert.equal(written(decision).active, 1);
    assert.equal(decision.wakeAt, at(0.5));
  });
});

/** RFC 7386 merge patch, as the API server applies the controller's status patches. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: Json = typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as Json) } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) Reflect.deleteProperty(out, key);
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

const meta = (object: Json): Json => object.metadata as Json;

/** A tiny stand-in for the API server: list, watch (with history), and merge patches to /status. */
class FakeApiServer {
  readonly jobs = new Map<string, Json>();
  readonly contentTypes: string[] = [];
  url = '';
  private revision = 1;
  private expireNext = false;
  private readonly history: { rv: number; line: string }[] = [];
  private readonly watchers = new Set<ServerResponse>();
  private readonly server = createServer((req, res) => {
    this.handle(req, res);
  });

  private readonly token: string;

  constructor(token: string) {
    this.token = token;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    for (const watcher of this.watchers) watcher.end();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) =>
      this.server.close(() => {
        resolve();
      }),
    );
  }

  /** Watches open now. */
  get openWatches(): number {
    return this.watchers.size;
  }

  expireNextWatch(): void {
    this.expireNext = true;
    for (const watcher of this.watchers) watcher.end();
    this.watchers.clear();
  }

  put(object: Json): void {
    const stored = structuredClone(object);
    meta(stored).resourceVersion = String(++this.revision);
    const uid = String(meta(stored).uid);
    const type = this.jobs.has(uid) ? 'MODIFIED' : 'ADDED';
    this.jobs.set(uid, stored);
    this.emit(type, stored);
  }

  private emit(type: string, object: Json): void {
    const line = `${JSON.stringify({ type, object })}\n`;
    this.history.push({ rv: this.revision, line });
    for (const watcher of this.watchers) watcher.write(line);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (req.headers.authorization !== `Bearer ${this.token}`) {
      res.writeHead(401, { 'Content-Type': 'application/json' }).end(JSON.stringify({ kind: 'Status', code: 401, reason: 'Unauthorized' }));
      return;
    }
    const url = new URL(req.url ?? '/', this.url);
    if (req.method === 'GET' && url.pathname === '/apis/batch/v1/jobs') {
      if (url.searchParams.get('watch') === '1') this.watch(Number(url.searchParams.get('resourceVersion')), res);
      else res.writeHead(200).end(JSON.stringify({ kind: 'JobList', metadata: { resourceVersion: String(this.revision) }, items: [...this.jobs.values()] }));
      return;
    }
    const match = /^\/apis\/batch\/v1\/namespaces\/([^/]+)\/jobs\/([^/]+)\/status$/.exec(url.pathname);
    if (req.method === 'PATCH' && match !== null) {
      this.contentTypes.push(req.headers['content-type'] ?? '');
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on('end', () => {
        this.patchStatus(match[1] ?? '', match[2] ?? '', JSON.parse(body) as Json, res);
      });
      return;
    }
    res.writeHead(404).end();
  }

  private watch(since: number, res: ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    if (this.expireNext) {
      this.expireNext = false;
      res.end(`${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } })}\n`);
      return;
    }
    for (const event of this.history) if (event.rv > since) res.write(event.line);
    this.watchers.add(res);
    res.on('close', () => this.watchers.delete(res));
  }

  private patchStatus(namespace: string, name: string, patch: Json, res: ServerResponse): void {
    const current = [...this.jobs.values()].find((j) => meta(j).namespace === namespace && meta(j).name === name);
    if (current === undefined) {
      res.writeHead(404).end(JSON.stringify({ kind: 'Status', code: 404 }));
      return;
    }
    const wanted = (patch.metadata as Json | undefined)?.resourceVersion;
    if (wanted !== undefined && wanted !== meta(current).resourceVersion) {
      res.writeHead(409).end(JSON.stringify({ kind: 'Status', code: 409, reason: 'Conflict' }));
      return;
    }
    this.put({ ...current, status: mergePatch(current.status, patch.status) });
    res.writeHead(200).end(JSON.stringify(this.jobs.get(String(meta(current).uid))));
  }
}

async function eventually<T>(probe: () => T | undefined, what: string, timeoutMs = 4000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('the Job controller against an API server', () => {
  const servers: FakeApiServer[] = [];
  const controllers: { stop(): Promise<void> }[] = [];
  after(async () => {
    await Promise.all(controllers.map((c) => c.stop()));
    await Promise.all(servers.map((s) => s.close()));
  });

  async function setup(token = 'secret-token'): Promise<{ server: FakeApiServer; lines: string[]; stop: () => Promise<void> }> {
    const server = await new FakeApiServer('secret-token').start();
    servers.push(server);
    const lines: string[] = [];
    const controller = startJobController({ url: server.url, token, log: (line) => lines.push(line), retryDelayMs: 50 });
    controllers.push(controller);
    return { server, lines, stop: () => controller.stop() };
  }

  const named = (name: string, uid: string, annotations: Record<string, string>, more: { spec?: Json; status?: Json } = {}): Json => {
    const object = job(annotations, more.spec ?? {}, more.status);
    Object.assign(meta(object), { name, uid });
    return object;
  };
  const statusOf = (server: FakeApiServer, uid: string): Json => (server.jobs.get(uid)?.status ?? {}) as Json;
  const hasCondition = (server: FakeApiServer, uid: string, type: string): true | undefined =>
    conditionTypes(statusOf(server, uid)).some((c) => (c as unknown[])[0] === type) ? true : undefined;

  test('takes a Job annotated to succeed to Complete with merge patches to /status', async () => {
    const { server } = await setup();
    server.put(named('ok', 'u-ok', { 'local.drplan.dev/duration': '50ms' }));

    await eventually(() => hasCondition(server, 'u-ok', 'Complete'), 'the Complete condition');

    const status = statusOf(server, 'u-ok');
    assert.equal(status.succeeded, 1);
    assert.equal(status.active, 0);
    assert.equal(typeof status.completionTime, 'string');
    assert.ok(server.contentTypes.every((type) => type === 'application/merge-patch+json'));
  });

  test('takes a Job annotated to fail to Failed', async () => {
    const { server } = await setup();
    server.put(named('bad', 'u-bad', { 'local.drplan.dev/outcome': 'fail', 'local.drplan.dev/duration': '20ms' }, { spec: { backoffLimit: 1 } }));

    await eventually(() => hasCondition(server, 'u-bad', 'Failed'), 'the Failed condition');

    assert.equal(statusOf(server, 'u-bad').failed, 2);
  });

  test('keeps a hanging Job active', async () => {
    const { server } = await setup();
    server.put(named('stuck', 'u-hang', { 'local.drplan.dev/outcome': 'hang' }));

    await eventually(() => (statusOf(server, 'u-hang').active === 1 ? true : undefined), 'the Job to start');
    // a Job put after it, that completes at once: by then the controller has had its turns at the hanging one
    server.put(named('quick', 'u-quick', { 'local.drplan.dev/duration': '10ms' }));
    await eventually(() => hasCondition(server, 'u-quick', 'Complete'), 'the later Job to complete');

    assert.deepEqual(conditionTypes(statusOf(server, 'u-hang')), []);
  });

  test('finishes a Job that was already running when the controller started, keeping its startTime', async () => {
    const server = await new FakeApiServer('secret-token').start();
    servers.push(server);
    const startTime = new Date(Date.now() - 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    server.put(named('old', 'u-old', { 'local.drplan.dev/duration': '5s' }, { status: { startTime, active: 1 } }));

    controllers.push(startJobController({ url: server.url, token: 'secret-token', retryDelayMs: 50 }));
    await eventually(() => hasCondition(server, 'u-old', 'Complete'), 'the Complete condition');

    assert.equal(statusOf(server, 'u-old').startTime, startTime);
  });

  test('relists after its watch expires and still sees new Jobs', async () => {
    const { server } = await setup();
    await eventually(() => (server.openWatches > 0 ? true : undefined), 'the controller to watch');

    server.expireNextWatch();
    server.put(named('later', 'u-later', { 'local.drplan.dev/duration': '10ms' }));

    await eventually(() => hasCondition(server, 'u-later', 'Complete'), 'the Complete condition');
  });

  test('logs the refusal when its token is wrong, and changes nothing', async () => {
    const { server, lines } = await setup('wrong-token');
    server.put(named('never', 'u-never', {}));

    await eventually(() => (lines.some((l) => l.includes('HTTP 401')) ? true : undefined), 'a log line about the 401');

    assert.deepEqual(statusOf(server, 'u-never'), {});
    assert.ok(
      lines.every((l) => !l.includes('wrong-token')),
      'the token never appears in the log',
    );
  });

  test('writes nothing once stopped', async () => {
    const { server, stop } = await setup();
    // startTime has second precision, so a 1.2 s Job stays active for 0.2 s to 1.2 s.
    server.put(named('cut', 'u-cut', { 'local.drplan.dev/duration': '1200ms' }));
    await eventually(() => (statusOf(server, 'u-cut').active === 1 ? true : undefined), 'the Job to start');

    await stop();
    // until the Job's 1.2 s have passed for certain (its startTime has whole seconds), and its timer's turn after that
    const due = Date.parse(String(statusOf(server, 'u-cut').startTime)) + 2200;
    await eventually(() => (Date.now() > due ? true : undefined), 'the time the Job would have completed');
    await new Promise((resolve) => setImmediate(resolve));

    assert.equal(hasCondition(server, 'u-cut', 'Complete'), undefined);
  });
});
