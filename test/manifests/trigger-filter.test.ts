import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { filterMatches, triggerMatches } from './trigger-filter.js';

const event = { type: 'com.tencent.bkbcs.dr.action.finished', source: '/drplan-functions/run-action', operationtype: 'Execute' };

describe('a Trigger filter, as the tests of the manifests evaluate it', () => {
  const cases: Array<{ name: string; filter: unknown; matches: boolean }> = [
    { name: 'exact on equal attributes matches', filter: { exact: { type: event.type, operationtype: 'Execute' } }, matches: true },
    { name: 'exact is case-sensitive', filter: { exact: { operationtype: 'execute' } }, matches: false },
    { name: 'exact on an attribute the event lacks does not match', filter: { exact: { kind: 'Job' } }, matches: false },
    { name: 'prefix matches the start of the value', filter: { prefix: { type: 'com.tencent.bkbcs.dr.' } }, matches: true },
    { name: 'suffix matches the end of the value', filter: { suffix: { source: '/run-action' } }, matches: true },
    { name: 'suffix that is not the end does not match', filter: { suffix: { source: '/drplan-functions' } }, matches: false },
    { name: 'all needs every inner filter', filter: { all: [{ prefix: { type: 'com.' } }, { exact: { operationtype: 'Revert' } }] }, matches: false },
    { name: 'any needs one inner filter', filter: { any: [{ exact: { operationtype: 'Revert' } }, { exact: { operationtype: 'Execute' } }] }, matches: true },
    { name: 'not inverts its filter', filter: { not: { exact: { operationtype: 'Execute' } } }, matches: false },
  ];
  for (const c of cases) {
    test(c.name, () => {
      // Act
      const matched = filterMatches(c.filter, event);

      // Assess
      assert.equal(matched, c.matches);
    });
  }

  test('a dialect it does not evaluate is refused by name, not guessed', () => {
    // Act / Assess
    assert.throws(() => filterMatches({ cesql: "type = 'x'" }, event), { message: 'filter dialect cesql is not evaluated by these tests' });
  });

  test('filters, when set, decide alone: every entry must match and the legacy filter is ignored', () => {
    // Prepare
    const spec = { filter: { attributes: { type: 'other' } }, filters: [{ exact: { type: event.type } }, { exact: { operationtype: 'Execute' } }] };

    // Act / Assess
    assert.equal(triggerMatches(spec, event), true);
    assert.equal(triggerMatches({ ...spec, filters: [...spec.filters, { exact: { operationtype: 'Revert' } }] }, event), false);
  });

  test('the legacy attributes filter matches exactly, an empty value matching anything, and no filter matches all', () => {
    // Act / Assess
    assert.equal(triggerMatches({ filter: { attributes: { type: event.type, source: '' } } }, event), true);
    assert.equal(triggerMatches({ filter: { attributes: { type: 'other' } } }, event), false);
    assert.equal(triggerMatches({}, event), true);
  });
});
