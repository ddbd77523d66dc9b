import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { planHolds, plansHolding, planWorkflowRefs } from '../../../shared/plan-references.js';
import { planObject, ref } from '../../support/validation-helpers.js';

describe('planWorkflowRefs', () => {
  test("each workflow is listed once, an absent namespace meaning the plan's", () => {
    // Prepare
    const plan = planObject('p', [], {
      stages: [
        { name: 'a', workflows: [ref('w1'), ref('w2', 'ops')] },
        { name: 'b', workflows: [ref('w1', 'default'), ref('w3')] },
      ],
    });
    // Act, Assess
    assert.deepEqual(planWorkflowRefs(plan), [
      { name: 'w1', namespace: 'default' },
      { name: 'w2', namespace: 'ops' },
      { name: 'w3', namespace: 'default' },
    ]);
  });

  const malformed = [
    { name: 'no spec', spec: undefined },
    { name: 'stages not a list', spec: { stages: 'x' } },
    { name: 'a stage without workflows', spec: { stages: [{ name: 'a' }] } },
    { name: 'a reference without a name', spec: { stages: [{ name: 'a', workflows: [{ workflowRef: { namespace: 'x' } }, { workflowRef: 'w' }, null] }] } },
  ];
  for (const { name, spec } of malformed) {
    test(`a plan with ${name} references nothing, without throwing`, () => {
      const plan = { apiVersion: 'dr.bkbcs.tencent.com/v1alpha1', kind: 'DRPlan', metadata: { name: 'p', namespace: 'default' }, spec };
      assert.deepEqual(planWorkflowRefs(plan), []);
    });
  }

  test('a plan the schema rejects still references the workflows it names', () => {
    const plan = planObject('p', [ref('w1')], { unknownField: true, failurePolicy: 'Sometimes' });
    assert.deepEqual(planWorkflowRefs(plan), [{ name: 'w1', namespace: 'default' }]);
  });
});

describe('plansHolding', () => {
  test('lists the holders sorted, leaving out plans being deleted and plans of other workflows', () => {
    // Prepare
    const plans = [
      planObject('z', [ref('w')]),
      planObject('a', [ref('w', 'default')], {}, { namespace: 'ops' }),
      planObject('leaving', [ref('w')], {}, { deletionTimestamp: '2026-03-01T10:00:00Z' }),
      planObject('other', [ref('v')]),
    ];
    // Act, Assess
    assert.deepEqual(plansHolding(plans, { name: 'w', namespace: 'default' }), [
      { name: 'z', namespace: 'default' },
      { name: 'a', namespace: 'ops' },
    ]);
    assert.equal(planHolds(plans[2] ?? planObject('x', []), { name: 'w', namespace: 'default' }), false);
  });
});
