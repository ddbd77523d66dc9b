import { test } from 'node:test';
import assert from 'node:assert/strict';
import { badEvent, HandlerError, isConflict, isNotFound, statusCodeOf, toHandlerError } from '../../../shared/errors.js';
import { EventTypes, Extensions, isValidExtensionName, SourceEventTypes } from '../../../shared/events.js';

test('a Kubernetes 409 maps to a retried conflict, keeping the cause', () => {
  const apiError = Object.assign(new Error('the object has been modified'), { code: 409 });
  const mapped = toHandlerError(apiError, 'patch status');
  assert.equal(mapped.code, 409);
  assert.equal(mapped.cause, apiError);
  assert.ok(isConflict(apiError));
});

test('429, 5xx and network errors map to 503 so the broker retries', () => {
  for (const error of [Object.assign(new Error('slow down'), { code: 429 }), Object.assign(new Error('boom'), { code: 500 }), new Error('ECONNREFUSED')]) {
    assert.equal(toHandlerError(error, 'get plan').code, 503);
  }
});

test('a HandlerError passes through the boundary unchanged', () => {
  const original = badEvent('data is not a DRPlanExecution');
  assert.equal(toHandlerError(original, 'x'), original);
  assert.ok(original instanceof HandlerError);
  assert.equal(original.code, 400);
});

test('status codes are read from the shapes the Kubernetes client produces', () => {
  assert.equal(statusCodeOf({ code: 404 }), 404);
  assert.equal(statusCodeOf({ response: { statusCode: 410 } }), 410);
  assert.equal(statusCodeOf({ code: 'ECONNRESET' }), undefined);
  assert.ok(isNotFound({ statusCode: 404 }));
});

test('every extension attribute name is valid for CloudEvents', () => {
  for (const name of Object.values(Extensions)) assert.ok(isValidExtensionName(name), name);
  assert.equal(isValidExtensionName('operationType'), false);
  assert.equal(isValidExtensionName('partition_key'), false);
});

test("our event types never collide with the sources' types", () => {
  const ours = new Set<string>(Object.values(EventTypes));
  for (const type of Object.values(SourceEventTypes)) assert.equal(ours.has(type), false);
  assert.equal(ours.size, Object.values(EventTypes).length);
});
