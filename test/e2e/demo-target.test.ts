/**
 * The demo target the drill and the end-to-end tests point HTTP actions at: what it records, how it
 * honours Idempotency-Key, the behaviour it takes for tests, its control endpoints, and the
 * application it plays. Real HTTP on 127.0.0.1; no stack needed.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { startDemoTarget, type DemoTarget } from '../../local/demo-target/index.js';

interface Sent {
  status: number;
  json: unknown;
}

async function send(
  target: DemoTarget,
  method: string,
  path: string,
  options: { key?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Sent> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key !== undefined) headers['Idempotency-Key'] = options.key;
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  const body = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  const response = await fetch(`${target.url}${path}`, { method, headers, body });
  const text = await response.text();
  return { status: response.status, json: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

describe('the demo target', () => {
  let target: DemoTarget;

  before(async () => {
    target = await startDemoTarget();
  });

  afterEach(() => {
    target.reset();
  });

  after(async () => {
    await target.stop();
  });

  describe('recording', () => {
    test('records method, path, query, headers, Idempotency-Key, body and times of each request', async () => {
      // Prepare
      const before = Date.now();
      // Act
      await send(target, 'POST', '/traffic/switch?dry=no', { key: 'k-1', body: { to: 'secondary' }, headers: { 'X-Trace': 't1' } });
      // Assess
      const [request] = target.requests();
      assert.ok(request !== undefined);
      assert.equal(request.seq, 1);
      assert.equal(request.method, 'POST');
      assert.equal(request.path, '/traffic/switch');
      assert.equal(request.query, 'dry=no');
      assert.equal(request.idempotencyKey, 'k-1');
      assert.equal(request.headers['idempotency-key'], 'k-1');
      assert.equal(request.headers['x-trace'], 't1');
      assert.equal(request.body, '{"to":"secondary"}');
      assert.equal(request.status, 200);
      assert.equal(request.outcome, 'handled');
      assert.equal(request.duplicate, false);
      assert.ok(request.startedMs >= before && (request.finishedMs ?? 0) >= request.startedMs);
      assert.equal(request.time, new Date(request.startedMs).toISOString());
    });

    test('records credentials headers as redacted', async () => {
      await send(target, 'GET', '/traffic', { headers: { Authorization: 'Bearer secret', Cookie: 'session=1' } });
      const [request] = target.requests();
      assert.ok(request !== undefined);
      assert.equal(request.headers.authorization, '<redacted>');
      assert.equal(request.headers.cookie, '<redacted>');
    });

    test('does not record requests to its control endpoints', async () => {
      await send(target, 'GET', '/_requests');
      await send(target, 'GET', '/_state');
      assert.deepEqual(target.requests(), []);
    });
  });

  describe('Idempotency-Key', () => {
    test('a repeated key returns the first answer without applying the effect again, and counts a duplicate', async () => {
      // Prepare
      const first = await send(target, 'POST', '/traffic/switch', { key: 'switch-1', body: { to: 'secondary' } });
      await send(target, 'POST', '/traffic/switch-back');
      // Act
      const again = await send(target, 'POST', '/traffic/switch', { key: 'switch-1', body: { to: 'secondary' } });
      // Assess
      assert.deepEqual(again, first);
      assert.equal(target.state().traffic, 'primary');
      assert.equal(target.duplicates(), 1);
      assert.deepEqual(
        target.requests().map((r) => [r.outcome, r.duplicate]),
        [
          ['handled', false],
          ['handled', false],
          ['replayed', true],
        ],
      );
    });

    test('a key reused for a different request is refused with 422 naming the key', async () => {
      await send(target, 'POST', '/traffic/switch', { key: 'k', body: { to: 'secondary' } });
      const reused = await send(target, 'POST', '/primary/maintenance', { key: 'k', body: { enabled: true } });
      assert.equal(reused.status, 422);
      assert.deepEqual(reused.json, { error: 'Idempotency-Key k was already used for a different request' });
      assert.equal(target.state().maintenance.primary, false);
    });

    test('a repeat that arrives while the first is still running gets 409 and applies nothing', async () => {
      // Prepare
      target.inject({ path: '/db/fence', delayMs: 1500 });
      // Act: the repeat once the first has arrived and is being held
      const first = send(target, 'POST', '/db/fence', { key: 'fence-1', body: { site: 'primary' } });
      while (!target.requests().some((r) => r.finishedMs === undefined)) await new Promise((resolve) => setTimeout(resolve, 5));
      const repeat = await send(target, 'POST', '/db/fence', { key: 'fence-1', body: { site: 'primary' } });
      // Assess
      assert.equal(repeat.status, 409);
      assert.deepEqual(repeat.json, { error: 'a request with Idempotency-Key fence-1 is still being processed' });
      assert.equal((await first).status, 200);
      assert.deepEqual(target.state().fenced, ['primary']);
      assert.equal(target.duplicates(), 1);
    });

    test('an answer of 5xx is not kept, so the same key may be tried again', async () => {
      // Prepare
      target.inject({ path: '/traffic/switch', failTimes: 1 });
      const failed = await send(target, 'POST', '/traffic/switch', { key: 'k', body: { to: 'secondary' } });
      // Act
      const retried = await send(target, 'POST', '/traffic/switch', { key: 'k', body: { to: 'secondary' } });
      // Assess
      assert.equal(failed.status, 503);
      assert.equal(retried.status, 200);
      assert.equal(target.state().traffic, 'secondary');
      assert.equal(target.duplicates(), 0);
    });

    test('applies each distinct key once, whatever the order and number of repeats', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { minLength: 1, maxLength: 8 }), async (keys) => {
          target.reset();
          for (const key of keys) await send(target, 'POST', '/db/fence', { key, body: { site: 'primary' } });
          const handled = target
            .requests()
            .filter((r) => r.outcome === 'handled')
            .map((r) => r.idempotencyKey);
          assert.deepEqual(handled, [...new Set(keys)]);
          assert.equal(target.duplicates(), keys.length - new Set(keys).size);
        }),
        { numRuns: 40 },
      );
    });
  });

  describe('injected behaviour', () => {
    test('fails the first N requests, then answers normally', async () => {
      target.inject({ path: '/primary/health', failTimes: 2, status: 502 });
      const statuses = [];
      for (let i = 0; i < 3; i += 1) statuses.push((await send(target, 'GET', '/primary/health')).status);
      assert.deepEqual(statuses, [502, 502, 200]);
      assert.deepEqual(
        target.requests().map((r) => r.outcome),
        ['injected', 'injected', 'handled'],
      );
    });

    test('fails every request when told to always fail, and applies nothing', async () => {
      target.inject({ path: '/traffic/switch', alwaysFail: true, status: 500 });
      const statuses = [];
      for (let i = 0; i < 3; i += 1) statuses.push((await send(target, 'POST', '/traffic/switch', { body: { to: 'secondary' } })).status);
      assert.deepEqual(statuses, [500, 500, 500]);
      assert.equal(target.state().traffic, 'primary');
    });

    test('applies a behaviour only to its method', async () => {
      target.inject({ method: 'post', path: '/primary/maintenance', alwaysFail: true });
      assert.equal((await send(target, 'POST', '/primary/maintenance', { body: { enabled: true } })).status, 503);
      assert.equal((await send(target, 'GET', '/primary/health')).status, 200);
    });

    test('delays the answer by delayMs', async () => {
      target.inject({ path: '/traffic', delayMs: 250 });
      const started = Date.now();
      await send(target, 'GET', '/traffic');
      const [request] = target.requests();
      assert.ok(Date.now() - started >= 240);
      assert.ok((request?.finishedMs ?? 0) - (request?.startedMs ?? 0) >= 240);
    });

    test('a reset forgets requests, keys and state, and re-arms the start behaviours', async () => {
      // Prepare
      const armed = await startDemoTarget({ behaviours: [{ path: '/traffic', failTimes: 1 }] });
      try {
        await send(armed, 'GET', '/traffic');
        await send(armed, 'POST', '/traffic/switch', { key: 'k', body: { to: 'secondary' } });
        // Act
        armed.reset();
        // Assess
        assert.deepEqual(armed.requests(), []);
        assert.equal(armed.state().traffic, 'primary');
        assert.equal((await send(armed, 'GET', '/traffic')).status, 503);
        assert.equal((await send(armed, 'POST', '/traffic/switch', { key: 'k', body: { to: 'secondary' } })).status, 200);
        assert.equal(armed.duplicates(), 0);
      } finally {
        await armed.stop();
      }
    });

    test('an invalid behaviour at start is refused naming its field', async () => {
      await assert.rejects(startDemoTarget({ behaviours: [{ path: '/a' }, { path: '/b', status: 200 }] }), { message: /^behaviours\[1\]\.status: / });
      await assert.rejects(startDemoTarget({ behaviours: [{ path: 'traffic' }] }), { message: /^behaviours\[0\]\.path: / });
    });

    test('an injected behaviour is refused naming its field', () => {
      assert.throws(
        () => {
          target.inject({ path: '/a', delayMs: -1 });
        },
        { message: /^behaviour\.delayMs: / },
      );
    });
  });

  describe('control endpoints', () => {
    test('GET /_requests lists the recorded requests and the duplicate count', async () => {
      await send(target, 'GET', '/primary/health', { key: 'h' });
      await send(target, 'GET', '/primary/health', { key: 'h' });
      const listed = await send(target, 'GET', '/_requests');
      const body = listed.json as { requests: { path: string; idempotencyKey: string }[]; duplicates: number };
      assert.equal(listed.status, 200);
      assert.deepEqual(
        body.requests.map((r) => [r.path, r.idempotencyKey]),
        [
          ['/primary/health', 'h'],
          ['/primary/health', 'h'],
        ],
      );
      assert.equal(body.duplicates, 1);
    });

    test('POST /_reset answers 204 and forgets everything', async () => {
      await send(target, 'POST', '/traffic/switch', { body: { to: 'secondary' } });
      const reset = await send(target, 'POST', '/_reset');
      assert.equal(reset.status, 204);
      assert.deepEqual(target.requests(), []);
      assert.deepEqual((await send(target, 'GET', '/_state')).json, {
        traffic: 'primary',
        maintenance: { primary: false, secondary: false },
        database: 'primary',
        fenced: [],
      });
    });

    test('POST /_behaviours arms a behaviour, and answers 400 naming the field of an invalid one', async () => {
      const added = await send(target, 'POST', '/_behaviours', { body: { path: '/traffic', alwaysFail: true, status: 500 } });
      const invalid = await send(target, 'POST', '/_behaviours', { body: { path: '/traffic', failTimes: 'twice' } });
      assert.equal(added.status, 201);
      assert.equal((await send(target, 'GET', '/traffic')).status, 500);
      assert.equal(invalid.status, 400);
      assert.match((invalid.json as { error: string }).error, /^body\.failTimes: /);
    });

    test('an unknown control path is a 404 listing the control endpoints', async () => {
      const answer = await send(target, 'GET', '/_nope');
      assert.equal(answer.status, 404);
      assert.match((answer.json as { error: string }).error, /GET \/_requests/);
    });
  });

  describe('the application', () => {
    const flows = [
      {
        name: 'the traffic switch moves the traffic to the given site',
        steps: [
          ['POST', '/traffic/switch', { to: 'secondary' }],
          ['GET', '/traffic'],
        ],
        last: { traffic: 'secondary' },
        state: { traffic: 'secondary' },
      },
      {
        name: 'switch-back returns the traffic to the primary',
        steps: [
          ['POST', '/traffic/switch', { to: 'secondary' }],
          ['POST', '/traffic/switch-back'],
        ],
        last: { traffic: 'primary' },
        state: { traffic: 'primary' },
      },
      {
        name: 'maintenance mode is set per site',
        steps: [['POST', '/secondary/maintenance', { enabled: true }]],
        last: { site: 'secondary', maintenance: true },
        state: { maintenance: { primary: false, secondary: true } },
      },
      {
        name: 'fence and unfence keep the list of fenced databases',
        steps: [
          ['POST', '/db/fence', { site: 'primary' }],
          ['POST', '/db/fence', { site: 'secondary' }],
          ['POST', '/db/unfence', { site: 'primary' }],
        ],
        last: { fenced: ['secondary'] },
        state: { fenced: ['secondary'] },
      },
      {
        name: 'promote makes the secondary database the primary by default',
        steps: [
          ['POST', '/db/promote'],
          ['GET', '/db/status'],
        ],
        last: { primary: 'secondary', fenced: [] },
        state: { database: 'secondary' },
      },
      {
        name: 'a site serves only when it has the traffic',
        steps: [
          ['POST', '/traffic/switch', { to: 'secondary' }],
          ['GET', '/secondary/serving'],
        ],
        last: { site: 'secondary', serving: true },
        state: {},
      },
    ] as const;

    for (const flow of flows) {
      test(flow.name, async () => {
        let last: Sent | undefined;
        for (const [method, path, body] of flow.steps) last = await send(target, method, path, { body });
        assert.equal(last?.status, 200);
        assert.deepEqual(last.json, flow.last);
        const state: Record<string, unknown> = { ...target.state() };
        for (const [field, value] of Object.entries(flow.state)) assert.deepEqual(state[field], value, field);
      });
    }

    const refusals = [
      {
        name: 'a switch to an unknown site is a 400 naming body.to',
        method: 'POST',
        path: '/traffic/switch',
        body: { to: 'moon' },
        status: 400,
        error: /^body\.to: /,
      },
      {
        name: 'maintenance without enabled is a 400 naming body.enabled',
        method: 'POST',
        path: '/primary/maintenance',
        body: {},
        status: 400,
        error: /^body\.enabled: /,
      },
      { name: 'a body that is not JSON is a 400', method: 'POST', path: '/db/fence', body: '{not json', status: 400, error: /^body: not JSON/ },
      { name: 'the site that does not serve answers 503', method: 'GET', path: '/secondary/serving', body: undefined, status: 503, error: undefined },
      {
        name: 'an unknown endpoint is a 404 listing the endpoints',
        method: 'GET',
        path: '/nowhere',
        body: undefined,
        status: 404,
        error: /POST \/traffic\/switch/,
      },
      {
        name: 'a known path with the wrong method is a 405',
        method: 'DELETE',
        path: '/traffic/switch',
        body: undefined,
        status: 405,
        error: /^DELETE is not allowed on \/traffic\/switch$/,
      },
    ] as const;

    for (const refusal of refusals) {
      test(refusal.name, async () => {
        const answer = await send(target, refusal.method, refusal.path, { body: refusal.body });
        assert.equal(answer.status, refusal.status);
        if (refusal.error !== undefined) assert.match((answer.json as { error: string }).error, refusal.error);
        assert.equal(target.state().traffic, 'primary');
      });
    }

    test('promoting a fenced database is refused with 409', async () => {
      await send(target, 'POST', '/db/fence', { body: { site: 'secondary' } });
      const answer = await send(target, 'POST', '/db/promote', { body: { site: 'secondary' } });
      assert.equal(answer.status, 409);
      assert.deepEqual(answer.json, { error: 'body.site: the secondary database is fenced and cannot be promoted' });
      assert.equal(target.state().database, 'primary');
    });
  });
});
