import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PrinterColumn } from '../../../local/apiserver/table.js';
import { cellFor, humanDuration, toTable } from '../../../local/apiserver/table.js';
import { evaluateJsonPath } from '../../../local/apiserver/table-jsonpath.js';
import { builtinTable, formatSelector, jobCompletions, jobStatus } from '../../../local/apiserver/table-builtins.js';

const NOW = new Date('2025-01-01T12:00:00Z');
const minutesAgo = (minutes: number): string => new Date(NOW.getTime() - minutes * 60_000).toISOString();

interface Table {
  kind: string;
  apiVersion: string;
  metadata: Record<string, unknown>;
  columnDefinitions: { name: string; type: string; format: string; description: string; priority: number }[];
  rows: { cells: unknown[]; object: Record<string, unknown> }[];
}

const asTable = (value: unknown): Table => value as Table;
const columnNames = (table: Table): string[] => table.columnDefinitions.map((c) => c.name);

const planColumns: PrinterColumn[] = [
  { name: 'Stages', type: 'string', jsonPath: '.spec.stages[*].name' },
  { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
];

const plan = {
  apiVersion: 'dr.bkbcs.tencent.com/v1alpha1',
  kind: 'DRPlan',
  metadata: { name: 'switchover', namespace: 'default', uid: 'u1', resourceVersion: '7', creationTimestamp: minutesAgo(5) },
  spec: { stages: [{ name: 'drain' }, { name: 'promote' }] },
  status: { phase: 'Ready' },
};

describe('custom resource tables', () => {
  test('are meta.k8s.io/v1 Tables carrying the list resourceVersion', () => {
    const table = asTable(toTable([plan], planColumns, { resourceVersion: '42' }, NOW));

    assert.equal(table.kind, 'Table');
    assert.equal(table.apiVersion, 'meta.k8s.io/v1');
    assert.deepEqual(table.metadata, { resourceVersion: '42' });
  });

  test('start with a Name column and keep the printer columns in order', () => {
    const table = asTable(toTable([plan], planColumns, undefined, NOW));

    assert.deepEqual(columnNames(table), ['Name', 'Stages', 'Phase', 'Age']);
    assert.deepEqual(table.columnDefinitions[0], {
      name: 'Name',
      type: 'string',
      format: 'name',
      description: 'Name must be unique within a namespace.',
      priority: 0,
    });
  });

  test('compute each cell from the first JSONPath match and render dates as ages', () => {
    const table = asTable(toTable([plan], planColumns, undefined, NOW));

    assert.deepEqual(table.rows[0]?.cells, ['switchover', 'drain', 'Ready', '5m']);
  });

  test('carry each object as PartialObjectMetadata', () => {
    const table = asTable(toTable([plan], planColumns, undefined, NOW));

    assert.deepEqual(table.rows[0]?.object, { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: plan.metadata });
  });

  test('use null for a cell whose path matches nothing', () => {
    const table = asTable(toTable([{ ...plan, status: {} }], planColumns, undefined, NOW));

    assert.equal(table.rows[0]?.cells[2], null);
  });

  const ageCases: { name: string; columns: PrinterColumn[] | undefined; expected: string[] }[] = [
    { name: 'no printer columns', columns: undefined, expected: ['Name', 'Age'] },
    { name: 'columns without an age', columns: [{ name: 'Phase', type: 'string', jsonPath: '.status.phase' }], expected: ['Name', 'Phase', 'Age'] },
    { name: 'an upper-case AGE column', columns: [{ name: 'AGE', type: 'date', jsonPath: '.metadata.creationTimestamp' }], expected: ['Name', 'AGE'] },
    {
      name: 'a creation-time column under another name',
      columns: [{ name: 'Created', type: 'date', jsonPath: '.metadata.creationTimestamp' }],
      expected: ['Name', 'Created'],
    },
  ];
  for (const { name, columns, expected } of ageCases) {
    test(`have exactly one age column given ${name}`, () => {
      assert.deepEqual(columnNames(asTable(toTable([plan], columns, undefined, NOW))), expected);
    });
  }

  test('describe a column by its JSONPath when the CRD gives no description', () => {
    const table = asTable(toTable([plan], [{ name: 'Phase', type: 'string', jsonPath: '.status.phase', priority: 1 }], undefined, NOW));

    assert.deepEqual(table.columnDefinitions[1], {
      name: 'Phase',
      type: 'string',
      format: '',
      priority: 1,
      description: 'Custom resource definition column (in JSONPath format): .status.phase',
    });
  });
});

describe('cells by column type', () => {
  const cases: { type: string; value: unknown; expected: unknown }[] = [
    { type: 'string', value: 'text', expected: 'text' },
    { type: 'string', value: 3, expected: '3' },
    { type: 'string', value: ['a', 'b'], expected: '["a","b"]' },
    { type: 'integer', value: 4.9, expected: 4 },
    { type: 'integer', value: 'four', expected: null },
    { type: 'number', value: 0.5, expected: 0.5 },
    { type: 'boolean', value: true, expected: true },
    { type: 'boolean', value: 'true', expected: null },
    { type: 'date', value: minutesAgo(90), expected: '90m' },
    { type: 'date', value: 'yesterday', expected: '<invalid>' },
    { type: 'string', value: null, expected: null },
  ];
  for (const { type, value, expected } of cases) {
    test(`a ${type} column shows ${JSON.stringify(value)} as ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(cellFor(type, value, NOW), expected);
    });
  }
});

describe('JSONPath of printer columns', () => {
  const object = {
    metadata: { labels: { 'app.kubernetes.io/name': 'demo' } },
    spec: { stages: [{ name: 'a', n: 1 }, { name: 'b' }, { name: 'c' }] },
    status: {
      conditions: [
        { type: 'Ready', status: 'True' },
        { type: 'Synced', status: 'False' },
      ],
    },
  };
  const cases: { path: string; expected: unknown[] }[] = [
    { path: '.spec.stages[0].name', expected: ['a'] },
    { path: '.spec.stages[-1].name', expected: ['c'] },
    { path: '.spec.stages[*].name', expected: ['a', 'b', 'c'] },
    { path: '{.spec.stages[1].name}', expected: ['b'] },
    { path: ".metadata.labels['app.kubernetes.io/name']", expected: ['demo'] },
    { path: '.metadata.labels.app\\.kubernetes\\.io/name', expected: ['demo'] },
    { path: '.status.conditions[?(@.type=="Ready")].status', expected: ['True'] },
    { path: '.status.conditions[?(@.type!="Ready")].type', expected: ['Synced'] },
    { path: '.spec.stages[?(@.n)].name', expected: ['a'] },
    { path: '.spec.missing.deeper', expected: [] },
    { path: '.spec.stages[9].name', expected: [] },
    { path: 'spec.stages', expected: [] },
  ];
  for (const { path, expected } of cases) {
    test(`${path} selects ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(evaluateJsonPath(object, path), expected);
    });
  }
});

describe('human durations', () => {
  const cases: [number, string][] = [
    [-2_500, '<invalid>'],
    [-1_500, '0s'],
    [0, '0s'],
    [59_000, '59s'],
    [119_000, '119s'],
    [120_000, '2m'],
    [125_000, '2m5s'],
    [600_000, '10m'],
    [179 * 60_000, '179m'],
    [3 * 3_600_000, '3h'],
    [3 * 3_600_000 + 5 * 60_000, '3h5m'],
    [8 * 3_600_000, '8h'],
    [47 * 3_600_000, '47h'],
    [48 * 3_600_000, '2d'],
    [50 * 3_600_000, '2d2h'],
    [8 * 86_400_000, '8d'],
    [400 * 86_400_000, '400d'],
    [730 * 86_400_000, '2y'],
    [735 * 86_400_000, '2y5d'],
    [8 * 365 * 86_400_000, '8y'],
  ];
  for (const [milliseconds, expected] of cases) {
    test(`${milliseconds}ms reads ${expected}`, () => {
      assert.equal(humanDuration(milliseconds), expected);
    });
  }
});

describe('built-in tables', () => {
  const meta = (name: string): Record<string, unknown> => ({ name, namespace: 'default', creationTimestamp: minutesAgo(3) });
  const job = (status: Record<string, unknown>, spec: Record<string, unknown> = { completions: 1, parallelism: 1 }): Record<string, unknown> => ({
    metadata: meta('j'),
    spec: {
      ...spec,
      selector: { matchLabels: { 'job-name': 'j' } },
      template: {
        spec: {
          containers: [
            { name: 'main', image: 'busybox' },
            { name: 'side', image: 'envoy' },
          ],
        },
      },
    },
    status,
  });

  const cases: { key: string; object: Record<string, unknown>; columns: string[]; cells: unknown[] }[] = [
    { key: 'namespaces', object: { metadata: meta('prod'), status: { phase: 'Active' } }, columns: ['Name', 'Status', 'Age'], cells: ['prod', 'Active', '3m'] },
    {
      key: 'configmaps',
      object: { metadata: meta('cm'), data: { a: '1', b: '2' }, binaryData: { c: '' } },
      columns: ['Name', 'Data', 'Age'],
      cells: ['cm', 3, '3m'],
    },
    {
      key: 'secrets',
      object: { metadata: meta('s'), type: 'Opaque', data: { a: 'eA==' } },
      columns: ['Name', 'Type', 'Data', 'Age'],
      cells: ['s', 'Opaque', 1, '3m'],
    },
    { key: 'serviceaccounts', object: { metadata: meta('sa'), secrets: [{ name: 't' }] }, columns: ['Name', 'Secrets', 'Age'], cells: ['sa', 1, '3m'] },
    {
      key: 'leases.coordination.k8s.io',
      object: { metadata: meta('l'), spec: { holderIdentity: 'fn-1' } },
      columns: ['Name', 'Holder', 'Age'],
      cells: ['l', 'fn-1', '3m'],
    },
    {
      key: 'jobs.batch',
      object: job({ startTime: minutesAgo(3), completionTime: minutesAgo(1), succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] }),
      columns: ['Name', 'Status', 'Completions', 'Duration', 'Age', 'Containers', 'Images', 'Selector'],
      cells: ['j', 'Complete', '1/1', '2m', '3m', 'main,side', 'busybox,envoy', 'job-name=j'],
    },
    {
      key: 'events',
      object: {
        metadata: meta('e.1'),
        type: 'Normal',
        reason: 'ExecutionStarted',
        message: ' started \n',
        count: 2,
        involvedObject: { kind: 'DRPlanExecution', name: 'run-1' },
        source: { component: 'plan-stages' },
        firstTimestamp: minutesAgo(10),
        lastTimestamp: minutesAgo(2),
      },
      columns: ['Last Seen', 'Type', 'Reason', 'Object', 'Subobject', 'Source', 'Message', 'First Seen', 'Count', 'Name'],
      cells: ['2m', 'Normal', 'ExecutionStarted', 'drplanexecution/run-1', '', 'plan-stages', 'started', '10m', 2, 'e.1'],
    },
    {
      key: 'customresourcedefinitions.apiextensions.k8s.io',
      object: { metadata: { name: 'drplans.dr.bkbcs.tencent.com', creationTimestamp: '2024-05-06T07:08:09.123Z' } },
      columns: ['Name', 'Created At'],
      cells: ['drplans.dr.bkbcs.tencent.com', '2024-05-06T07:08:09Z'],
    },
  ];
  for (const { key, object, columns, cells } of cases) {
    test(`${key} show ${columns.join(', ')}`, () => {
      const table = asTable(builtinTable(key, [object], { resourceVersion: '5' }, NOW));

      assert.deepEqual(columnNames(table), columns);
      assert.deepEqual(table.rows[0]?.cells, cells);
    });
  }

  test('mark the wide-only job columns with priority 1', () => {
    const table = asTable(builtinTable('jobs.batch', [], undefined, NOW));

    assert.deepEqual(
      table.columnDefinitions.filter((c) => c.priority === 1).map((c) => c.name),
      ['Containers', 'Images', 'Selector'],
    );
  });

  const jobStates: { name: string; conditions: { type: string; status: string }[]; expected: string }[] = [
    { name: 'a job without conditions', conditions: [], expected: 'Running' },
    {
      name: 'a failed job',
      conditions: [
        { type: 'FailureTarget', status: 'True' },
        { type: 'Failed', status: 'True' },
      ],
      expected: 'Failed',
    },
    { name: 'a job whose failure is being recorded', conditions: [{ type: 'FailureTarget', status: 'True' }], expected: 'FailureTarget' },
    { name: 'a resumed job', conditions: [{ type: 'Suspended', status: 'False' }], expected: 'Running' },
    { name: 'a suspended job', conditions: [{ type: 'Suspended', status: 'True' }], expected: 'Suspended' },
  ];
  for (const { name, conditions, expected } of jobStates) {
    test(`show ${name} as ${expected}`, () => {
      assert.equal(jobStatus(job({ conditions })), expected);
    });
  }

  test('count completions against parallelism when completions is unset', () => {
    assert.equal(jobCompletions(job({ succeeded: 0 }, { parallelism: 3 })), '0/1 of 3');
  });

  test('fall back to Name and Created At for other types', () => {
    assert.deepEqual(columnNames(asTable(builtinTable('widgets.example.com', [], undefined, NOW))), ['Name', 'Created At']);
  });
});

describe('label selectors', () => {
  const cases: { selector: unknown; expected: string }[] = [
    { selector: undefined, expected: '<none>' },
    { selector: {}, expected: '<none>' },
    { selector: { matchLabels: { b: '2', a: '1' } }, expected: 'a=1,b=2' },
    {
      selector: {
        matchExpressions: [
          { key: 'tier', operator: 'In', values: ['web', 'api'] },
          { key: 'canary', operator: 'DoesNotExist' },
        ],
      },
      expected: '!canary,tier in (api,web)',
    },
  ];
  for (const { selector, expected } of cases) {
    test(`${JSON.stringify(selector)} prints as ${expected}`, () => {
      assert.equal(formatSelector(selector), expected);
    });
  }
});
