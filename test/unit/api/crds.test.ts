import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { parse } from 'yaml';
import { z } from 'zod';
import { FREE_FORM, GROUP, int32, Plurals, VERSION } from '../../../shared/api/index.js';
import type { Kind } from '../../../shared/api/index.js';
import { buildCrd, CRD_SOURCES, generateCrdFiles, toStructuralSchema } from '../../../shared/api/crd.js';
import type { SchemaNode } from '../../../shared/api/crd.js';
import { ORIGINAL_CRDS } from '../../support/fixtures.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const seedCrdDir = ORIGINAL_CRDS;
const KINDS: readonly Kind[] = ['DRWorkflow', 'DRPlan', 'DRPlanExecution'];

// ---------------------------------------------------------------------------------------------------
// Helpers: typed access to parsed YAML, and a flat view of a schema as `path → node`.

function record(value: unknown, what: string): SchemaNode {
  assert.ok(typeof value === 'object' && value !== null && !Array.isArray(value), `${what} is not an object`);
  return value as SchemaNode;
}

function at(value: unknown, ...keys: (string | number)[]): unknown {
  let current = value;
  for (const key of keys) {
    if (typeof key === 'number') current = Array.isArray(current) ? (current[key] as unknown) : undefined;
    else current = typeof current === 'object' && current !== null ? (current as SchemaNode)[key] : undefined;
  }
  return current;
}

const versionOf = (crd: unknown): SchemaNode => record(at(crd, 'spec', 'versions', 0), 'spec.versions[0]');
const schemaOf = (crd: unknown): SchemaNode => record(at(versionOf(crd), 'schema', 'openAPIV3Schema'), 'openAPIV3Schema');
const ourCrd = (kind: Kind): SchemaNode => {
  const source = CRD_SOURCES.find((candidate) => candidate.kind === kind);
  assert.ok(source, `no CRD source for ${kind}`);
  return buildCrd(source);
};
const originalCrd = (kind: Kind): unknown => {
  const text = readFileSync(join(seedCrdDir, `${GROUP}_${Plurals[kind]}.yaml`), 'utf8');
  return parse(text) as unknown;
};

const join2 = (path: string, name: string): string => (path === '' ? name : `${path}.${name}`);

/** Every schema node by path: `spec.actions[].http.method`; `[]` for items, `{}` for map values. */
function flatten(node: SchemaNode, path = '', out = new Map<string, SchemaNode>()): Map<string, SchemaNode> {
  out.set(path, node);
  const properties = node.properties === undefined ? {} : record(node.properties, `${path}.properties`);
  for (const [name, child] of Object.entries(properties)) flatten(record(child, name), join2(path, name), out);
  if (node.items !== undefined) flatten(record(node.items, `${path}[]`), `${path}[]`, out);
  if (typeof node.additionalProperties === 'object') flatten(record(node.additionalProperties, `${path}{}`), `${path}{}`, out);
  return out;
}

// ---------------------------------------------------------------------------------------------------
// The deliberate differences from the original CRDs. Each is needed (a test fails if one goes stale)
// and is written, with the same reasons, to docs/crd-differences.md.

interface DeliberateDifference {
  kind: Kind;
  path: string;
  reason: string;
}

const DELIBERATE_DIFFERENCES: readonly DeliberateDifference[] = [
  {
    kind: 'DRWorkflow',
    path: 'spec.actions[].job.template',
    reason:
      'Free-form in ours. The original embedded the whole batch/v1 JobTemplateSpec (~9,000 lines of CRD); ' +
      'zod checks that there is a pod template with at least one named container with an image, and the ' +
      'Job API validates the rest when the Job is created.',
  },
  {
    kind: 'DRPlanExecution',
    path: 'status.stageStatuses[].workflowExecutions[].actionStatuses[].phase',
    reason:
      'Adds the enum value `Unknown`: an action that has shown no progress for 2 minutes while it should ' +
      'be running is marked Unknown and re-driven (the execution phase already had it in the original).',
  },
];

interface Difference {
  path: string;
  attribute: 'missing' | 'type' | 'enum' | 'default' | 'format' | 'pattern';
  original: unknown;
  ours: unknown;
}

const COMPARED = ['type', 'enum', 'default', 'format', 'pattern'] as const;
const comparable = (attribute: string, value: unknown): unknown => (attribute === 'enum' && Array.isArray(value) ? value.map(String).sort() : value);

/** Where `ours` lacks a field of `original`, or gives it another type, enum (as a set), default or format. */
function compareSchemas(original: SchemaNode, ours: SchemaNode): Difference[] {
  const mineByPath = flatten(ours);
  const found: Difference[] = [];
  for (const [path, node] of flatten(original)) {
    const mine = mineByPath.get(path);
    if (mine === undefined) {
      found.push({ path, attribute: 'missing', original: node.type, ours: undefined });
      continue;
    }
    for (const attribute of COMPARED) {
      if (!isDeepStrictEqual(comparable(attribute, node[attribute]), comparable(attribute, mine[attribute]))) {
        found.push({ path, attribute, original: node[attribute], ours: mine[attribute] });
      }
    }
  }
  return found;
}

const differences = (kind: Kind): Difference[] => compareSchemas(schemaOf(originalCrd(kind)), schemaOf(ourCrd(kind)));

const covers = (entry: DeliberateDifference, difference: Difference): boolean =>
  difference.path === entry.path || ['.', '[]', '{}'].some((sep) => difference.path.startsWith(entry.path + sep));

// ---------------------------------------------------------------------------------------------------

describe('the committed CRDs', () => {
  for (const file of generateCrdFiles()) {
    test(`${file.path} matches what the zod schemas generate`, () => {
      const committed = readFileSync(join(repoRoot, file.path), 'utf8');

      assert.ok(committed === file.text, `${file.path} is out of date with shared/api: run \`npm run gen:crds\` and commit the result`);
    });
  }

  test('knative/crds holds exactly one file per kind and nothing stale', () => {
    const expected = generateCrdFiles()
      .map((file) => file.path.replace('knative/crds/', ''))
      .sort();

    const actual = readdirSync(join(repoRoot, 'knative', 'crds')).sort();

    assert.deepEqual(actual, expected, 'knative/crds has files the generator does not write: run `npm run gen:crds`');
  });

  for (const source of CRD_SOURCES) {
    test(`the ${source.kind} YAML reads back as the CRD object, strings such as "2.0" and "True" still strings`, () => {
      const file = generateCrdFiles().find((candidate) => candidate.path.includes(`/${Plurals[source.kind]}.`));
      assert.ok(file, `no file for ${source.kind}`);

      const readBack = parse(file.text) as unknown;

      assert.deepEqual(readBack, buildCrd(source));
    });
  }

  test('generating twice gives byte-identical output', () => {
    assert.deepEqual(generateCrdFiles(), generateCrdFiles());
  });
});

describe('CRD identity', () => {
  const expectations = [
    { kind: 'DRWorkflow', plural: 'drworkflows', singular: 'drworkflow', shortNames: ['drwf'] },
    { kind: 'DRPlan', plural: 'drplans', singular: 'drplan', shortNames: ['drp'] },
    { kind: 'DRPlanExecution', plural: 'drplanexecutions', singular: 'drplanexecution', shortNames: ['drpe'] },
  ] as const;

  for (const expected of expectations) {
    test(`${expected.kind} is a namespaced ${GROUP}/${VERSION} kind with short name ${expected.shortNames[0]} in category dr`, () => {
      const crd = ourCrd(expected.kind);

      assert.equal(at(crd, 'apiVersion'), 'apiextensions.k8s.io/v1');
      assert.equal(at(crd, 'kind'), 'CustomResourceDefinition');
      assert.equal(at(crd, 'metadata', 'name'), `${expected.plural}.${GROUP}`);
      assert.equal(at(crd, 'spec', 'group'), GROUP);
      assert.equal(at(crd, 'spec', 'scope'), 'Namespaced');
      assert.deepEqual(at(crd, 'spec', 'names'), {
        categories: ['dr'],
        kind: expected.kind,
        listKind: `${expected.kind}List`,
        plural: expected.plural,
        shortNames: expected.shortNames,
        singular: expected.singular,
      });
    });

    test(`${expected.kind} serves and stores ${VERSION} with a status subresource`, () => {
      const versions = at(ourCrd(expected.kind), 'spec', 'versions');

      assert.ok(Array.isArray(versions) && versions.length === 1, 'exactly one version');
      const version = versionOf(ourCrd(expected.kind));
      assert.equal(version.name, VERSION);
      assert.equal(version.served, true);
      assert.equal(version.storage, true);
      assert.deepEqual(version.subresources, { status: {} });
    });

    test(`${expected.kind}'s root schema has apiVersion, kind, metadata, spec and status and requires spec`, () => {
      const root = schemaOf(ourCrd(expected.kind));

      assert.equal(root.type, 'object');
      assert.deepEqual(root.required, ['spec']);
      assert.deepEqual(Object.keys(record(root.properties, 'properties')), ['apiVersion', 'kind', 'metadata', 'spec', 'status']);
      assert.deepEqual(at(root, 'properties', 'metadata'), { type: 'object' });
      assert.equal(at(root, 'properties', 'apiVersion', 'type'), 'string');
      assert.equal(at(root, 'properties', 'kind', 'type'), 'string');
      assert.equal(at(root, 'properties', 'spec', 'type'), 'object');
      assert.equal(at(root, 'properties', 'status', 'type'), 'object');
    });
  }
});

describe('printer columns', () => {
  const expected: Record<Kind, readonly (readonly [string, string, string])[]> = {
    DRWorkflow: [
      ['Phase', 'string', '.status.phase'],
      ['Age', 'date', '.metadata.creationTimestamp'],
    ],
    DRPlan: [
      ['Stages', 'integer', '.status.stageCount'],
      ['Phase', 'string', '.status.phase'],
      ['Current', 'string', '.status.currentExecution.name'],
      ['Age', 'date', '.metadata.creationTimestamp'],
    ],
    DRPlanExecution: [
      ['Plan', 'string', '.spec.planRef'],
      ['Operation', 'string', '.spec.operationType'],
      ['Phase', 'string', '.status.phase'],
      ['Progress', 'string', '.status.progress'],
      ['Age', 'date', '.metadata.creationTimestamp'],
    ],
  };

  const columnsOf = (kind: Kind): SchemaNode[] => {
    const columns = versionOf(ourCrd(kind)).additionalPrinterColumns;
    assert.ok(Array.isArray(columns), 'additionalPrinterColumns is a list');
    return columns.map((column, index) => record(column, `column ${index}`));
  };

  for (const kind of KINDS) {
    test(`${kind} shows ${expected[kind].map(([name]) => name.toUpperCase()).join(', ')}`, () => {
      const columns = columnsOf(kind).map((column) => [column.name, column.type, column.jsonPath]);

      assert.deepEqual(columns, expected[kind]);
    });

    test(`every ${kind} column points at a field its schema declares`, () => {
      const fields = flatten(schemaOf(ourCrd(kind)));

      const dangling = columnsOf(kind)
        .map((column) => String(column.jsonPath))
        .filter((jsonPath) => jsonPath !== '.metadata.creationTimestamp')
        .filter((jsonPath) => !fields.has(jsonPath.slice(1).replaceAll('[*]', '[]')));

      assert.deepEqual(dangling, []);
    });
  }
});

describe('structural schema rules', () => {
  const ALLOWED_LIST_TYPES: readonly unknown[] = ['atomic', 'set', 'map'];
  const FORBIDDEN_KEYS = ['$ref', '$schema', 'definitions', '$defs', 'anyOf', 'oneOf', 'allOf', 'not'];
  const isSorted = (list: readonly unknown[]): boolean => isDeepStrictEqual(list, list.map(String).sort());

  const RULES: readonly (readonly [string, (node: SchemaNode) => boolean])[] = [
    ['no type', (node) => typeof node.type !== 'string' && node['x-kubernetes-preserve-unknown-fields'] !== true],
    ...FORBIDDEN_KEYS.map((key) => [`has ${key}`, (node: SchemaNode) => key in node] as const),
    ['properties with additionalProperties', (node) => node.properties !== undefined && node.additionalProperties !== undefined],
    ['boolean additionalProperties', (node) => typeof node.additionalProperties === 'boolean'],
    ["zod's safe-integer bounds", (node) => node.maximum === Number.MAX_SAFE_INTEGER || node.minimum === -Number.MAX_SAFE_INTEGER],
    ['default not in enum', (node) => Array.isArray(node.enum) && 'default' in node && !(node.enum as unknown[]).includes(node.default)],
    ['required not sorted', (node) => Array.isArray(node.required) && !isSorted(node.required as unknown[])],
    ['unknown list type', (node) => 'x-kubernetes-list-type' in node && !ALLOWED_LIST_TYPES.includes(node['x-kubernetes-list-type'])],
  ];

  /** Every rule broken anywhere in a schema, as `path: rule`. */
  const violations = (schema: SchemaNode): string[] =>
    [...flatten(schema)].flatMap(([path, node]) => RULES.filter(([, broken]) => broken(node)).map(([rule]) => `${path === '' ? '(root)' : path}: ${rule}`));

  /** Keys out of order anywhere in the document (arrays keep their order). */
  function unsortedKeys(value: unknown, path = ''): string[] {
    if (Array.isArray(value)) return value.flatMap((item, index) => unsortedKeys(item, `${path}[${index}]`));
    if (typeof value !== 'object' || value === null) return [];
    const keys = Object.keys(value);
    const here = isDeepStrictEqual(keys, [...keys].sort()) ? [] : [path === '' ? '(root)' : path];
    return [...here, ...keys.flatMap((key) => unsortedKeys((value as SchemaNode)[key], join2(path, key)))];
  }

  for (const kind of KINDS) {
    test(`every node of the ${kind} schema is typed, ref-free and free of zod artefacts`, () => {
      assert.deepEqual(violations(schemaOf(ourCrd(kind))), []);
    });

    test(`the ${kind} CRD has its keys sorted at every level`, () => {
      assert.deepEqual(unsortedKeys(ourCrd(kind)), []);
    });
  }

  test('the checker itself reports each rule it enforces', () => {
    const broken: SchemaNode = {
      type: 'object',
      required: ['b', 'a'],
      properties: {
        untyped: { description: 'no type' },
        ref: { type: 'object', $ref: '#/definitions/x' },
        both: { type: 'object', properties: {}, additionalProperties: { type: 'string' } },
        closed: { type: 'object', additionalProperties: false },
        big: { type: 'integer', maximum: Number.MAX_SAFE_INTEGER },
        bad: { type: 'string', enum: ['A'], default: 'B' },
        list: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'bag' },
      },
    };

    assert.deepEqual(violations(broken), [
      '(root): required not sorted',
      'untyped: no type',
      'ref: has $ref',
      'both: properties with additionalProperties',
      'closed: boolean additionalProperties',
      "big: zod's safe-integer bounds",
      'bad: default not in enum',
      'list: unknown list type',
    ]);
  });

  const freeFormPaths: Record<Kind, readonly string[]> = {
    DRWorkflow: ['spec.actions[].job.template', 'spec.actions[].rollback'],
    DRPlan: [],
    DRPlanExecution: ['status.resolved.rollbackSteps[].action', 'status.resolved.stages[].workflows[].actions[]'],
  };

  for (const kind of KINDS) {
    test(`${kind} keeps unknown fields only where the schemas mark data free-form`, () => {
      const free = [...flatten(schemaOf(ourCrd(kind)))]
        .filter(([, node]) => node['x-kubernetes-preserve-unknown-fields'] === true)
        .map(([path]) => path)
        .sort();

      assert.deepEqual(free, freeFormPaths[kind]);
    });
  }
});

describe('toStructuralSchema', () => {
  test('drops zod artefacts: closed objects, safe-integer bounds and the int32 range', () => {
    const schema = z.strictObject({ count: z.number().int(), small: int32(), positive: int32().min(1) });

    const node = toStructuralSchema(schema);

    assert.deepEqual(node, {
      type: 'object',
      properties: {
        count: { type: 'integer' },
        small: { type: 'integer', format: 'int32' },
        positive: { type: 'integer', format: 'int32', minimum: 1 },
      },
      required: ['count', 'positive', 'small'],
    });
  });

  test('keeps defaults and leaves defaulted fields out of required', () => {
    const schema = z.strictObject({ mode: z.enum(['A', 'B']).default('B'), name: z.string() });

    const node = toStructuralSchema(schema);

    assert.deepEqual(at(node, 'properties', 'mode'), { type: 'string', enum: ['A', 'B'], default: 'B' });
    assert.deepEqual(node.required, ['name']);
  });

  test('turns a free-form object into an object that keeps unknown fields, with its description', () => {
    const schema = z.strictObject({ data: z.looseObject({ a: z.string() }).meta(FREE_FORM).describe('Anything') });

    const node = toStructuralSchema(schema);

    assert.deepEqual(at(node, 'properties', 'data'), {
      type: 'object',
      'x-kubernetes-preserve-unknown-fields': true,
      description: 'Anything',
    });
  });

  test('turns a free-form array into an array of objects that keep unknown fields', () => {
    const schema = z.strictObject({ list: z.array(z.looseObject({})).meta(FREE_FORM) });

    const node = toStructuralSchema(schema);

    assert.deepEqual(at(node, 'properties', 'list'), {
      type: 'array',
      items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    });
  });

  test('writes a string map as additionalProperties', () => {
    const node = toStructuralSchema(z.strictObject({ labels: z.record(z.string(), z.string()) }));

    assert.deepEqual(at(node, 'properties', 'labels'), { type: 'object', additionalProperties: { type: 'string' } });
  });

  interface Inexpressible {
    name: string;
    schema: z.ZodType;
    message: RegExp;
  }
  interface Tree {
    children?: Tree[] | undefined;
  }
  const TreeSchema: z.ZodType<Tree> = z.lazy(() => z.strictObject({ children: z.array(TreeSchema).optional() }));
  const inexpressible: readonly Inexpressible[] = [
    {
      name: 'a loose object',
      schema: z.strictObject({ a: z.looseObject({ b: z.string() }) }),
      message: /^CRD schema at spec\.a: accepts unknown keys .*FREE_FORM$/,
    },
    { name: 'an untyped value', schema: z.strictObject({ a: z.unknown() }), message: /^CRD schema at spec\.a: has no type/ },
    { name: 'a union', schema: z.strictObject({ a: z.union([z.string(), z.number()]) }), message: /^CRD schema at spec\.a: "anyOf" cannot be expressed/ },
    { name: 'a recursive schema', schema: z.strictObject({ tree: TreeSchema }), message: /^CRD schema at spec\.tree: "\$ref" cannot be expressed/ },
  ];

  for (const { name, schema, message } of inexpressible) {
    test(`refuses ${name}, naming the field`, () => {
      assert.throws(() => toStructuralSchema(schema, 'spec'), { name: 'Error', message });
    });
  }
});

describe('comparison with the original CRDs', () => {
  for (const kind of KINDS) {
    test(`every field of the original ${kind} exists in ours with the same type, enum, default, format and pattern, apart from the listed differences`, () => {
      const listed = DELIBERATE_DIFFERENCES.filter((entry) => entry.kind === kind);

      const unexplained = differences(kind)
        .filter((difference) => !listed.some((entry) => covers(entry, difference)))
        .map(({ path, attribute, original, ours }) => `${path}: ${attribute} (original ${JSON.stringify(original)}, ours ${JSON.stringify(ours)})`);

      assert.deepEqual(unexplained.slice(0, 20), [], `${unexplained.length} unexplained differences from the original (first 20 shown)`);
    });
  }

  for (const entry of DELIBERATE_DIFFERENCES) {
    test(`the listed difference at ${entry.kind} ${entry.path} is still needed`, () => {
      const explained = differences(entry.kind).filter((difference) => covers(entry, difference));

      assert.ok(
        explained.length > 0,
        `${entry.kind} ${entry.path} no longer differs from the original: remove it from the list and from docs/crd-differences.md`,
      );
    });
  }

  test('docs/crd-differences.md lists every deliberate difference', () => {
    const doc = readFileSync(join(repoRoot, 'docs', 'crd-differences.md'), 'utf8');

    const missing = DELIBERATE_DIFFERENCES.filter((entry) => !doc.includes(`\`${entry.path}\``)).map((entry) => entry.path);

    assert.deepEqual(missing, []);
  });

  test('the comparison reports a changed default, a changed enum, a changed format and a missing field', () => {
    const original: SchemaNode = {
      type: 'object',
      properties: {
        a: { type: 'string', default: 'x' },
        b: { type: 'string', enum: ['P', 'Q'] },
        c: { type: 'integer', format: 'int32' },
        d: { type: 'object', properties: { e: { type: 'string' } } },
        f: { type: 'string', enum: ['R', 'S'] },
      },
    };
    const ours: SchemaNode = {
      type: 'object',
      properties: {
        a: { type: 'string', default: 'y' },
        b: { type: 'string', enum: ['Q'] },
        c: { type: 'integer', format: 'int64' },
        d: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        f: { type: 'string', enum: ['S', 'R'] },
        extra: { type: 'string' },
      },
    };

    const found = compareSchemas(original, ours).map(({ path, attribute }) => `${path}: ${attribute}`);

    assert.deepEqual(found, ['a: default', 'b: enum', 'c: format', 'd.e: missing']);
  });
});
