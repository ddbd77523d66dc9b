/**
 * The wiring with stub cores: reply mapping (204, one CloudEvent, several with the rest posted to a
 * sink), error codes, and which core handler each function's route calls for each event.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import { CloudEvent, HTTP } from 'cloudevents';
import { parseEnvelope, type WakeUp } from '../../../shared/runtime/envelope.js';
import { badEvent, conflict, HandlerError, unavailable } from '../../../shared/errors.js';
import { EventTypes } from '../../../shared/events.js';
import type { Outcome, Reply } from '../../../shared/function-deps.js';
import { KubeApiError } from '../../../shared/kube/api-error.js';
import { routeCancel, routePlanStages, routeRevert, routeRunAction, routeValidatePlan, routeValidateWorkflow } from '../../../shared/runtime/routes.js';
import { defineFunction, reconcileInterval, unknownAfter, type FunctionModule, type WiringOverrides } from '../../../shared/runtime/wiring.js';
import { FakeKube } from '../../support/fake-kube.js';
import { asDelivered, collectingLogger, eventFixture, type LogLine } from '../../support/infra-helpers.js';

const TICK = asDelivered(eventFixture('ping-resync.json'));

const requested = (path: string): Reply => ({
  type: EventTypes.actionRequested,
  subject: 'default/exec-1',
  data: { execution: { name: 'exec-1', namespace: 'default', uid: 'u1' }, operationType: 'Execute', path, attempt: 1 },
  extensions: { execution: 'exec-1', operationtype: 'Execute', partitionkey: 'default.exec-1' },
});

/** A function whose core answers every resync tick with `answer` (or throws what `answer` throws). */
function stubFunction(answer: () => Promise<Outcome>, overrides: WiringOverrides = {}): { fn: FunctionModule; lines: LogLine[]; created: () => number } {
  const log = collectingLogger();
  let creations = 0;
  const fn = defineFunction(
    {
      name: 'stub',
      create: () => {
        creations += 1;
        return { resync: answer };
      },
      route: (core, wake: WakeUp) => (wake.source === 'tick' ? core.resync() : undefined),
    },
    { kube: new FakeKube(), log, env: {}, ...overrides },
  );
  return { fn, lines: log.lines, created: () => creations };
}

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** An HTTP sink standing in for the broker ingress. */
async function startSink(status = 202): Promise<{ url: string; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      received.push({ headers: request.headers, body });
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = (): Promise<void> =>
    new Promise((resolve) => {
      server.close(() => {
        resolve();
      });
    });
  return { url: `http://127.0.0.1:${port}/`, received, close };
}

async function handlerError(run: () => Promise<unknown>): Promise<HandlerError> {
  try {
    await run();
  } catch (error: unknown) {
    assert.ok(error instanceof HandlerError, `expected a HandlerError, got ${String(error)}`);
    return error;
  }
  throw new Error('expected handle to throw');
}

describe('the wiring', () => {
  describe('replies', () => {
    test('no events from the core: nothing to return (faas-js-runtime answers 204)', async () => {
      const { fn } = stubFunction(() => Promise.resolve([]));
      assert.equal(await fn.handle({}, TICK), undefined);
    });

    test('one event: returned as a CloudEvent with its type, source, subject, data and extensions', async () => {
      // Prepare
      const { fn } = stubFunction(() => Promise.resolve([requested('s/w/a')]));
      // Act
      const reply = await fn.handle({}, TICK);
      // Assess
      assert.ok(reply instanceof CloudEvent);
      assert.deepEqual(
        { type: reply.type, source: reply.source, subject: reply.subject, datacontenttype: reply.datacontenttype, data: reply.data },
        {
          type: EventTypes.actionRequested,
          source: '/drplan-functions/stub',
          subject: 'default/exec-1',
          datacontenttype: 'application/json',
          data: requested('s/w/a').data,
        },
      );
      const headers = HTTP.binary(reply).headers;
      assert.equal(headers['ce-type'], EventTypes.actionRequested);
      assert.equal(headers['ce-execution'], 'exec-1');
      assert.equal(headers['ce-operationtype'], 'Execute');
      assert.equal(headers['ce-partitionkey'], 'default.exec-1');
    });

    test('an extension with a name the spec forbids is dropped and logged, the reply still goes', async () => {
      // Prepare
      const bad: Reply = { ...requested('s/w/a'), extensions: { execution: 'exec-1', Partition_Key: 'x', type: 'spoofed' } };
      const { fn, lines } = stubFunction(() => Promise.resolve([bad]));
      // Act
      const reply = await fn.handle({}, TICK);
      // Assess
      assert.equal(reply?.type, EventTypes.actionRequested);
      assert.deepEqual(
        Object.keys(HTTP.binary(reply as CloudEvent<unknown>).headers)
          .filter((h) => h.startsWith('ce-'))
          .sort(),
        ['ce-execution', 'ce-id', 'ce-source', 'ce-specversion', 'ce-subject', 'ce-time', 'ce-type'],
      );
      assert.deepEqual(
        lines.filter((l) => l.level === 'error').map((l) => l.object.extension),
        ['Partition_Key', 'type'],
      );
    });

    describe('several events', () => {
      let sink: Awaited<ReturnType<typeof startSink>>;
      before(async () => {
        sink = await startSink();
      });
      beforeEach(() => {
        sink.received.length = 0;
      });
      after(async () => {
        await sink.close();
      });

      test('the first is the reply and the others are posted to the sink in binary mode', async () => {
        // Prepare
        const { fn } = stubFunction(() => Promise.resolve([requested('a/w/1'), requested('a/w/2'), requested('b/w/1')]), { env: { K_SINK: sink.url } });
        // Act
        const reply = await fn.handle({}, TICK);
        // Assess
        assert.equal((reply?.data as { path?: string } | undefined)?.path, 'a/w/1');
        assert.deepEqual(sink.received.map((r) => (JSON.parse(r.body) as { path: string }).path).sort(), ['a/w/2', 'b/w/1']);
        for (const { headers } of sink.received) {
          assert.equal(headers['ce-type'], EventTypes.actionRequested);
          assert.equal(headers['ce-source'], '/drplan-functions/stub');
          assert.equal(headers['ce-partitionkey'], 'default.exec-1');
          assert.match(headers['content-type'] ?? '', /^application\/json/);
        }
      });

      test('BROKER_URL is used when K_SINK is not set', async () => {
        const { fn } = stubFunction(() => Promise.resolve([requested('a/w/1'), requested('a/w/2')]), { env: { BROKER_URL: sink.url } });
        await fn.handle({}, TICK);
        assert.equal(sink.received.length, 1);
      });

      test('a sink that refuses is logged and the reply still goes', async () => {
        // Prepare
        const refusing = await startSink(500);
        const { fn, lines } = stubFunction(() => Promise.resolve([requested('a/w/1'), requested('a/w/2')]), { env: { K_SINK: refusing.url } });
        // Act
        const reply = await fn.handle({}, TICK);
        await refusing.close();
        // Assess
        assert.equal(reply?.type, EventTypes.actionRequested);
        assert.deepEqual(
          lines.filter((l) => l.level === 'warn').map((l) => [l.message, l.object.status]),
          [['the broker refused a reply; the resync tick recovers it', 500]],
        );
      });

      test('an unreachable sink is logged and the reply still goes', async () => {
        // Prepare
        const { fn, lines } = stubFunction(() => Promise.resolve([requested('a/w/1'), requested('a/w/2')]), { env: { K_SINK: 'http://127.0.0.1:9/' } });
        // Act
        const reply = await fn.handle({}, TICK);
        // Assess
        assert.equal(reply?.type, EventTypes.actionRequested);
        assert.deepEqual(
          lines.filter((l) => l.level === 'warn').map((l) => l.message),
          ['a reply could not be sent to the broker; the resync tick recovers it'],
        );
      });

      test('without a sink the extra events are dropped and logged by type', async () => {
        // Prepare
        const { fn, lines } = stubFunction(() => Promise.resolve([requested('a/w/1'), requested('a/w/2')]));
        // Act
        const reply = await fn.handle({}, TICK);
        // Assess
        assert.equal(reply?.type, EventTypes.actionRequested);
        assert.deepEqual(
          lines.filter((l) => l.level === 'warn').map((l) => l.object.dropped),
          [[EventTypes.actionRequested]],
        );
      });
    });
  });

  describe('errors carry the HTTP status faas-js-runtime answers with', () => {
    const failures: Array<[string, () => Promise<Outcome>, number, RegExp]> = [
      ['a bad event from the core stays 400', () => Promise.reject(badEvent('data.path: unknown action')), 400, /^data\.path: unknown action$/],
      ['a lost optimistic-concurrency race stays 409', () => Promise.reject(conflict('DRPlan default/p: conflict')), 409, /conflict/],
      ['an unavailable dependency stays 503', () => Promise.reject(unavailable('API server down')), 503, /API server down/],
      [
        'a Kubernetes 409 becomes 409',
        () => Promise.reject(new KubeApiError({ code: 409, reason: 'Conflict', message: 'stale' })),
        409,
        /^stub: handling the event failed: conflict$/,
      ],
      [
        'a Kubernetes 500 becomes 503',
        () => Promise.reject(new KubeApiError({ code: 500, reason: 'InternalError', message: 'etcd' })),
        503,
        /^stub: handling the event failed: etcd$/,
      ],
      [
        'a Kubernetes 404 becomes 503 (retried: the state may change)',
        () => Promise.reject(new KubeApiError({ code: 404, reason: 'NotFound', message: 'gone' })),
        503,
        /gone/,
      ],
      ['any other error becomes 503', () => Promise.reject(new TypeError('x is undefined')), 503, /x is undefined/],
    ];
    for (const [name, answer, code, message] of failures) {
      test(name, async () => {
        const { fn } = stubFunction(answer);
        const error = await handlerError(() => fn.handle({}, TICK));
        assert.equal(error.code, code);
        assert.match(error.message, message);
      });
    }

    test('a reply the CloudEvents SDK refuses is a 503 naming the problem', async () => {
      const { fn } = stubFunction(() => Promise.resolve([{ ...requested('a/w/1'), subject: '' }]));
      const error = await handlerError(() => fn.handle({}, TICK));
      assert.equal(error.code, 503);
      assert.match(error.message, /^a reply is not a valid CloudEvent: /);
    });

    test('a malformed event is a 400 naming the field, and the core is not called', async () => {
      // Prepare
      let called = false;
      const { fn } = stubFunction(() => {
        called = true;
        return Promise.resolve([]);
      });
      const fixture = eventFixture('apiserver-drworkflow-add.json');
      const malformed = asDelivered({ ...fixture, data: { ...(fixture.data as object), metadata: {} } });
      // Act
      const error = await handlerError(() => fn.handle({}, malformed));
      // Assess
      assert.equal(error.code, 400);
      assert.match(error.message, /^dev\.knative\.apiserver\.resource\.add: data\.metadata\.name: /);
      assert.equal(called, false);
    });

    test('a plain HTTP body that is not a CloudEvent is a 400', async () => {
      const { fn } = stubFunction(() => Promise.resolve([]));
      const error = await handlerError(() => fn.handle({}, { hello: 'world' }));
      assert.deepEqual([error.code, error.message], [400, 'the request is not a CloudEvent: type is missing']);
    });

    test('a failure is logged once with the event id, type and code', async () => {
      // Prepare
      const { fn, lines } = stubFunction(() => Promise.reject(conflict('lost')));
      // Act
      await handlerError(() => fn.handle({}, TICK));
      // Assess
      assert.deepEqual(
        lines
          .map((l) => ({ level: l.level, message: l.message, ceId: l.bindings.ceId, ceType: l.bindings.ceType, code: l.object.code }))
          .filter((l) => l.message === 'event not handled'),
        [{ level: 'info', message: 'event not handled', ceId: TICK.id, ceType: 'dev.knative.sources.ping', code: 409 }],
      );
    });
  });

  test('an event the route does not take is not for this function: nothing to return', async () => {
    const { fn } = stubFunction(() => Promise.reject(new Error('must not be called')));
    assert.equal(await fn.handle({}, asDelivered(eventFixture('drplan-plan-validated.json'))), undefined);
  });

  test('init says it is ready, naming the sink without its credentials or query', () => {
    const { fn, lines } = stubFunction(() => Promise.resolve([]), { env: { K_SINK: 'http://user:s3cret@broker.local:8080/drplan/default?token=s3cret' } });
    fn.init();
    assert.deepEqual(
      lines.map((l) => [l.message, l.object.sink]),
      [['function ready', 'http://broker.local:8080/drplan/default']],
    );
  });

  test('the core is built once, however many events arrive', async () => {
    // Prepare
    const { fn, created } = stubFunction(() => Promise.resolve([]));
    // Act
    fn.init();
    await fn.handle({}, TICK);
    await fn.handle({}, TICK);
    // Assess
    assert.equal(created(), 1);
  });
});

const HANDLERS = [
  'reconcile',
  'resync',
  'onWorkflowValidated',
  'onWorkflowChanged',
  'onActionFinished',
  'onExecution',
  'onPlan',
  'onActionRequested',
  'onJob',
] as const;
type Handler = (arg?: unknown) => Promise<Outcome>;
type RecordingCore = { calls: Array<[string, unknown]> } & Record<(typeof HANDLERS)[number], Handler>;

/** A stub core of every shape that records which handler was called with what. */
function recordingCore(): RecordingCore {
  const calls: Array<[string, unknown]> = [];
  const handler =
    (name: string): Handler =>
    (arg?: unknown) => {
      calls.push([name, arg]);
      return Promise.resolve([]);
    };
  const handlers = Object.fromEntries(HANDLERS.map((name) => [name, handler(name)])) as Record<(typeof HANDLERS)[number], Handler>;
  return { calls, ...handlers };
}

type AnyRoute = (core: never, wake: WakeUp) => Promise<Outcome> | undefined;
/** Each function's route, called here with a recording core that has every handler. */
const ROUTES: Record<string, AnyRoute> = {
  'validate-workflow': routeValidateWorkflow,
  'validate-plan': routeValidatePlan,
  'plan-stages': routePlanStages,
  revert: routeRevert,
  cancel: routeCancel,
  'run-action': routeRunAction,
};

describe('routes', () => {
  const wf = { name: 'http-healthcheck', namespace: 'default' };
  const plan = { name: 'simple-dr-plan', namespace: 'default' };
  const exec = { name: 'simple-dr-plan-exec-1', namespace: 'default' };
  const revert = { name: 'simple-dr-plan-revert-1', namespace: 'default' };
  const data = (file: string): unknown => eventFixture(file).data;
  // [event fixture, function, expected handler and argument (undefined: not routed)]
  const table: Array<[string, string, [string, unknown] | undefined]> = [
    ['apiserver-drworkflow-add.json', 'validate-workflow', ['reconcile', wf]],
    ['apiserver-drworkflow-update.json', 'validate-workflow', ['reconcile', wf]],
    ['apiserver-drworkflow-delete.json', 'validate-workflow', ['reconcile', wf]],
    ['ping-resync.json', 'validate-workflow', ['resync', undefined]],
    ['apiserver-drplan-update.json', 'validate-workflow', undefined],
    ['apiserver-drplan-update.json', 'validate-plan', ['reconcile', plan]],
    ['drplan-workflow-validated.json', 'validate-plan', ['onWorkflowValidated', data('drplan-workflow-validated.json')]],
    ['apiserver-drworkflow-delete.json', 'validate-plan', ['onWorkflowChanged', wf]],
    ['apiserver-drworkflow-update.json', 'validate-plan', undefined],
    ['ping-resync.json', 'validate-plan', ['resync', undefined]],
    ['drplan-plan-validated.json', 'validate-plan', undefined],
    ['apiserver-drplanexecution-add-execute.json', 'plan-stages', ['reconcile', exec]],
    ['apiserver-drplanexecution-update-deleting.json', 'plan-stages', ['reconcile', exec]],
    ['apiserver-drplanexecution-add-revert.json', 'plan-stages', undefined],
    ['drplan-action-finished-execute.json', 'plan-stages', ['onActionFinished', data('drplan-action-finished-execute.json')]],
    ['drplan-action-finished-revert.json', 'plan-stages', undefined],
    ['ping-resync.json', 'plan-stages', ['resync', undefined]],
    ['apiserver-drplanexecution-add-revert.json', 'revert', ['reconcile', revert]],
    ['apiserver-drplanexecution-add-execute.json', 'revert', undefined],
    ['drplan-action-finished-revert.json', 'revert', ['onActionFinished', data('drplan-action-finished-revert.json')]],
    ['drplan-action-finished-execute.json', 'revert', undefined],
    ['ping-resync.json', 'revert', ['resync', undefined]],
    ['apiserver-drplanexecution-update-cancel.json', 'cancel', ['onExecution', exec]],
    ['apiserver-drplanexecution-add-execute.json', 'cancel', undefined],
    ['apiserver-drplan-update.json', 'cancel', ['onPlan', plan]],
    ['ping-resync.json', 'cancel', undefined],
    ['drplan-action-requested.json', 'run-action', ['onActionRequested', data('drplan-action-requested.json')]],
    ['apiserver-job-update.json', 'run-action', ['onJob', data('apiserver-job-update.json')]],
    ['drplan-action-finished-execute.json', 'run-action', undefined],
    ['ping-resync.json', 'run-action', undefined],
  ];
  for (const [file, name, expected] of table) {
    test(`${name}: ${file} → ${expected === undefined ? 'not routed' : expected[0]}`, async () => {
      // Prepare
      const core = recordingCore();
      const route = ROUTES[name] as (core: RecordingCore, wake: WakeUp) => Promise<Outcome> | undefined;
      // Act
      const pending = route(core, parseEnvelope(asDelivered(eventFixture(file))));
      await pending;
      // Assess
      assert.equal(pending === undefined, expected === undefined);
      assert.deepEqual(core.calls, expected === undefined ? [] : [expected]);
    });
  }

  test('an object of our kind without a namespace is a 400 naming the field', () => {
    const fixture = eventFixture('apiserver-drworkflow-add.json');
    const object = fixture.data as { metadata: Record<string, unknown> };
    const wake = parseEnvelope(asDelivered({ ...fixture, data: { ...object, metadata: { ...object.metadata, namespace: undefined } } }));
    assert.throws(
      () => routeValidateWorkflow(recordingCore(), wake),
      (error: unknown) => {
        assert.ok(error instanceof HandlerError);
        assert.equal(error.code, 400);
        assert.equal(error.message, 'DRWorkflow http-healthcheck: data.metadata.namespace is missing');
        return true;
      },
    );
  });
});

describe('RECONCILE_INTERVAL', () => {
  const cases: { value: string | undefined; expected: number | string }[] = [
    { value: undefined, expected: 30_000 },
    { value: '', expected: 30_000 },
    { value: '10s', expected: 10_000 },
    { value: '1m30s', expected: 90_000 },
    { value: '0s', expected: 'RECONCILE_INTERVAL: must be a positive Go duration such as 30s or 1m, got "0s"' },
    { value: '30', expected: 'RECONCILE_INTERVAL: must be a positive Go duration such as 30s or 1m, got "30"' },
  ];
  for (const { value, expected } of cases) {
    test(`${JSON.stringify(value)} gives ${typeof expected === 'number' ? `${expected} ms` : 'a start-up error naming the variable'}`, () => {
      const env = value === undefined ? {} : { RECONCILE_INTERVAL: value };
      if (typeof expected === 'number') assert.equal(reconcileInterval(env), expected);
      else assert.throws(() => reconcileInterval(env), { message: expected });
    });
  }
});

describe('UNKNOWN_AFTER', () => {
  const cases: { value: string | undefined; expected: number | undefined | string }[] = [
    { value: undefined, expected: undefined },
    { value: '', expected: undefined },
    { value: '4s', expected: 4000 },
    { value: '0s', expected: 'UNKNOWN_AFTER: must be a positive Go duration such as 2m or 30s, got "0s"' },
    { value: '120', expected: 'UNKNOWN_AFTER: must be a positive Go duration such as 2m or 30s, got "120"' },
  ];
  for (const { value, expected } of cases) {
    test(`${JSON.stringify(value)} gives ${typeof expected === 'string' ? 'a start-up error naming the variable' : expected === undefined ? "the engine's 2 minutes" : `${expected} ms`}`, () => {
      const env = value === undefined ? {} : { UNKNOWN_AFTER: value };
      if (typeof expected === 'string') assert.throws(() => unknownAfter(env), { message: expected });
      else assert.equal(unknownAfter(env), expected);
    });
  }
});
