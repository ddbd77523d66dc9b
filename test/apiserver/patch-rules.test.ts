/** The patch and selector rules on their own: RFC 7386 / RFC 6902 properties and label selector parsing. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ApiError } from '../../local/apiserver/errors.js';
import { jsonPatch, mergePatch, parseJsonPatch } from '../../local/apiserver/patch.js';
import { parseLabelSelector } from '../../local/apiserver/selectors.js';
import type { KubeObject } from '../../local/apiserver/types.js';

const json = fc.jsonValue({ maxDepth: 3 });
const object = fc.dictionary(fc.string({ minLength: 1, maxLength: 4 }), json, { maxKeys: 5 });

describe('merge patch (RFC 7386)', () => {
  test('applying the same merge patch twice is the same as applying it once', () => {
    fc.assert(
      fc.property(object, object, (target, patch) => {
        const once = mergePatch(target, patch);
        assert.deepEqual(mergePatch(once, patch), once);
      }),
    );
  });

  test('a key set to null in the patch is absent from the result', () => {
    fc.assert(
      fc.property(object, fc.string({ minLength: 1, maxLength: 4 }), (target, key) => {
        const result = mergePatch(target, { [key]: null }) as Record<string, unknown>;
        assert.equal(Object.hasOwn(result, key), false);
      }),
    );
  });
});

describe('JSON patch (RFC 6902)', () => {
  test('a value added at a path passes a test of that path', () => {
    fc.assert(
      fc.property(object, fc.string({ minLength: 1, maxLength: 4 }), json, (target, key, value) => {
        const path = `/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
        const result = jsonPatch(
          target,
          parseJsonPatch([
            { op: 'add', path, value },
            { op: 'test', path, value },
          ]),
        );
        assert.deepEqual((result as Record<string, unknown>)[key], value);
      }),
    );
  });

  test('patching never changes the target it was given', () => {
    const target = { spec: { items: [1, 2, 3] } };
    jsonPatch(
      target,
      parseJsonPatch([
        { op: 'remove', path: '/spec/items/0' },
        { op: 'add', path: '/spec/items/-', value: 4 },
      ]),
    );
    assert.deepEqual(target, { spec: { items: [1, 2, 3] } });
  });

  const malformed: Array<[string, unknown]> = [
    ['not an array', { op: 'add' }],
    ['an unknown op', [{ op: 'merge', path: '/a' }]],
    ['a move without from', [{ op: 'move', path: '/a' }]],
    ['an add without value', [{ op: 'add', path: '/a' }]],
  ];
  for (const [name, document] of malformed) {
    test(`a patch document with ${name} is a 400`, () => {
      assert.throws(
        () => parseJsonPatch(document),
        (error: unknown) => error instanceof ApiError && error.code === 400,
      );
    });
  }
});

describe('label selectors', () => {
  const labelled = (labels: Record<string, string>): KubeObject => ({ metadata: { labels } });
  const cases: Array<[string, Record<string, string>, boolean]> = [
    ['app=web', { app: 'web' }, true],
    ['app==web', { app: 'db' }, false],
    ['app!=web', {}, true],
    ['env in (prod, staging)', { env: 'staging' }, true],
    ['env notin (prod)', {}, true],
    ['tier', { tier: '' }, true],
    ['!tier', { tier: 'x' }, false],
    ['replicas>2', { replicas: '3' }, true],
    ['replicas<2', { replicas: 'x' }, false],
    ['example.com/team=sre,app', { 'example.com/team': 'sre', app: 'a' }, true],
  ];
  for (const [selector, labels, expected] of cases) {
    test(`"${selector}" ${expected ? 'matches' : 'does not match'} ${JSON.stringify(labels)}`, () => {
      assert.equal(parseLabelSelector(selector)(labelled(labels)), expected);
    });
  }

  test('an unparsable requirement is a 400 naming it', () => {
    assert.throws(
      () => parseLabelSelector('app=web,=oops'),
      (error: unknown) => error instanceof ApiError && error.code === 400 && error.message.includes('"=oops"'),
    );
  });
});
