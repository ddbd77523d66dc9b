import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { ORIGINAL_MANIFESTS } from '../../support/fixtures.js';
import type { z } from 'zod';
import {
  ActionSchema,
  DRPlanExecutionSchema,
  DRPlanExecutionSpecSchema,
  DRPlanSchema,
  DRPlanSpecSchema,
  DRWorkflowSchema,
  DRWorkflowSpecSchema,
  DurationSchema,
  ParameterSchema,
  parseDuration,
  RetryPolicySchema,
  StageSchema,
} from '../../../shared/api/index.js';
import { formatPath } from '../../../shared/engine/problems.js';

const seedManifestDir = ORIGINAL_MANIFESTS;

const SCHEMA_BY_KIND: Readonly<Record<string, z.ZodType>> = {
  DRWorkflow: DRWorkflowSchema,
  DRPlan: DRPlanSchema,
  DRPlanExecution: DRPlanExecutionSchema,
};

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return yamlFiles(path);
      return /\.ya?ml$/.test(name) ? [path] : [];
    });
}

const describeIssues = (error: z.ZodError): string => error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`).join('; ');

/** The smallest valid HTTP action, with `overrides` merged in. */
const httpAction = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: 'probe',
  type: 'HTTP',
  http: { url: 'http://example.com/health' },
  ...overrides,
});

const workflowSpec = (action: Record<string, unknown>): Record<string, unknown> => ({ actions: [action] });

const minimalStage = { name: 'one', workflows: [{ workflowRef: { name: 'wf' } }] };

describe('the original sample manifests', () => {
  const files = yamlFiles(seedManifestDir);

  test('are present (the reference folder sits next to the repository)', () => {
    assert.ok(files.length > 0, `no manifests under ${seedManifestDir}`);
  });

  for (const file of files) {
    test(`${relative(seedManifestDir, file)} parses with the schema of its kind`, () => {
      const documents = parseAllDocuments(readFileSync(file, 'utf8'));
      assert.ok(Array.isArray(documents) && documents.length > 0, 'the file holds YAML documents');

      for (const document of documents) {
        const manifest: unknown = document.toJS();
        const kind = typeof manifest === 'object' && manifest !== null ? (manifest as Record<string, unknown>).kind : undefined;
        const schema = SCHEMA_BY_KIND[String(kind)];
        assert.ok(schema, `unexpected kind ${String(kind)}`);

        const result = schema.safeParse(manifest);

        assert.ok(result.success, result.success ? '' : describeIssues(result.error));
      }
    });
  }
});

describe('durations', () => {
  const valid = [
    ['10s', 10_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['300ms', 300],
    ['0', 0],
  ] as const;

  for (const [text, ms] of valid) {
    test(`"${text}" is a duration of ${ms} ms`, () => {
      const result = DurationSchema.safeParse(text);

      assert.equal(result.success, true);
      assert.equal(parseDuration(text), ms);
    });
  }

  const invalid = ['10', '5 m', '-1s', 'abc', ''];

  for (const text of invalid) {
    test(`"${text}" is rejected as an action timeout, at the timeout field`, () => {
      const result = DRWorkflowSpecSchema.safeParse(workflowSpec(httpAction({ timeout: text })));

      assert.ok(!result.success, 'rejected');
      assert.deepEqual(
        result.error.issues.map((issue) => ({ path: formatPath(issue.path, 'spec'), message: issue.message })),
        [{ path: 'spec.actions[0].timeout', message: 'must be a Go duration such as 10s, 5m or 1h30m' }],
      );
    });
  }
});

describe('retryPolicy.backoffMultiplier', () => {
  for (const text of ['2.0', '1', '1.5']) {
    test(`"${text}" is accepted and kept as a string`, () => {
      const policy = RetryPolicySchema.parse({ backoffMultiplier: text });

      assert.equal(policy.backoffMultiplier, text);
    });
  }

  for (const text of ['0.5', 'abc', '-2']) {
    test(`"${text}" is rejected at backoffMultiplier`, () => {
      const result = RetryPolicySchema.safeParse({ backoffMultiplier: text });

      assert.ok(!result.success, 'rejected');
      assert.deepEqual(
        result.error.issues.map((issue) => ({ path: issue.path, message: issue.message })),
        [{ path: ['backoffMultiplier'], message: 'must be a decimal number ≥ 1.0 written as a string, e.g. "2.0"' }],
      );
    });
  }

  test('a number instead of a string is rejected', () => {
    const result = RetryPolicySchema.safeParse({ backoffMultiplier: 2 });

    assert.ok(!result.success, 'rejected');
    assert.deepEqual(
      result.error.issues.map((issue) => issue.path),
      [['backoffMultiplier']],
    );
  });
});

describe('defaults applied on parse', () => {
  const cases: readonly { field: string; parsed: () => unknown; expected: unknown }[] = [
    { field: 'action timeout', parsed: () => ActionSchema.parse(httpAction()).timeout, expected: '5m' },
    {
      field: 'retryPolicy given as {}',
      parsed: () => ActionSchema.parse(httpAction({ retryPolicy: {} })).retryPolicy,
      expected: { limit: 3, interval: '5s', backoffMultiplier: '2.0' },
    },
    { field: 'retryPolicy when absent', parsed: () => ActionSchema.parse(httpAction()).retryPolicy, expected: undefined },
    { field: 'http.method', parsed: () => ActionSchema.parse(httpAction()).http?.method, expected: 'GET' },
    {
      field: 'localization.operation',
      parsed: () => ActionSchema.parse({ name: 'l', type: 'Localization', localization: { name: 'n', namespace: 'ns' } }).localization?.operation,
      expected: 'Create',
    },
    {
      field: 'subscription.operation',
      parsed: () => ActionSchema.parse({ name: 's', type: 'Subscription', subscription: { name: 'n' } }).subscription?.operation,
      expected: 'Create',
    },
    {
      field: 'resource.operation',
      parsed: () => ActionSchema.parse({ name: 'r', type: 'KubernetesResource', resource: { manifest: 'kind: ConfigMap' } }).resource?.operation,
      expected: 'Create',
    },
    { field: 'workflow failurePolicy', parsed: () => DRWorkflowSpecSchema.parse(workflowSpec(httpAction())).failurePolicy, expected: 'FailFast' },
    { field: 'plan failurePolicy', parsed: () => DRPlanSpecSchema.parse({ stages: [minimalStage] }).failurePolicy, expected: 'Stop' },
    { field: 'parameter type', parsed: () => ParameterSchema.parse({ name: 'p' }).type, expected: 'string' },
    { field: 'stage parallel', parsed: () => StageSchema.parse(minimalStage).parallel, expected: false },
    { field: 'stage failurePolicy (left to withDefaults)', parsed: () => StageSchema.parse(minimalStage).failurePolicy, expected: undefined },
  ];

  for (const { field, parsed, expected } of cases) {
    test(`${field} defaults to ${expected === undefined ? 'nothing' : JSON.stringify(expected)}`, () => {
      assert.deepEqual(parsed(), expected);
    });
  }

  test('an explicit value wins over the default', () => {
    const action = ActionSchema.parse(httpAction({ timeout: '10s', retryPolicy: { limit: 0 } }));

    assert.equal(action.timeout, '10s');
    assert.deepEqual(action.retryPolicy, { limit: 0, interval: '5s', backoffMultiplier: '2.0' });
  });
});

describe('unknown keys', () => {
  const cases: readonly { name: string; schema: z.ZodType; input: unknown; path: string; key: string }[] = [
    {
      name: 'kubernetesResource instead of resource on an action',
      schema: DRWorkflowSpecSchema,
      input: workflowSpec({ name: 'cm', type: 'KubernetesResource', kubernetesResource: { manifest: 'kind: ConfigMap' } }),
      path: 'spec.actions[0]',
      key: 'kubernetesResource',
    },
    {
      name: 'maxRetries in a retryPolicy',
      schema: DRWorkflowSpecSchema,
      input: workflowSpec(httpAction({ retryPolicy: { maxRetries: 2 } })),
      path: 'spec.actions[0].retryPolicy',
      key: 'maxRetries',
    },
    {
      name: 'globalParameters instead of globalParams on a plan',
      schema: DRPlanSpecSchema,
      input: { stages: [minimalStage], globalParameters: [] },
      path: 'spec',
      key: 'globalParameters',
    },
    {
      name: 'kind in a workflowRef',
      schema: DRPlanSpecSchema,
      input: { stages: [{ name: 'one', workflows: [{ workflowRef: { name: 'wf', kind: 'DRWorkflow' } }] }] },
      path: 'spec.stages[0].workflows[0].workflowRef',
      key: 'kind',
    },
    {
      name: 'revertExecution instead of revertExecutionRef on an execution',
      schema: DRPlanExecutionSpecSchema,
      input: { planRef: 'plan', operationType: 'Revert', revertExecution: 'plan-exec-001' },
      path: 'spec',
      key: 'revertExecution',
    },
  ];

  for (const { name, schema, input, path, key } of cases) {
    test(`${name} is rejected, naming the key at ${path}`, () => {
      const result = schema.safeParse(input);

      assert.ok(!result.success, 'rejected');
      const { issues } = result.error;
      assert.equal(issues.length, 1, describeIssues(result.error));
      const [issue] = issues;
      assert.ok(issue?.code === 'unrecognized_keys', describeIssues(result.error));
      assert.equal(formatPath(issue.path, 'spec'), path);
      assert.deepEqual(issue.keys, [key]);
      assert.match(issue.message, new RegExp(`"${key}"`));
    });
  }
});
