import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MERGE_KEYS, MERGED_SCALAR_LISTS, strategicMerge } from '../../../local/apiserver/strategic-merge.js';

const pod = {
  metadata: { name: 'p', labels: { app: 'a', tier: 'web' }, finalizers: ['a/one', 'b/two'] },
  spec: {
    containers: [
      {
        name: 'main',
        image: 'app:1',
        args: ['--x'],
        env: [
          { name: 'A', value: '1' },
          { name: 'B', value: '2' },
        ],
        ports: [{ containerPort: 80, name: 'http' }],
      },
      { name: 'side', image: 'proxy:1', volumeMounts: [{ mountPath: '/data', name: 'data' }] },
    ],
    volumes: [{ name: 'data', emptyDir: {} }],
  },
  status: {
    conditions: [
      { type: 'Ready', status: 'False' },
      { type: 'Scheduled', status: 'True' },
    ],
  },
};

type Case = { name: string; original: unknown; patch: unknown; expected: unknown };

const cases: Case[] = [
  { name: 'replaces a scalar', original: { a: 1, b: 2 }, patch: { a: 3 }, expected: { a: 3, b: 2 } },
  { name: 'merges nested maps', original: { m: { a: 1, b: { c: 2 } } }, patch: { m: { b: { d: 3 } } }, expected: { m: { a: 1, b: { c: 2, d: 3 } } } },
  { name: 'deletes a field set to null', original: { a: 1, b: 2 }, patch: { b: null }, expected: { a: 1 } },
  { name: 'adds a field the original lacks', original: {}, patch: { a: { b: 1 } }, expected: { a: { b: 1 } } },
  {
    name: 'merges containers by name, keeping the others',
    original: pod.spec,
    patch: { containers: [{ name: 'side', image: 'proxy:2' }] },
    expected: { ...pod.spec, containers: [pod.spec.containers[0], { ...pod.spec.containers[1], image: 'proxy:2' }] },
  },
  {
    name: 'appends a container with a new name',
    original: { containers: [{ name: 'main', image: 'app:1' }] },
    patch: { containers: [{ name: 'debug', image: 'busybox' }] },
    expected: {
      containers: [
        { name: 'main', image: 'app:1' },
        { name: 'debug', image: 'busybox' },
      ],
    },
  },
  {
    name: 'merges env entries by name inside a merged container',
    original: {
      containers: [
        {
          name: 'main',
          env: [
            { name: 'A', value: '1' },
            { name: 'B', value: '2' },
          ],
        },
      ],
    },
    patch: {
      containers: [
        {
          name: 'main',
          env: [
            { name: 'B', value: 'two' },
            { name: 'C', value: '3' },
          ],
        },
      ],
    },
    expected: {
      containers: [
        {
          name: 'main',
          env: [
            { name: 'A', value: '1' },
            { name: 'B', value: 'two' },
            { name: 'C', value: '3' },
          ],
        },
      ],
    },
  },
  {
    name: 'merges container ports by containerPort',
    original: {
      ports: [
        { containerPort: 80, name: 'http' },
        { containerPort: 9090, name: 'metrics' },
      ],
    },
    patch: { ports: [{ containerPort: 80, protocol: 'TCP' }] },
    expected: {
      ports: [
        { containerPort: 80, name: 'http', protocol: 'TCP' },
        { containerPort: 9090, name: 'metrics' },
      ],
    },
  },
  {
    name: 'merges service ports by port',
    original: { ports: [{ port: 80, targetPort: 8080 }] },
    patch: {
      ports: [
        { port: 80, targetPort: 9090 },
        { port: 443, targetPort: 8443 },
      ],
    },
    expected: {
      ports: [
        { port: 80, targetPort: 9090 },
        { port: 443, targetPort: 8443 },
      ],
    },
  },
  {
    name: 'merges volume mounts by mountPath',
    original: { volumeMounts: [{ mountPath: '/data', name: 'data' }] },
    patch: {
      volumeMounts: [
        { mountPath: '/data', readOnly: true },
        { mountPath: '/tmp', name: 'tmp' },
      ],
    },
    expected: {
      volumeMounts: [
        { mountPath: '/data', name: 'data', readOnly: true },
        { mountPath: '/tmp', name: 'tmp' },
      ],
    },
  },
  {
    name: 'merges conditions by type',
    original: pod.status,
    patch: { conditions: [{ type: 'Ready', status: 'True' }] },
    expected: {
      conditions: [
        { type: 'Ready', status: 'True' },
        { type: 'Scheduled', status: 'True' },
      ],
    },
  },
  { name: 'replaces a list without a merge key', original: { args: ['--a', '--b'] }, patch: { args: ['--c'] }, expected: { args: ['--c'] } },
  {
    name: 'replaces a list of objects that is not a known merge list',
    original: { tolerations: [{ key: 'a' }] },
    patch: { tolerations: [{ key: 'b' }] },
    expected: { tolerations: [{ key: 'b' }] },
  },
  {
    name: 'deletes the list item marked $patch: delete',
    original: { containers: [{ name: 'main' }, { name: 'side' }] },
    patch: { containers: [{ name: 'side', $patch: 'delete' }] },
    expected: { containers: [{ name: 'main' }] },
  },
  {
    name: 'replaces a whole list holding a $patch: replace marker',
    original: { containers: [{ name: 'main', image: 'a' }, { name: 'side' }] },
    patch: { containers: [{ name: 'only', image: 'b' }, { $patch: 'replace' }] },
    expected: { containers: [{ name: 'only', image: 'b' }] },
  },
  {
    name: 'replaces a map marked $patch: replace',
    original: { labels: { a: '1', b: '2' } },
    patch: { labels: { c: '3', $patch: 'replace' } },
    expected: { labels: { c: '3' } },
  },
  { name: 'deletes a map marked $patch: delete', original: { keep: 1, gone: { a: 1 } }, patch: { gone: { $patch: 'delete' } }, expected: { keep: 1 } },
  {
    name: 'ignores $retainKeys and $setElementOrder and stores neither',
    original: { containers: [{ name: 'a' }, { name: 'b' }], strategy: { type: 'Recreate' } },
    patch: { '$setElementOrder/containers': [{ name: 'b' }, { name: 'a' }], strategy: { $retainKeys: ['type'], type: 'RollingUpdate' } },
    expected: { containers: [{ name: 'a' }, { name: 'b' }], strategy: { type: 'RollingUpdate' } },
  },
  {
    name: 'adds finalizers as a set',
    original: { finalizers: ['a/one', 'b/two'] },
    patch: { finalizers: ['b/two', 'c/three'] },
    expected: { finalizers: ['a/one', 'b/two', 'c/three'] },
  },
  {
    name: 'removes finalizers listed in $deleteFromPrimitiveList',
    original: { finalizers: ['a/one', 'b/two'] },
    patch: { '$deleteFromPrimitiveList/finalizers': ['a/one'] },
    expected: { finalizers: ['b/two'] },
  },
  { name: 'yields an empty object for a top-level $patch: delete', original: { a: 1 }, patch: { $patch: 'delete' }, expected: {} },
  { name: 'treats a missing original as empty', original: undefined, patch: { a: 1 }, expected: { a: 1 } },
];

describe('strategic merge patch', () => {
  for (const { name, original, patch, expected } of cases) {
    test(name, () => {
      assert.deepEqual(strategicMerge(original, patch), expected);
    });
  }

  test('modifies neither the original nor the patch', () => {
    const original = structuredClone(pod);
    const patch = { metadata: { labels: { tier: null } }, spec: { containers: [{ name: 'main', image: 'app:2' }] } };
    const patchBefore = structuredClone(patch);

    strategicMerge(original, patch);

    assert.deepEqual(original, pod);
    assert.deepEqual(patch, patchBefore);
  });

  test('applies a kubectl apply style patch to a whole pod', () => {
    const patch = {
      metadata: { labels: { tier: null, track: 'canary' } },
      spec: { containers: [{ name: 'main', image: 'app:2', env: [{ name: 'A', $patch: 'delete' }] }] },
    };

    const merged = strategicMerge(pod, patch) as typeof pod;

    assert.deepEqual(merged.metadata.labels, { app: 'a', track: 'canary' });
    assert.deepEqual(
      merged.spec.containers.map((c) => [c.name, c.image]),
      [
        ['main', 'app:2'],
        ['side', 'proxy:1'],
      ],
    );
    assert.deepEqual(merged.spec.containers[0]?.env, [{ name: 'B', value: '2' }]);
  });
});

/** RFC 7386 JSON merge patch, the reference for patches that touch no merge list. */
function jsonMergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) Reflect.deleteProperty(out, key);
    else out[key] = jsonMergePatch(out[key], value);
  }
  return out;
}

describe('strategic merge patch properties', () => {
  const plainKey = fc
    .string({ minLength: 1, maxLength: 6 })
    .filter((k) => !k.startsWith('$') && !(k in MERGE_KEYS) && !MERGED_SCALAR_LISTS.has(k) && k !== '__proto__');
  const value: fc.Arbitrary<unknown> = fc.letrec<{ node: unknown }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small' },
      fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null)),
      fc.array(fc.oneof(fc.string(), fc.integer()), { maxLength: 3 }),
      fc.dictionary(plainKey, tie('node'), { maxKeys: 3, noNullPrototype: true }),
    ),
  })).node;
  const document = fc.dictionary(plainKey, value, { maxKeys: 4, noNullPrototype: true });

  test('behaves as a JSON merge patch when no merge list or directive is involved', () => {
    fc.assert(
      fc.property(document, document, (original, patch) => {
        assert.deepEqual(strategicMerge(original, patch), jsonMergePatch(original, patch));
      }),
    );
  });

  test('applying the same patch twice changes nothing more', () => {
    fc.assert(
      fc.property(document, document, (original, patch) => {
        const once = strategicMerge(original, patch);
        assert.deepEqual(strategicMerge(once, patch), once);
      }),
    );
  });
});
