import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import fc from 'fast-check';
import { admitCustomResource, validateObjectName } from '../../../local/apiserver/schema.js';
import { CLUSTERNET_CRDS, ORIGINAL_MANIFESTS, REPO_ROOT } from '../../support/fixtures.js';

/** The CRD folders to read: the project's own, then Clusternet's as published. */
function crdFolders(): string[] {
  return [join(REPO_ROOT, 'knative', 'crds'), CLUSTERNET_CRDS, join(REPO_ROOT, 'local', 'apiserver', 'crds')];
}

function loadSchemas(): Map<string, unknown> {
  const schemas = new Map<string, unknown>();
  for (const dir of crdFolders()) {
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
      for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
        const crd = doc.toJS() as { spec: { names: { kind: string }; versions: { schema: { openAPIV3Schema: unknown } }[] } };
        const kind = crd.spec.names.kind;
        if (!schemas.has(kind)) schemas.set(kind, crd.spec.versions[0]?.schema.openAPIV3Schema);
      }
    }
  }
  return schemas;
}

const schemas = loadSchemas();

function sampleManifests(): { file: string; object: Record<string, unknown> }[] {
  const root = ORIGINAL_MANIFESTS;
  return readdirSync(root).flatMap((folder) =>
    readdirSync(join(root, folder)).flatMap((file) =>
      parseAllDocuments(readFileSync(join(root, folder, file), 'utf8'))
        .map((doc) => doc.toJS() as Record<string, unknown> | null)
        .filter((object): object is Record<string, unknown> => object !== null)
        .map((object) => ({ file: `${folder}/${file}`, object })),
    ),
  );
}

const withMeta = (spec: unknown): Record<string, unknown> => ({ apiVersion: 'x.dev/v1', kind: 'Thing', metadata: { name: 'thing' }, spec });

/** A root schema whose `spec` is the given node. */
const rootWith = (spec: Record<string, unknown>): Record<string, unknown> => ({
  type: 'object',
  properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, spec },
});

const admitSpec = (spec: Record<string, unknown>, value: unknown) => admitCustomResource(rootWith(spec), withMeta(value), 'Thing');

describe('admitting the original controller sample manifests', () => {
  const samples = sampleManifests();
  test('finds sample manifests and a schema for each of their kinds', () => {
    for (const { object } of samples) assert.ok(schemas.has(String(object.kind)), `no CRD for ${String(object.kind)}`);
  });
  for (const { file, object } of samples) {
    test(`accepts ${file} without causes`, () => {
      const result = admitCustomResource(schemas.get(String(object.kind)), object, String(object.kind));
      assert.deepEqual(result.causes, []);
    });
  }
});

describe('pruning', () => {
  test('drops fields the schema does not specify, at every depth', () => {
    const spec = { type: 'object', properties: { a: { type: 'object', properties: { b: { type: 'string' } } } } };

    const result = admitSpec(spec, { a: { b: 'kept', c: 'dropped' }, z: 1 });

    assert.deepEqual((result.object as { spec: unknown }).spec, { a: { b: 'kept' } });
    assert.deepEqual(result.causes, []);
  });

  test('keeps apiVersion, kind and all of metadata at the root although the schema lists no metadata fields', () => {
    const object = { apiVersion: 'x.dev/v1', kind: 'Thing', metadata: { name: 'thing', labels: { a: 'b' }, annotations: { c: 'd' } }, spec: {} };

    const result = admitCustomResource(rootWith({ type: 'object' }), object, 'Thing');

    assert.deepEqual(result.object, object);
  });

  test('keeps unknown fields under x-kubernetes-preserve-unknown-fields but still prunes the known ones', () => {
    const spec = {
      type: 'object',
      'x-kubernetes-preserve-unknown-fields': true,
      properties: { known: { type: 'object', properties: { a: { type: 'string' } } } },
    };

    const result = admitSpec(spec, { free: { deep: [1, { x: 2 }] }, known: { a: 'kept', b: 'dropped' } });

    assert.deepEqual((result.object as { spec: unknown }).spec, { free: { deep: [1, { x: 2 }] }, known: { a: 'kept' } });
  });

  test('keeps apiVersion, kind and metadata of an embedded resource', () => {
    const spec = {
      type: 'object',
      properties: { template: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { spec: { type: 'object' } } } },
    };
    const template = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, spec: {}, junk: true };

    const result = admitSpec(spec, { template });

    assert.deepEqual((result.object as { spec: { template: unknown } }).spec.template, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c' },
      spec: {},
    });
  });

  test('prunes array items and map values against their schemas', () => {
    const spec = {
      type: 'object',
      properties: {
        list: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } },
        map: { type: 'object', additionalProperties: { type: 'object', properties: { v: { type: 'integer' } } } },
      },
    };

    const result = admitSpec(spec, { list: [{ name: 'a', x: 1 }], map: { k: { v: 1, y: 2 } } });

    assert.deepEqual((result.object as { spec: unknown }).spec, { list: [{ name: 'a' }], map: { k: { v: 1 } } });
  });
});

describe('defaulting', () => {
  const cases: { name: string; spec: Record<string, unknown>; value: unknown; expected: unknown }[] = [
    {
      name: 'fills an absent field',
      spec: { type: 'object', properties: { method: { type: 'string', default: 'GET' } } },
      value: {},
      expected: { method: 'GET' },
    },
    {
      name: 'leaves a present field alone',
      spec: { type: 'object', properties: { method: { type: 'string', default: 'GET' } } },
      value: { method: 'POST' },
      expected: { method: 'POST' },
    },
    {
      name: 'applies the defaults inside a defaulted object',
      spec: {
        type: 'object',
        properties: {
          retry: { type: 'object', default: {}, properties: { limit: { type: 'integer', default: 3 }, interval: { type: 'string', default: '5s' } } },
        },
      },
      value: {},
      expected: { retry: { limit: 3, interval: '5s' } },
    },
    {
      name: 'applies defaults inside array items',
      spec: { type: 'object', properties: { items: { type: 'array', items: { type: 'object', properties: { op: { type: 'string', default: 'Create' } } } } } },
      value: { items: [{}, { op: 'Delete' }] },
      expected: { items: [{ op: 'Create' }, { op: 'Delete' }] },
    },
    {
      name: 'applies defaults inside map values',
      spec: {
        type: 'object',
        properties: { m: { type: 'object', additionalProperties: { type: 'object', properties: { p: { type: 'integer', default: 500 } } } } },
      },
      value: { m: { a: {}, b: { p: 1 } } },
      expected: { m: { a: { p: 500 }, b: { p: 1 } } },
    },
    {
      name: 'replaces a null by the default when the field is not nullable',
      spec: { type: 'object', properties: { method: { type: 'string', default: 'GET' } } },
      value: { method: null },
      expected: { method: 'GET' },
    },
    {
      name: 'drops a null without a default when the field is not nullable',
      spec: { type: 'object', properties: { note: { type: 'string' } } },
      value: { note: null },
      expected: {},
    },
    {
      name: 'keeps a null and skips the default when the field is nullable',
      spec: { type: 'object', properties: { note: { type: 'string', nullable: true, default: 'x' } } },
      value: { note: null },
      expected: { note: null },
    },
    {
      name: 'replaces null array items by the items default',
      spec: { type: 'object', properties: { list: { type: 'array', items: { type: 'string', default: 'd' } } } },
      value: { list: ['a', null] },
      expected: { list: ['a', 'd'] },
    },
  ];
  for (const { name, spec, value, expected } of cases) {
    test(name, () => {
      const result = admitSpec({ type: 'object', properties: { s: spec } }, { s: value });

      assert.deepEqual((result.object as { spec: { s: unknown } }).spec.s, expected);
      assert.deepEqual(result.causes, []);
    });
  }

  test('defaults the HTTP method of a workflow action from the project CRD', () => {
    const workflow = {
      apiVersion: 'dr.bkbcs.tencent.com/v1alpha1',
      kind: 'DRWorkflow',
      metadata: { name: 'w', namespace: 'default' },
      spec: { actions: [{ name: 'a', type: 'HTTP', http: { url: 'http://x' } }] },
    };

    const result = admitCustomResource(schemas.get('DRWorkflow'), workflow, 'DRWorkflow');

    const action = (result.object as { spec: { actions: { http: { method: string } }[] } }).spec.actions[0];
    assert.equal(action?.http.method, 'GET');
  });

  test('does not modify the object it is given', () => {
    const object = withMeta({ s: {}, junk: 1 });
    const before = structuredClone(object);

    admitSpec({ type: 'object', properties: { s: { type: 'object', properties: { d: { type: 'string', default: 'x' } } } } }, object.spec);

    assert.deepEqual(object, before);
  });
});

describe('validation causes', () => {
  type Case = { name: string; schema: Record<string, unknown>; value: unknown; causes: { reason: string; field: string; message: string }[] };
  const cases: Case[] = [
    {
      name: 'a value of the wrong type',
      schema: { type: 'integer' },
      value: 'five',
      causes: [{ reason: 'FieldValueTypeInvalid', field: 'spec.x', message: 'Invalid value: "string": spec.x in body must be of type integer: "string"' }],
    },
    {
      name: 'a fractional number where an integer is expected',
      schema: { type: 'integer' },
      value: 1.5,
      causes: [{ reason: 'FieldValueTypeInvalid', field: 'spec.x', message: 'Invalid value: "number": spec.x in body must be of type integer: "number"' }],
    },
    {
      name: 'a missing required field',
      schema: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
      value: {},
      causes: [{ reason: 'FieldValueRequired', field: 'spec.x.name', message: 'Required value' }],
    },
    {
      name: 'a value outside the enum',
      schema: { type: 'string', enum: ['Execute', 'Revert'] },
      value: 'Rollback',
      causes: [{ reason: 'FieldValueNotSupported', field: 'spec.x', message: 'Unsupported value: "Rollback": supported values: "Execute", "Revert"' }],
    },
    {
      name: 'a string longer than maxLength',
      schema: { type: 'string', maxLength: 3 },
      value: 'abcd',
      causes: [{ reason: 'FieldValueTooLong', field: 'spec.x', message: 'Too long: may not be more than 3 bytes' }],
    },
    {
      name: 'a string shorter than minLength',
      schema: { type: 'string', minLength: 1 },
      value: '',
      causes: [{ reason: 'FieldValueInvalid', field: 'spec.x', message: 'Invalid value: "": spec.x in body should be at least 1 chars long' }],
    },
    {
      name: 'a number below the minimum',
      schema: { type: 'integer', minimum: 1 },
      value: 0,
      causes: [{ reason: 'FieldValueInvalid', field: 'spec.x', message: 'Invalid value: 0: spec.x in body should be greater than or equal to 1' }],
    },
    {
      name: 'a number at an exclusive maximum',
      schema: { type: 'number', maximum: 10, exclusiveMaximum: true },
      value: 10,
      causes: [{ reason: 'FieldValueInvalid', field: 'spec.x', message: 'Invalid value: 10: spec.x in body should be less than 10' }],
    },
    {
      name: 'too many items',
      schema: { type: 'array', maxItems: 1, items: { type: 'string' } },
      value: ['a', 'b'],
      causes: [{ reason: 'FieldValueTooMany', field: 'spec.x', message: 'Too many: 2: must have at most 1 item' }],
    },
    {
      name: 'too few items',
      schema: { type: 'array', minItems: 1, items: { type: 'string' } },
      value: [],
      causes: [{ reason: 'FieldValueInvalid', field: 'spec.x', message: 'Invalid value: 0: spec.x in body should have at least 1 items' }],
    },
    {
      name: 'a string that does not match the pattern',
      schema: { type: 'string', pattern: '^[a-z]+$' },
      value: 'ABC',
      causes: [{ reason: 'FieldValueInvalid', field: 'spec.x', message: 'Invalid value: "ABC": spec.x in body should match \'^[a-z]+$\'' }],
    },
    {
      name: 'a malformed date-time',
      schema: { type: 'string', format: 'date-time' },
      value: '2024-02-30T10:00:00Z',
      causes: [
        {
          reason: 'FieldValueTypeInvalid',
          field: 'spec.x',
          message: 'Invalid value: "2024-02-30T10:00:00Z": spec.x in body must be of type date-time: "2024-02-30T10:00:00Z"',
        },
      ],
    },
    {
      name: 'a boolean where an int-or-string is expected',
      schema: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
      value: true,
      causes: [
        { reason: 'FieldValueTypeInvalid', field: 'spec.x', message: 'Invalid value: "boolean": spec.x in body must be of type integer,string: "boolean"' },
      ],
    },
    {
      name: 'a map value of the wrong type, named by its key',
      schema: { type: 'object', additionalProperties: { type: 'string' } },
      value: { 'X-Token': 5 },
      causes: [
        {
          reason: 'FieldValueTypeInvalid',
          field: 'spec.x.X-Token',
          message: 'Invalid value: "integer": spec.x.X-Token in body must be of type string: "integer"',
        },
      ],
    },
    {
      name: 'a null array item that is not nullable',
      schema: { type: 'array', items: { type: 'string' } },
      value: ['a', null],
      causes: [{ reason: 'FieldValueTypeInvalid', field: 'spec.x[1]', message: 'Invalid value: "null": spec.x[1] in body must be of type string: "null"' }],
    },
    {
      name: 'a duplicate key in a list of type map',
      schema: {
        type: 'array',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['type'],
        items: { type: 'object', required: ['type'], properties: { type: { type: 'string' }, status: { type: 'string' } } },
      },
      value: [
        { type: 'Ready', status: 'True' },
        { type: 'Ready', status: 'False' },
      ],
      causes: [{ reason: 'FieldValueDuplicate', field: 'spec.x[1]', message: 'Duplicate value: map[string]interface {}{"type":"Ready"}' }],
    },
    {
      name: 'a duplicate in a list of type set',
      schema: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
      value: ['a', 'b', 'a'],
      causes: [{ reason: 'FieldValueDuplicate', field: 'spec.x[2]', message: 'Duplicate value: "a"' }],
    },
    {
      name: 'a value matching none of the anyOf branches',
      schema: { type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' } }, anyOf: [{ required: ['a'] }, { required: ['b'] }] },
      value: {},
      causes: [
        { reason: 'FieldValueInvalid', field: 'spec.x', message: 'Invalid value: "": "spec.x" must validate at least one schema (anyOf)' },
        { reason: 'FieldValueRequired', field: 'spec.x.a', message: 'Required value' },
      ],
    },
    {
      name: 'a value matching both oneOf branches',
      schema: { type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' } }, oneOf: [{ required: ['a'] }, { required: ['b'] }] },
      value: { a: '1', b: '2' },
      causes: [
        {
          reason: 'FieldValueInvalid',
          field: 'spec.x',
          message: 'Invalid value: "": "spec.x" must validate one and only one schema (oneOf). Found 2 valid alternatives',
        },
      ],
    },
  ];
  for (const { name, schema, value, causes } of cases) {
    test(`reports ${name}`, () => {
      const result = admitSpec({ type: 'object', properties: { x: schema } }, { x: value });

      assert.deepEqual(result.causes, causes);
    });
  }

  test('reports nothing for values that satisfy every check', () => {
    const schema = {
      type: 'object',
      properties: {
        when: { type: 'string', format: 'date-time' },
        port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
        ratio: { type: 'number', minimum: 0, maximum: 1 },
        nullable: { type: 'string', nullable: true },
      },
    };

    const result = admitSpec(schema, { when: '2024-02-29T23:59:59.5+08:00', port: 'http', ratio: 1, nullable: null });

    assert.deepEqual(result.causes, []);
  });

  test('names the field of a wrong enum value deep in a project CRD', () => {
    const execution = {
      apiVersion: 'dr.bkbcs.tencent.com/v1alpha1',
      kind: 'DRPlanExecution',
      metadata: { name: 'e', namespace: 'default' },
      spec: { planRef: 'p', operationType: 'Rollback' },
    };

    const result = admitCustomResource(schemas.get('DRPlanExecution'), execution, 'DRPlanExecution');

    assert.deepEqual(result.causes, [
      { reason: 'FieldValueNotSupported', field: 'spec.operationType', message: 'Unsupported value: "Rollback": supported values: "Execute", "Revert"' },
    ]);
  });

  test('reports an object that is not a JSON object, naming the kind', () => {
    const result = admitCustomResource(rootWith({ type: 'object' }), [1], 'DRPlan');

    assert.deepEqual(result.causes, [
      { reason: 'FieldValueTypeInvalid', field: '', message: 'Invalid value: "array": a DRPlan must be a JSON object, not array' },
    ]);
  });
});

describe('object names', () => {
  const subdomainRule =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an " +
    "alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
  const invalidNames = ['Upper', 'under_score', '-leading', 'trailing-', 'double..dot'];
  for (const name of invalidNames) {
    test(`rejects the name ${JSON.stringify(name)} with the RFC 1123 message`, () => {
      assert.deepEqual(validateObjectName({ name }), [
        { reason: 'FieldValueInvalid', field: 'metadata.name', message: `Invalid value: ${JSON.stringify(name)}: ${subdomainRule}` },
      ]);
    });
  }

  test('rejects a name longer than 253 characters', () => {
    const name = 'a'.repeat(254);

    assert.deepEqual(validateObjectName({ name }), [
      { reason: 'FieldValueInvalid', field: 'metadata.name', message: `Invalid value: "${name}": must be no more than 253 characters` },
    ]);
  });

  test('accepts dotted lowercase names', () => {
    assert.deepEqual(validateObjectName({ name: 'switchover.cluster-a.v2' }), []);
  });

  test('requires a name or a generateName', () => {
    assert.deepEqual(validateObjectName({}), [
      { reason: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' },
    ]);
  });

  test('accepts a generateName prefix ending in a dash', () => {
    assert.deepEqual(validateObjectName({ generateName: 'run-' }), []);
  });

  test('reports a bad name through admission too', () => {
    const result = admitCustomResource(rootWith({ type: 'object' }), { ...withMeta({}), metadata: { name: 'Bad' } }, 'Thing');

    assert.deepEqual(
      result.causes.map((c) => c.field),
      ['metadata.name'],
    );
  });
});

describe('properties', () => {
  const schema = rootWith({
    type: 'object',
    properties: {
      mode: { type: 'string', default: 'a', enum: ['a', 'b'] },
      nested: { type: 'object', default: {}, properties: { n: { type: 'integer', default: 1 } } },
      list: { type: 'array', items: { type: 'object', properties: { k: { type: 'string', default: 'k' } } } },
    },
  });
  const json = fc.jsonValue({ maxDepth: 3 });
  const spec = fc.record(
    {
      mode: fc.oneof(fc.constantFrom('a', 'b'), json),
      nested: fc.oneof(fc.record({ n: fc.integer() }, { requiredKeys: [] }), json),
      list: fc.array(fc.oneof(fc.object(), json)),
      other: json,
    },
    { requiredKeys: [] },
  );

  test('admitting an admitted object changes nothing', () => {
    fc.assert(
      fc.property(spec, (value) => {
        const once = admitCustomResource(schema, withMeta(value), 'Thing');
        const twice = admitCustomResource(schema, once.object, 'Thing');
        assert.deepEqual(twice.object, once.object);
        assert.deepEqual(twice.causes, once.causes);
      }),
    );
  });

  test('the admitted object never keeps a field the schema does not know', () => {
    fc.assert(
      fc.property(spec, (value) => {
        const admitted = admitCustomResource(schema, withMeta(value), 'Thing').object as { spec: Record<string, unknown> };
        assert.ok(Object.keys(admitted.spec).every((key) => ['mode', 'nested', 'list'].includes(key)));
      }),
    );
  });
});
