import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CloudEvent } from 'cloudevents';
import { parseEnvelope, type WakeUp } from '../../../shared/runtime/envelope.js';
import { HandlerError } from '../../../shared/errors.js';
import { EventTypes } from '../../../shared/events.js';
import { asDelivered, eventFixture } from '../../support/infra-helpers.js';

/** The wake-up without the object or data, for table comparisons. */
function summary(wake: WakeUp): Record<string, unknown> {
  switch (wake.source) {
    case 'apiserver':
      return { source: wake.source, action: wake.action, kind: wake.object.kind, name: wake.object.metadata.name };
    case 'drplan':
      return { source: wake.source, type: wake.type };
    default:
      return { ...wake };
  }
}

function assertBadEvent(run: () => unknown, message: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof HandlerError, `expected a HandlerError, got ${String(error)}`);
    assert.equal(error.code, 400);
    assert.match(error.message, message);
    return true;
  });
}

describe('the envelope', () => {
  const fixtures: Array<[string, Record<string, unknown>]> = [
    ['apiserver-drworkflow-add.json', { source: 'apiserver', action: 'add', kind: 'DRWorkflow', name: 'http-healthcheck' }],
    ['apiserver-drworkflow-update.json', { source: 'apiserver', action: 'update', kind: 'DRWorkflow', name: 'http-healthcheck' }],
    ['apiserver-drworkflow-delete.json', { source: 'apiserver', action: 'delete', kind: 'DRWorkflow', name: 'http-healthcheck' }],
    ['apiserver-drplan-update.json', { source: 'apiserver', action: 'update', kind: 'DRPlan', name: 'simple-dr-plan' }],
    ['apiserver-drplanexecution-add-execute.json', { source: 'apiserver', action: 'add', kind: 'DRPlanExecution', name: 'simple-dr-plan-exec-1' }],
    ['apiserver-drplanexecution-add-revert.json', { source: 'apiserver', action: 'add', kind: 'DRPlanExecution', name: 'simple-dr-plan-revert-1' }],
    ['apiserver-drplanexecution-update-cancel.json', { source: 'apiserver', action: 'update', kind: 'DRPlanExecution', name: 'simple-dr-plan-exec-1' }],
    ['apiserver-drplanexecution-update-deleting.json', { source: 'apiserver', action: 'update', kind: 'DRPlanExecution', name: 'simple-dr-plan-exec-1' }],
    ['apiserver-job-update.json', { source: 'apiserver', action: 'update', kind: 'Job', name: 'drplan-simple-dr-plan-exec-1-migrate-1' }],
    ['ping-resync.json', { source: 'tick' }],
    ['drplan-action-requested.json', { source: 'drplan', type: EventTypes.actionRequested }],
    ['drplan-action-finished-execute.json', { source: 'drplan', type: EventTypes.actionFinished }],
    ['drplan-action-finished-revert.json', { source: 'drplan', type: EventTypes.actionFinished }],
    ['drplan-workflow-validated.json', { source: 'drplan', type: EventTypes.workflowValidated }],
    ['drplan-plan-validated.json', { source: 'drplan', type: EventTypes.planValidated }],
    ['drplan-execution-finished.json', { source: 'drplan', type: EventTypes.executionFinished }],
  ];
  for (const [file, expected] of fixtures) {
    test(`unwraps ${file} as delivered`, () => {
      const wake = parseEnvelope(asDelivered(eventFixture(file)));
      assert.deepEqual(summary(wake), expected);
    });
  }

  test('an ApiServerSource event carries the whole object, status and managed fields included', () => {
    // Prepare
    const fixture = eventFixture('apiserver-drworkflow-update.json');
    // Act
    const wake = parseEnvelope(asDelivered(fixture));
    // Assess
    assert.equal(wake.source, 'apiserver');
    assert.deepEqual(wake.object, fixture.data);
  });

  test('our own event carries its data parsed', () => {
    const wake = parseEnvelope(asDelivered(eventFixture('drplan-action-finished-revert.json')));
    assert.deepEqual(wake, {
      source: 'drplan',
      type: EventTypes.actionFinished,
      data: {
        execution: { name: 'simple-dr-plan-revert-1', namespace: 'default', uid: '5d2c0b7a-3e1f-4a9b-8c7d-000000000002' },
        operationType: 'Revert',
        path: 'healthcheck/http-healthcheck/check',
        attempt: 1,
        phase: 'Succeeded',
      },
    });
  });

  test('a resync tick needs no data', () => {
    const { data: _data, datacontenttype: _type, ...withoutData } = eventFixture('ping-resync.json');
    assert.deepEqual(parseEnvelope(asDelivered(withoutData)), { source: 'tick' });
  });

  test('an event type that is not ours to handle is foreign', () => {
    const wake = parseEnvelope(new CloudEvent({ type: 'dev.knative.apiserver.ref.add', source: '/x', data: {} }));
    assert.deepEqual(wake, { source: 'foreign', type: 'dev.knative.apiserver.ref.add' });
  });

  describe('data encodings', () => {
    const requested = eventFixture('drplan-action-requested.json');
    const expected = parseEnvelope(asDelivered(requested));
    const encodings: Array<[string, unknown]> = [
      ['a JSON string', JSON.stringify(requested.data)],
      ['bytes', new TextEncoder().encode(JSON.stringify(requested.data))],
    ];
    for (const [name, data] of encodings) {
      test(`data given as ${name} is decoded`, () => {
        assert.deepEqual(parseEnvelope({ ...requested, data }), expected);
      });
    }

    test('data given as data_base64 is decoded', () => {
      const { data, ...rest } = requested;
      assert.deepEqual(parseEnvelope({ ...rest, data_base64: Buffer.from(JSON.stringify(data)).toString('base64') }), expected);
    });
  });

  describe('malformed events are a 400 naming the field', () => {
    const add = eventFixture('apiserver-drworkflow-add.json');
    const object = add.data as { metadata: Record<string, unknown> } & Record<string, unknown>;
    const requested = eventFixture('drplan-action-requested.json');
    const requestedData = requested.data as Record<string, unknown>;
    const finished = eventFixture('drplan-action-finished-execute.json');
    const cases: Array<[string, unknown, RegExp]> = [
      ['no event at all', undefined, /^the request is not a CloudEvent: it has no attributes$/],
      ['a body that is not an object', 'hello', /^the request is not a CloudEvent: it has no attributes$/],
      ['an event without a type', { ...add, type: undefined }, /^the request is not a CloudEvent: type is missing$/],
      ['an ApiServerSource event without data', { ...add, data: undefined }, /^dev\.knative\.apiserver\.resource\.add: data is missing$/],
      ['an object without a name', { ...add, data: { ...object, metadata: { ...object.metadata, name: undefined } } }, /data\.metadata\.name: /],
      ['an object with a numeric kind', { ...add, data: { ...object, kind: 7 } }, /data\.kind: /],
      [
        'an object with a numeric label value',
        { ...add, data: { ...object, metadata: { ...object.metadata, labels: { app: 1 } } } },
        /data\.metadata\.labels\.app: /,
      ],
      ['data that is not JSON', { ...add, data: '{"apiVersion":' }, /^dev\.knative\.apiserver\.resource\.add: data is not JSON$/],
      [
        'an action request for attempt 0',
        { ...requested, data: { ...requestedData, attempt: 0 } },
        /^com\.tencent\.bkbcs\.dr\.action\.requested: data\.attempt: /,
      ],
      ['an action request without a path', { ...requested, data: { ...requestedData, path: undefined } }, /data\.path: /],
      ['an action request with an unknown field', { ...requested, data: { ...requestedData, extra: true } }, /data: .*extra/],
      [
        'an action request whose execution has no uid',
        { ...requested, data: { ...requestedData, execution: { name: 'e', namespace: 'n' } } },
        /data\.execution\.uid: /,
      ],
      ['an action result with an unknown phase', { ...finished, data: { ...(finished.data as object), phase: 'Done' } }, /data\.phase: /],
    ];
    for (const [name, event, message] of cases) {
      test(name, () => {
        assertBadEvent(() => parseEnvelope(event), message);
      });
    }
  });
});
