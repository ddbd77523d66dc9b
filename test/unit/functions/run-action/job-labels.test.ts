import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { AttemptIdentity } from '../../../../shared/job-labels.js';
import {
  attemptSelector,
  isOwnedBy,
  JOB_SELECTOR,
  jobName,
  labelSafe,
  ownershipAnnotations,
  ownershipLabels,
  readOwnership,
} from '../../../../shared/job-labels.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

const id = (extra: Partial<AttemptIdentity> = {}): AttemptIdentity => ({
  execution: { name: 'failover-1', namespace: 'dr', uid: '7f0c6a52-1b7e-4c55-9d1e-3a2f7c1d0e42' },
  path: 'db/0/restore',
  attempt: 1,
  ...extra,
});

const identities = fc.record({
  execution: fc.record({ name: fc.string({ minLength: 1, maxLength: 253 }), namespace: fc.constant('dr'), uid: fc.uuid() }),
  path: fc.string({ minLength: 1, maxLength: 300 }),
  attempt: fc.integer({ min: 1, max: 1000 }),
});

describe('the Job name of an attempt', () => {
  test('reads as execution, action, hash and attempt', () => {
    assert.match(jobName(id(), 'restore'), /^failover-1-restore-[0-9a-f]{6}-1$/);
  });

  test('is the same for the same attempt every time', () => {
    assert.equal(jobName(id(), 'restore'), jobName(id(), 'restore'));
  });

  const distinct = [
    { name: 'the next attempt', other: id({ attempt: 2 }) },
    { name: 'the same workflow used again in the stage', other: id({ path: 'db/1/restore' }) },
    { name: 'an execution re-created under the same name', other: id({ execution: { ...id().execution, uid: '00000000-0000-4000-8000-000000000000' } }) },
  ];
  for (const c of distinct) {
    test(`differs for ${c.name}`, () => {
      assert.notEqual(jobName(c.other, 'restore'), jobName(id(), 'restore'));
    });
  }

  test('is a DNS-1123 label of at most 63 characters, whatever the names', () => {
    fc.assert(
      fc.property(identities, fc.string({ maxLength: 120 }), (identity, action) => {
        const name = jobName(identity, action);
        return name.length <= 63 && DNS_LABEL.test(name) && name.endsWith(`-${identity.attempt}`);
      }),
    );
  });

  test('keeps the attempt and the hash when a long name is shortened', () => {
    const name = jobName(id({ execution: { ...id().execution, name: 'x'.repeat(200) } }), 'a-very-long-action-name');
    assert.equal(name.length, 63);
    assert.match(name, /^x+-[0-9a-f]{6}-1$/);
  });
});

describe('the ownership labels', () => {
  test('are valid label values, whatever the names', () => {
    fc.assert(fc.property(identities, (identity) => Object.values(ownershipLabels(identity)).every((value) => value.length <= 63 && LABEL_VALUE.test(value))));
  });

  test('are read back into the attempt identity, with the annotations', () => {
    fc.assert(
      fc.property(identities, (identity) => {
        const read = readOwnership({ labels: ownershipLabels(identity), annotations: ownershipAnnotations(identity) });
        assert.deepEqual(read, structuredClone(identity));
      }),
    );
  });

  test('carry the selector the Job source watches', () => {
    const [key, value] = JOB_SELECTOR.split('=');
    assert.equal(ownershipLabels(id())[key ?? ''], value);
  });

  test("mark an object as this action's whatever the attempt, and not another action's", () => {
    const metadata = { labels: ownershipLabels(id({ attempt: 3 })) };
    assert.equal(isOwnedBy(metadata, id()), true);
    assert.equal(isOwnedBy(metadata, id({ path: 'db/0/other' })), false);
    assert.equal(isOwnedBy({ labels: { app: 'x' } }, id()), false);
  });

  test('select one attempt of one action', () => {
    const selector = attemptSelector(id().execution.uid, 'db/0/restore', 2);
    const labels = ownershipLabels(id({ attempt: 2 }));
    const matches = selector.split(',').every((term) => {
      const [key = '', value] = term.split('=');
      return labels[key] === value;
    });
    assert.equal(matches, true);
  });

  const unreadable = [
    { name: 'without managed-by', drop: 'app.kubernetes.io/managed-by' },
    { name: 'without the attempt', drop: 'dr.bkbcs.tencent.com/attempt' },
    { name: 'without the action path annotation', drop: 'dr.bkbcs.tencent.com/action-path' },
  ];
  for (const c of unreadable) {
    test(`are not read from metadata ${c.name}`, () => {
      const labels = { ...ownershipLabels(id()) };
      const annotations = { ...ownershipAnnotations(id()) };
      Reflect.deleteProperty(labels, c.drop);
      Reflect.deleteProperty(annotations, c.drop);
      assert.equal(readOwnership({ labels, annotations }), undefined);
    });
  }
});

describe('a label-safe value', () => {
  test('is the value itself when it is a valid label value', () => {
    assert.equal(labelSafe('failover-1'), 'failover-1');
  });

  test('is shortened with a hash when too long, and two long values stay distinct', () => {
    const a = labelSafe(`${'a'.repeat(70)}-1`);
    const b = labelSafe(`${'a'.repeat(70)}-2`);
    assert.ok(a.length <= 63 && LABEL_VALUE.test(a));
    assert.notEqual(a, b);
  });
});
