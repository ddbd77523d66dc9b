import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { Condition } from '../../../shared/api/index.js';
import { MAX_CONDITION_MESSAGE, problemsMessage, sameConditions, setCondition, type ConditionInput } from '../../../shared/conditions.js';
import { problem } from '../../../shared/engine/problems.js';

const T0 = new Date('2026-03-01T10:00:00.000Z');
const T1 = new Date('2026-03-01T11:00:00.000Z');
const ready = (status: Condition['status'], reason = 'Valid', message = 'valid'): ConditionInput => ({
  type: 'Ready',
  status,
  reason,
  message,
  observedGeneration: 1,
});

describe('setCondition', () => {
  test('a new condition type is appended with now as its transition time', () => {
    // Prepare
    const other: Condition = { type: 'Other', status: 'True', reason: 'X', message: '', lastTransitionTime: T0.toISOString() };
    // Act
    const conditions = setCondition([other], ready('True'), T1);
    // Assess
    assert.deepEqual(conditions, [other, { ...ready('True'), lastTransitionTime: T1.toISOString() }]);
  });

  test('the transition time is kept when only the reason or message changes', () => {
    // Prepare
    const before = setCondition(undefined, ready('False', 'Invalid', 'a: required'), T0);
    // Act
    const after = setCondition(before, ready('False', 'InUse', 'held by DRPlan default/p'), T1);
    // Assess
    assert.deepEqual(after, [{ ...ready('False', 'InUse', 'held by DRPlan default/p'), lastTransitionTime: T0.toISOString() }]);
  });

  test('the transition time moves when the status changes', () => {
    // Prepare
    const before = setCondition(undefined, ready('False', 'Invalid', 'a: required'), T0);
    // Act
    const after = setCondition(before, ready('True'), T1);
    // Assess
    assert.equal(after[0]?.lastTransitionTime, T1.toISOString());
  });

  test('an absent observedGeneration leaves no undefined key behind', () => {
    // Act
    const [condition] = setCondition([], { type: 'Ready', status: 'True', reason: 'Valid', message: 'valid' }, T0);
    // Assess
    assert.deepEqual(Object.keys(condition ?? {}).sort(), ['lastTransitionTime', 'message', 'reason', 'status', 'type']);
  });

  test('property: one condition per type, and the time moves exactly when the status changes', () => {
    const input = fc.record({
      type: fc.constantFrom('Ready', 'Other'),
      status: fc.constantFrom('True', 'False', 'Unknown'),
      reason: fc.constantFrom('A', 'B'),
      message: fc.string(),
    });
    fc.assert(
      fc.property(fc.array(input, { minLength: 1, maxLength: 12 }), (steps) => {
        let conditions: Condition[] = [];
        steps.forEach((step, index) => {
          const now = new Date(T0.getTime() + index * 1000);
          const previous = conditions.find(({ type }) => type === step.type);
          conditions = setCondition(conditions, step, now);
          const current = conditions.find(({ type }) => type === step.type);
          const moved = previous === undefined || previous.status !== step.status;
          assert.equal(current?.lastTransitionTime, moved ? now.toISOString() : previous.lastTransitionTime);
          assert.equal(new Set(conditions.map(({ type }) => type)).size, conditions.length);
        });
      }),
    );
  });
});

describe('sameConditions', () => {
  const at = (time: Date): Condition[] => setCondition(undefined, ready('True'), time);
  const cases = [
    { name: 'lists that differ only in transition time are the same', a: at(T0), b: at(T1), same: true },
    { name: 'an absent list and an empty one are the same', a: undefined, b: [], same: true },
    { name: 'a different message is a difference', a: at(T0), b: setCondition(undefined, ready('True', 'Valid', 'valid; warning: x'), T0), same: false },
    {
      name: 'a different observedGeneration is a difference',
      a: at(T0),
      b: setCondition(undefined, { ...ready('True'), observedGeneration: 2 }, T0),
      same: false,
    },
    { name: 'a missing condition is a difference', a: at(T0), b: [], same: false },
  ];
  for (const { name, a, b, same } of cases) {
    test(name, () => {
      assert.equal(sameConditions(a, b), same);
    });
  }
});

describe('problemsMessage', () => {
  test('names each field, then the warnings marked as such', () => {
    // Act
    const message = problemsMessage([problem('spec.actions[2].http.url', 'required'), problem('', 'not an object')], [problem('spec.x', 'unused')], 'valid');
    // Assess
    assert.equal(message, 'spec.actions[2].http.url: required; not an object; warning: spec.x: unused');
  });

  test('says the given text when there is nothing to report', () => {
    assert.equal(problemsMessage([], [], 'valid'), 'valid');
  });

  test('a long list is cut at a whole entry and says how many more there are', () => {
    // Prepare
    const many = Array.from({ length: 400 }, (_, i) => problem(`spec.actions[${i}].http.url`, 'required'));
    // Act
    const message = problemsMessage(many, [], 'valid');
    // Assess
    assert.ok(message.length <= MAX_CONDITION_MESSAGE, `length ${message.length}`);
    const match = /; and (\d+) more$/.exec(message);
    assert.ok(match, message.slice(-80));
    const shown = message.split('; ').length - 1;
    assert.equal(shown + Number(match[1]), many.length);
  });
});
