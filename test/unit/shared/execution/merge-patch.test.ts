import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { mergePatchBetween } from '../../../../shared/execution/merge-patch.js';
import { mergePatchValue } from '../../../support/fake-kube.js';

describe('the merge patch between two statuses', () => {
  const cases: Array<[string, object, object, unknown]> = [
    ['equal statuses give no patch', { phase: 'Running', progress: '1/2' }, { phase: 'Running', progress: '1/2' }, undefined],
    ['a changed field is sent alone', { phase: 'Running', progress: '1/2' }, { phase: 'Running', progress: '2/2' }, { progress: '2/2' }],
    ['a removed field becomes null', { phase: 'Unknown', message: 'lost' }, { phase: 'Running' }, { phase: 'Running', message: null }],
    ['nested objects are diffed key by key', { summary: { total: 2, done: 1 } }, { summary: { total: 2, done: 2 } }, { summary: { done: 2 } }],
    [
      'a changed list is sent whole',
      { stages: [{ name: 'a' }, { name: 'b' }] },
      { stages: [{ name: 'a' }, { name: 'c' }] },
      { stages: [{ name: 'a' }, { name: 'c' }] },
    ],
    ['an undefined value counts as absent', { phase: 'Running' }, { phase: 'Running', message: undefined }, undefined],
  ];
  for (const [name, before, after, expected] of cases) {
    test(name, () => {
      assert.deepEqual(mergePatchBetween(before, after), expected);
    });
  }

  test('applied to the first status, the patch gives the second (RFC 7386)', () => {
    const json = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, fc.string(), fc.integer(), fc.boolean(), fc.array(tie('value'), { maxLength: 3 }), tie('object')),
      object: fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), tie('value'), { maxKeys: 4, noNullPrototype: true }),
    }));
    fc.assert(
      fc.property(json.object, json.object, (before, after) => {
        const patch = mergePatchBetween(before, after);
        assert.deepEqual(patch === undefined ? before : mergePatchValue(before, patch), after);
      }),
    );
  });
});
