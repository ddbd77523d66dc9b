import { strict as assert } from 'node:assert';
import { after, describe, test } from 'node:test';
import { createRunAction } from '../../../../functions/run-action/run-action.js';
import type { DRPlanExecutionStatus } from '../../../../shared/api/index.js';
import { findActionStatus } from '../../../../shared/engine/status-tree.js';
import { EventTypes } from '../../../../shared/events.js';
import type { Target } from '../../../support/run-action-helpers.js';
import { answer, editAction, EXEC, ManualClock, httpAction, NS, pathOf, requested, startTarget, UID, worldOf } from '../../../support/run-action-helpers.js';

const PATH = pathOf('call');
const targets: Target[] = [];

async function target(...args: Parameters<typeof startTarget>): Promise<Target> {
  const started = await startTarget(...args);
  targets.push(started);
  return started;
}

after(async () => {
  await Promise.all(targets.map((t) => t.close()));
});

describe('an HTTP action', () => {
  test('that answers 200 succeeds, records the response and takes the next step: the plan of one action ends', async () => {
    // Prepare
    const server = await target(answer(200, 'healthy'));
    const w = worldOf([httpAction('call', { url: `${server.url}/health`, recordResponseBody: true })]);

    // Act
    const replies = await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    const action = w.action(PATH);
    assert.equal(action?.phase, 'Succeeded');
    assert.deepEqual(action.outputs, { httpResponse: { statusCode: 200, body: 'healthy' } });
    assert.equal(w.status().phase, 'Succeeded');
    assert.deepEqual(replies, [
      {
        type: EventTypes.executionFinished,
        subject: `${NS}/${EXEC}`,
        data: {
          execution: { name: EXEC, namespace: NS, uid: UID },
          operationType: 'Execute',
          plan: 'plan',
          phase: 'Succeeded',
          message: 'the stage succeeded (1 action)',
        },
        extensions: { execution: EXEC, operationtype: 'Execute', partitionkey: `${NS}.${EXEC}` },
      },
    ]);
    assert.deepEqual(
      w.kube.events.slice(0, 2).map((e) => [e.reason, e.regarding.name, e.regarding.uid]),
      [
        ['ActionStarted', EXEC, UID],
        ['ActionSucceeded', EXEC, UID],
      ],
    );
  });

  test("sends its method, headers, body and the attempt's Idempotency-Key", async () => {
    // Prepare
    const server = await target(answer(201));
    const http = {
      url: `${server.url}/failover?region=b`,
      method: 'POST',
      headers: { 'X-Team': 'sre', 'Content-Type': 'application/json' },
      body: '{"to":"b"}',
    };
    const w = worldOf([httpAction('call', http)]);

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    const [request] = server.requests;
    assert.equal(request?.method, 'POST');
    assert.equal(request.url, '/failover?region=b');
    assert.equal(request.body, '{"to":"b"}');
    assert.equal(request.headers['x-team'], 'sre');
    assert.equal(request.headers['content-type'], 'application/json');
    assert.equal(request.headers['idempotency-key'], `${UID}/${PATH}/1`);
  });

  test("a header from a Secret is read as the plan's ServiceAccount when sent, and its value appears nowhere in the status, Events or replies", async () => {
    // Prepare
    const token = 's3cr3t-token-value';
    const server = await target(answer(200));
    const http = { url: `${server.url}/promote`, headersFrom: [{ name: 'Authorization', prefix: 'Bearer ', secretKeyRef: { name: 'api', key: 'token' } }] };
    const w = worldOf([httpAction('call', http)]);
    w.kube.seed({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'api', namespace: NS }, data: { token: Buffer.from(token).toString('base64') } });

    // Act
    const replies = await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    assert.equal(server.requests[0]?.headers.authorization, `Bearer ${token}`);
    assert.equal(w.action(PATH)?.phase, 'Succeeded');
    const read = w.kube.calls.find((call) => call.verb === 'get' && call.key.includes('/Secret/'));
    assert.equal(read?.as, `system:serviceaccount:${NS}:default`);
    const everything = JSON.stringify([w.status(), w.kube.events, replies, w.log.lines]);
    assert.ok(!everything.includes(token), 'the token leaked');
    assert.ok(!everything.includes(Buffer.from(token).toString('base64')), 'the encoded token leaked');
  });

  test('a header Secret the account may not read fails the attempt at once, naming the Secret and the account', async () => {
    // Prepare
    const server = await target(answer(200));
    const http = { url: `${server.url}/promote`, headersFrom: [{ name: 'X-Api-Key', secretKeyRef: { name: 'api', key: 'token' } }] };
    const w = worldOf([httpAction('call', http)]);
    w.kube.forbid = ({ verb, key }) => verb === 'get' && key.kind === 'Secret';

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    const action = w.action(PATH);
    assert.equal(action?.phase, 'Failed');
    assert.match(
      action.message ?? '',
      new RegExp(`^http\\.headersFrom\\[0\\]: reading Secret ${NS}/api as system:serviceaccount:${NS}:default failed \\(403 Forbidden\\)`),
    );
    assert.equal(server.requests.length, 0, 'nothing was sent');
  });

  for (const method of ['GET', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const) {
    test(`sends a ${method} request as ${method}`, async () => {
      const server = await target(answer(200));
      const w = worldOf([httpAction('call', { url: `${server.url}/resource/1`, method })]);

      await createRunAction(w.deps).onActionRequested(requested(PATH));

      assert.deepEqual(
        server.requests.map((r) => [r.method, r.url]),
        [[method, '/resource/1']],
      );
    });
  }

  const codes = [
    { name: 'a 204 counts as success by default (any 2xx)', status: 204, successCodes: undefined, phase: 'Succeeded' },
    { name: 'a 404 listed in successCodes counts as success', status: 404, successCodes: [200, 404], phase: 'Succeeded' },
    { name: 'a 204 not listed in successCodes fails', status: 204, successCodes: [200], phase: 'Failed' },
    { name: 'a 400 fails at once without retry', status: 400, successCodes: undefined, phase: 'Failed' },
    { name: 'a 500 is retried', status: 500, successCodes: undefined, phase: 'Pending' },
    { name: 'a 503 is retried', status: 503, successCodes: undefined, phase: 'Pending' },
    { name: 'a 429 is retried', status: 429, successCodes: undefined, phase: 'Pending' },
  ] as const;
  for (const c of codes) {
    test(c.name, async () => {
      // Prepare: retries wait 1 minute, longer than the in-process wait, so the retry is left to the tick
      const server = await target(answer(c.status));
      const http = { url: `${server.url}/x`, ...(c.successCodes === undefined ? {} : { successCodes: [...c.successCodes] }) };
      const w = worldOf([httpAction('call', http, { retryPolicy: { limit: 2, interval: '1m', backoffMultiplier: '2.0' } })]);

      // Act
      const replies = await createRunAction(w.deps).onActionRequested(requested(PATH));

      // Assess
      assert.equal(w.action(PATH)?.phase, c.phase);
      assert.equal(w.action(PATH)?.outputs?.httpResponse?.statusCode, c.status);
      // the plan of one action ends with it; a retry due later leaves nothing to do until the tick
      const expected = c.phase === 'Pending' ? [] : [[EventTypes.executionFinished, c.phase]];
      assert.deepEqual(
        replies.filter((r) => r.type !== EventTypes.actionFailed).map((r) => [r.type, r.data.phase]),
        expected,
      );
      assert.equal(server.requests.length, 1);
    });
  }

  test('that fails with a status names the status, the method and the URL without its query', async () => {
    // Prepare
    const server = await target(answer(403, 'forbidden'));
    const w = worldOf([httpAction('call', { url: `${server.url}/switch?token=abc123` })]);

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    assert.equal(w.action(PATH)?.message, `HTTP 403 from GET ${server.url}/switch (expected any 2xx)`);
    assert.deepEqual(
      w.kube.events.slice(0, 2).map((e) => e.reason),
      ['ActionStarted', 'ActionFailed'],
    );
  });

  test('retries in-process with backoff while the wait is short, one Idempotency-Key per attempt', async () => {
    // Prepare: two 503s, then 200; interval 1s × 2.0
    const server = await target((_request, response, index) => {
      response.writeHead(index < 2 ? 503 : 200);
      response.end();
    });
    const w = worldOf([httpAction('call', { url: `${server.url}/x` }, { retryPolicy: { limit: 3, interval: '1s', backoffMultiplier: '2.0' } })]);

    // Act
    const replies = await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    assert.deepEqual(w.sleeps, [1000, 2000]);
    assert.deepEqual(
      server.requests.map((r) => r.headers['idempotency-key']),
      [1, 2, 3].map((n) => `${UID}/${PATH}/${n}`),
    );
    assert.equal(w.action(PATH)?.phase, 'Succeeded');
    assert.equal(w.action(PATH)?.attempt, 3);
    assert.equal(w.action(PATH)?.retryCount, 2);
    assert.deepEqual(
      w.kube.events.slice(0, 6).map((e) => e.reason),
      ['ActionStarted', 'ActionRetrying', 'ActionStarted', 'ActionRetrying', 'ActionStarted', 'ActionSucceeded'],
    );
    assert.deepEqual(
      replies.map((r) => [r.type, r.data.phase]),
      [[EventTypes.executionFinished, 'Succeeded']],
    );
  });

  test('keeps the Idempotency-Key of a request that got no answer until the target answers: then the next attempt is a new request', async () => {
    // Prepare: no answer (the attempt times out), then 503, then 200
    const server = await target((_request, response, index) => {
      if (index === 0) return;
      response.writeHead(index === 1 ? 503 : 200);
      response.end();
    });
    const w = worldOf([
      httpAction(
        'call',
        { url: `${server.url}/promote`, method: 'POST' },
        { timeout: '150ms', retryPolicy: { limit: 3, interval: '1s', backoffMultiplier: '2.0' } },
      ),
    ]);

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess: the retry after the timeout may be a repeat of a request that took effect: same key;
    // the 503 was a definite answer, so the attempt after it is a new request with its own key
    assert.deepEqual(
      server.requests.map((r) => r.headers['idempotency-key']),
      [`${UID}/${PATH}/1`, `${UID}/${PATH}/1`, `${UID}/${PATH}/3`],
    );
    assert.equal(w.action(PATH)?.phase, 'Succeeded');
    assert.equal(w.action(PATH)?.outputs?.unsettledAttempt, undefined);
  });

  test('asks again about a repeated request the target says is still in progress (409), rather than failing the action', async () => {
    // Prepare: no answer to the first request; the repeat is told 409 once, then gets the answer
    const server = await target((_request, response, index) => {
      if (index === 0) return;
      response.writeHead(index === 1 ? 409 : 200);
      response.end();
    });
    const w = worldOf([
      httpAction(
        'call',
        { url: `${server.url}/promote`, method: 'POST' },
        { timeout: '150ms', retryPolicy: { limit: 1, interval: '1s', backoffMultiplier: '2.0' } },
      ),
    ]);

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    assert.deepEqual(
      server.requests.map((r) => r.headers['idempotency-key']),
      [1, 1, 1].map((n) => `${UID}/${PATH}/${n}`),
    );
    assert.equal(w.action(PATH)?.phase, 'Succeeded');
    assert.equal(w.action(PATH)?.attempt, 2);
  });

  test('leaves a retry due later than the in-process wait to the resync tick and replies nothing', async () => {
    // Prepare
    const server = await target(answer(502));
    const w = worldOf([httpAction('call', { url: `${server.url}/x` }, { retryPolicy: { limit: 3, interval: '30s', backoffMultiplier: '2.0' } })], {
      config: { maxInlineWaitMs: 10_000 },
    });

    // Act
    const replies = await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    assert.deepEqual(w.sleeps, []);
    const action = w.action(PATH);
    assert.equal(action?.phase, 'Pending');
    assert.equal(action.attempt, 2);
    assert.equal(action.nextAttemptAt, new Date(w.clock.now().getTime() + 30_000).toISOString());
    assert.deepEqual(replies, []);
  });

  test('fails after its last retry, counting the attempts in the message', async () => {
    // Prepare
    const server = await target(answer(500));
    const w = worldOf([httpAction('call', { url: `${server.url}/x` }, { retryPolicy: { limit: 1, interval: '1s', backoffMultiplier: '2.0' } })]);

    // Act
    const replies = await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    assert.equal(server.requests.length, 2);
    assert.equal(w.action(PATH)?.phase, 'Failed');
    assert.equal(w.action(PATH)?.message, `HTTP 500 from GET ${server.url}/x (expected any 2xx) (after 2 attempts)`);
    assert.deepEqual(
      replies.filter((r) => r.type !== EventTypes.actionFailed).map((r) => [r.type, r.data.phase]),
      [[EventTypes.executionFinished, 'Failed']],
    );
  });

  test('that gets no answer within its timeout fails that attempt as retryable', async () => {
    // Prepare: a server that never answers
    const server = await target(() => undefined);
    const w = worldOf([
      httpAction('call', { url: `${server.url}/slow` }, { timeout: '150ms', retryPolicy: { limit: 0, interval: '1s', backoffMultiplier: '2.0' } }),
    ]);

    // Act
    const started = Date.now();
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    assert.ok(Date.now() - started < 5000);
    assert.equal(w.action(PATH)?.phase, 'Failed');
    assert.equal(w.action(PATH)?.message, `GET ${server.url}/slow timed out after 150ms`);
  });

  test('that times out with retries left schedules the next attempt', async () => {
    // Prepare
    const server = await target(() => undefined);
    const w = worldOf([
      httpAction('call', { url: `${server.url}/slow` }, { timeout: '100ms', retryPolicy: { limit: 2, interval: '1m', backoffMultiplier: '2.0' } }),
    ]);

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    assert.equal(w.action(PATH)?.phase, 'Pending');
    assert.match(w.action(PATH)?.message ?? '', /^attempt 1 failed: GET .* timed out after 100ms; retry 1 of 2/);
  });

  test('whose target refuses connections is retried as a network error', async () => {
    // Prepare: a port nobody listens on
    const server = await target(answer(200));
    const url = server.url;
    await server.close();
    const w = worldOf([httpAction('call', { url: `${url}/x` }, { retryPolicy: { limit: 2, interval: '1m', backoffMultiplier: '2.0' } })]);

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    assert.equal(w.action(PATH)?.phase, 'Pending');
    assert.match(w.action(PATH)?.message ?? '', /GET http:\/\/127\.0\.0\.1:\d+\/x failed: ECONNREFUSED/);
  });

  test('records at most bodyLimit characters of the response body', async () => {
    // Prepare
    const server = await target(answer(200, 'x'.repeat(5000)));
    const w = worldOf([httpAction('call', { url: `${server.url}/big`, recordResponseBody: true })], { config: { bodyLimit: 16 } });

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    assert.equal(w.action(PATH)?.outputs?.httpResponse?.body, 'x'.repeat(16));
  });

  test('records only the status code unless the action asks for the body; a recorded JSON body has its secret-looking values redacted', async () => {
    // Prepare
    const json = JSON.stringify({ region: 'b', accessToken: 'tok-123', nested: { password: 'pw', items: [{ apiKey: 'k' }] } });
    const server = await target(answer(200, json));
    const quiet = worldOf([httpAction('call', { url: `${server.url}/login` })]);
    const loud = worldOf([httpAction('call', { url: `${server.url}/login`, recordResponseBody: true })]);

    // Act
    await createRunAction(quiet.deps).onActionRequested(requested(PATH));
    await createRunAction(loud.deps).onActionRequested(requested(PATH));

    // Assess
    assert.deepEqual(quiet.action(PATH)?.outputs?.httpResponse, { statusCode: 200 });
    assert.deepEqual(JSON.parse(loud.action(PATH)?.outputs?.httpResponse?.body ?? ''), {
      region: 'b',
      accessToken: '<redacted>',
      nested: { password: '<redacted>', items: [{ apiKey: '<redacted>' }] },
    });
    const logged = JSON.stringify([quiet.log.lines, loud.log.lines]);
    assert.ok(!logged.includes('tok-123') && !logged.includes('"pw"'), 'a body reached a log line');
  });

  test('a JSON body too long to parse whole is not recorded (it could not be redacted)', async () => {
    // Prepare
    const server = await target(answer(200, `{"token":"${'t'.repeat(300_000)}"}`));
    const w = worldOf([httpAction('call', { url: `${server.url}/huge`, recordResponseBody: true })]);

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    assert.equal(w.action(PATH)?.outputs?.httpResponse?.body, '<a JSON body that could not be parsed to redact it: not recorded>');
  });

  test('follows a redirect with the same Idempotency-Key', async () => {
    // Prepare
    const server = await target((request, response) => {
      if (request.url === '/old') response.writeHead(307, { location: '/new' });
      else response.writeHead(200);
      response.end();
    });
    const w = worldOf([httpAction('call', { url: `${server.url}/old`, method: 'PUT', body: 'b' })]);

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    assert.deepEqual(
      server.requests.map((r) => [r.method, r.url, r.body, r.headers['idempotency-key']]),
      [
        ['PUT', '/old', 'b', `${UID}/${PATH}/1`],
        ['PUT', '/new', 'b', `${UID}/${PATH}/1`],
      ],
    );
    assert.equal(w.action(PATH)?.phase, 'Succeeded');
  });

  const malformed = [
    { name: 'a GET with a body', http: { url: 'http://127.0.0.1:1/x', body: 'x' }, message: 'http.body: a GET request cannot carry a body' },
    { name: 'a URL that does not parse', http: { url: 'not a url' }, message: 'http.url: "not a url" is not a valid URL' },
    {
      name: 'a scheme other than http(s)',
      http: { url: 'ftp://127.0.0.1/x' },
      message: 'http.url: ftp://127.0.0.1/x: scheme "ftp:" is not supported; use http or https',
    },
    {
      name: 'a header that cannot be sent',
      http: { url: 'http://127.0.0.1:1/x', headers: { 'bad name': 'v' } },
      message: 'http.headers: header "bad name" has an invalid name or value',
    },
  ];
  for (const c of malformed) {
    test(`written as ${c.name} fails without retry, naming the field`, async () => {
      // Prepare
      const w = worldOf([httpAction('call', c.http)]);

      // Act
      await createRunAction(w.deps).onActionRequested(requested(PATH));

      // Assess
      assert.equal(w.action(PATH)?.phase, 'Failed');
      assert.equal(w.action(PATH)?.message, c.message);
      assert.deepEqual(w.sleeps, []);
    });
  }
});

describe('a long HTTP call', () => {
  test('shows progress while it waits, so the resync does not take it for lost', async () => {
    // Prepare: the target answers after 300ms; meanwhile time moves on a minute
    const clock = new ManualClock();
    const server = await target((_request, response) => {
      clock.advance(60_000);
      setTimeout(() => response.end('done'), 300);
    });
    const w = worldOf([httpAction('call', { url: `${server.url}/slow` })], { config: { heartbeatMs: 20 }, clock });
    const claimedAt = clock.now().toISOString();
    const running: Array<string | undefined> = [];
    const write = w.kube.mergePatchStatus.bind(w.kube);
    w.kube.mergePatchStatus = async (key, patch) => {
      const stored = await write(key, patch);
      const action = findActionStatus(stored.status as DRPlanExecutionStatus, PATH);
      if (action?.phase === 'Running') running.push(action.lastUpdateTime);
      return stored;
    };

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess: the claim wrote the start time, a heartbeat the minute later, then the result
    assert.deepEqual(running, [claimedAt, new Date(Date.parse(claimedAt) + 60_000).toISOString()]);
    assert.equal(w.action(PATH)?.phase, 'Succeeded');
  });
});

describe('a re-delivered HTTP request', () => {
  test('for an ended attempt makes no second call and reports its result again, so a lost reply is not waited for', async () => {
    // Prepare: the first of two actions ran (the execution goes on)
    const server = await target(answer(200));
    const w = worldOf([httpAction('call', { url: `${server.url}/x` }), httpAction('next', { url: `${server.url}/y` })]);
    const core = createRunAction(w.deps);
    const data = requested(PATH);
    await core.onActionRequested(data);
    const statusAfterFirst = w.status();

    // Act
    const replies = await core.onActionRequested(data);

    // Assess
    assert.equal(server.requests.length, 1);
    assert.deepEqual(
      replies.map((r) => [r.type, r.data]),
      [['com.tencent.bkbcs.dr.action.finished', { ...data, phase: 'Succeeded' }]],
    );
    assert.deepEqual(w.status(), statusAfterFirst);
  });

  test('for an attempt still running elsewhere makes no call and replies nothing', async () => {
    // Prepare: the first delivery is in flight (the target has not answered yet)
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const server = await target((_request, response) => {
      void held.then(() => response.writeHead(200).end());
    });
    const w = worldOf([httpAction('call', { url: `${server.url}/x` })]);
    const core = createRunAction(w.deps);
    const data = requested(PATH);
    const first = core.onActionRequested(data);
    while (w.action(PATH)?.phase !== 'Running') await new Promise((resolve) => setTimeout(resolve, 5));

    // Act
    const replies = await core.onActionRequested(data);
    release();
    await first;

    // Assess
    assert.deepEqual(replies, []);
    assert.equal(server.requests.length, 1);
  });

  test('for an attempt that lost contact (Unknown) is sent again with the same Idempotency-Key', async () => {
    // Prepare: the first delivery ran; then the attempt is marked Unknown and requested again, as the resync does
    const server = await target(answer(503));
    const w = worldOf([httpAction('call', { url: `${server.url}/x` }, { retryPolicy: { limit: 3, interval: '1m', backoffMultiplier: '2.0' } })]);
    const core = createRunAction(w.deps);
    const data = requested(PATH);
    await core.onActionRequested(data);
    await editAction(w, PATH, (action) => {
      Object.assign(action, { phase: 'Unknown', attempt: 1, retryCount: 0, requestedAt: w.clock.now().toISOString() });
      delete action.nextAttemptAt;
    });

    // Act
    await core.onActionRequested(data);

    // Assess
    const keys = server.requests.map((r) => r.headers['idempotency-key']);
    assert.deepEqual(keys, [`${UID}/${PATH}/1`, `${UID}/${PATH}/1`]);
  });

  test('for a resumed attempt whose first request is still in progress (409) asks again with the same key until the target answers', async () => {
    // Prepare: the target is still processing the first send when the attempt is resumed: 409 three times, then the stored answer
    const server = await target((_request, response, index) => {
      response.writeHead(index < 3 ? 409 : 200).end(index < 3 ? 'in progress' : 'switched');
    });
    const w = worldOf([
      httpAction('call', { url: `${server.url}/switch`, method: 'POST', recordResponseBody: true }),
      httpAction('next', { url: `${server.url}/next` }),
    ]);
    await editAction(w, PATH, (action) => {
      Object.assign(action, { phase: 'Unknown', attempt: 1, startTime: w.clock.now().toISOString(), requestedAt: w.clock.now().toISOString() });
    });

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess: the first request here was answered 409 (the one in flight before is not ours to see)
    const sent = server.requests.filter((r) => r.url === '/switch');
    assert.deepEqual(
      sent.map((r) => r.headers['idempotency-key']),
      Array.from({ length: 4 }, () => `${UID}/${PATH}/1`),
    );
    assert.deepEqual(w.sleeps, [500, 1000, 2000]);
    assert.equal(w.action(PATH)?.phase, 'Succeeded');
    assert.equal(w.action(PATH)?.outputs?.httpResponse?.body, 'switched');
  });

  test("for a first send, a 409 is the target's answer: the action fails at once, without asking again", async () => {
    // Prepare
    const server = await target(answer(409, 'fenced'));
    const w = worldOf([httpAction('call', { url: `${server.url}/promote`, method: 'POST' })]);

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    assert.equal(server.requests.length, 1);
    assert.deepEqual(w.sleeps, []);
    assert.equal(w.action(PATH)?.phase, 'Failed');
    assert.equal(w.action(PATH)?.message, `HTTP 409 from POST ${server.url}/promote (expected any 2xx)`);
  });
});

describe('HTTP action logs', () => {
  test('never contain header values, credentials in the URL or its query string', async () => {
    // Prepare
    const server = await target(answer(500, 'oops'));
    const port = new URL(server.url).port;
    const http = { url: `http://operator:pa55word@127.0.0.1:${port}/x?token=q-s3cret`, headers: { Authorization: 'Bearer h-s3cret', 'X-Api-Key': 'k-s3cret' } };
    const w = worldOf([httpAction('call', http, { retryPolicy: { limit: 1, interval: '1s', backoffMultiplier: '2.0' } })]);

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    const text = w.log.text();
    assert.ok(w.log.lines.some((line) => line.message === 'http request'));
    for (const secret of ['h-s3cret', 'k-s3cret', 'q-s3cret', 'pa55word']) assert.ok(!text.includes(secret), `${secret} leaked into the logs`);
    assert.ok(
      !JSON.stringify(w.status())
        .replace(/"resolved":\{.*?"stageStatuses"/s, '')
        .includes('pa55word'),
    );
    assert.equal(server.requests[0]?.headers.authorization, 'Bearer h-s3cret');
  });

  test('carry the execution, stage, action and attempt', async () => {
    // Prepare
    const server = await target(answer(200));
    const w = worldOf([httpAction('call', { url: `${server.url}/x` })]);

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    const line = w.log.lines.find((l) => l.message === 'http request');
    assert.deepEqual(line?.bindings, { execution: EXEC, stage: 's', action: 'call', attempt: 1 });
  });
});

describe('an HTTP action URL', () => {
  test('with credentials has them sent as Basic authorization', async () => {
    // Prepare
    const server = await target(answer(200));
    const port = new URL(server.url).port;
    const w = worldOf([httpAction('call', { url: `http://operator:pa55%40word@127.0.0.1:${port}/x` })]);

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    assert.equal(w.action(PATH)?.phase, 'Succeeded');
    assert.equal(server.requests[0]?.headers.authorization, `Basic ${Buffer.from('operator:pa55@word').toString('base64')}`);
  });
});
