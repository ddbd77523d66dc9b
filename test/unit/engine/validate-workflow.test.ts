import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
import type { Problem } from '../../../shared/engine/problems.js';
import { validateWorkflow } from '../../../shared/engine/validate-workflow.js';
import { ORIGINAL_MANIFESTS } from '../../support/fixtures.js';

// ---- Fixtures -------------------------------------------------------------------------------------

type Raw = Record<string, unknown>;

const workflow = (actions: unknown[], spec: Raw = {}): Raw => ({
  apiVersion: 'dr.bkbcs.tencent.com/v1alpha1',
  kind: 'DRWorkflow',
  metadata: { name: 'wf', namespace: 'default' },
  spec: { actions, ...spec },
});

const http = (name = 'probe', more: Raw = {}): Raw => ({ name, type: 'HTTP', http: { url: 'https://svc.example/health' }, ...more });
const job = (name = 'run', more: Raw = {}): Raw => ({
  name,
  type: 'Job',
  job: { template: { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }] } } } } },
  ...more,
});
const configMap = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: flag\ndata:\n  active: "true"\n';
const resource = (operation: string, manifest = configMap, more: Raw = {}): Raw => ({
  name: 'res',
  type: 'KubernetesResource',
  resource: { operation, manifest },
  ...more,
});
const feed = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'nginx', namespace: 'default' };
const localization = (operation: string, spec: Raw | null = { feed }, more: Raw = {}): Raw => ({
  name: 'loc',
  type: 'Localization',
  localization: { name: 'l', namespace: 'cluster-a', operation, ...(spec === null ? {} : { spec }) },
  ...more,
});
const subscriberList = [{ clusterAffinity: { matchLabels: { env: 'dr' } } }];
const subscription = (operation: string, spec: Raw | null = { feeds: [feed], subscribers: subscriberList }, more: Raw = {}): Raw => ({
  name: 'sub',
  type: 'Subscription',
  subscription: { name: 's', namespace: 'default', operation, ...(spec === null ? {} : { spec }) },
  ...more,
});
const rollbackHttp = { rollback: { type: 'HTTP', http: { url: 'https://svc.example/undo' } } };

interface Case {
  name: string;
  input: unknown;
  path: string;
  message: string;
}

/** Exactly one problem, at `path`, whose message contains `message`. */
function assertOneProblem(problems: readonly Problem[], path: string, message: string): void {
  assert.equal(problems.length, 1, `expected one problem, got ${JSON.stringify(problems, null, 1)}`);
  const [found] = problems;
  assert.ok(found);
  assert.equal(found.path, path);
  assert.ok(found.message.includes(message), `message ${JSON.stringify(found.message)} should contain ${JSON.stringify(message)}`);
}

function runCases(cases: readonly Case[]): void {
  for (const { name, input, path, message } of cases) {
    test(name, () => {
      const { problems } = validateWorkflow(input);
      assertOneProblem(problems, path, message);
    });
  }
}

// ---- Valid workflows ------------------------------------------------------------------------------

describe('validateWorkflow on a valid workflow', () => {
  test('returns the workflow with the webhook defaults applied and no problems', () => {
    const result = validateWorkflow(workflow([http()]));

    assert.deepEqual(result.problems, []);
    assert.deepEqual(result.warnings, []);
    assert.ok(result.workflow);
    assert.equal(result.workflow.spec.failurePolicy, 'FailFast');
    const [action] = result.workflow.spec.actions;
    assert.ok(action);
    assert.equal(action.timeout, '5m');
    assert.equal(action.http?.method, 'GET');
  });

  const accepted: Array<{ name: string; input: Raw }> = [
    {
      name: 'accepts a manifest with unquoted placeholders in both syntaxes',
      input: workflow(
        [resource('Create', 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: $(params.app)\nspec:\n  replicas: {{ .params.replicas }}\n')],
        {
          parameters: [{ name: 'app' }, { name: 'replicas', type: 'number', default: '3' }],
        },
      ),
    },
    { name: 'accepts a multi-document manifest', input: workflow([resource('Create', `${configMap}---\n${configMap.replace('flag', 'other')}`)]) },
    { name: 'accepts a Patch that has a rollback', input: workflow([resource('Patch', configMap, rollbackHttp)]) },
    {
      name: 'does not ask a rollback that patches to have a rollback of its own',
      input: workflow([resource('Patch', configMap, { rollback: { type: 'KubernetesResource', resource: { operation: 'Patch', manifest: configMap } } })]),
    },
    { name: 'accepts a Patch without a rollback when its revertPolicy is Ignore', input: workflow([resource('Patch', configMap, { revertPolicy: 'Ignore' })]) },
    { name: 'accepts a Delete without a rollback', input: workflow([resource('Delete'), localization('Delete', null), subscription('Delete', null)]) },
    { name: 'accepts dependsOn naming an earlier action', input: workflow([http('first'), job('second', { dependsOn: ['first'] })]) },
    {
      name: 'accepts a URL that starts with a placeholder',
      input: workflow([{ name: 'p', type: 'HTTP', http: { url: '{{ .params.endpoint }}/health' } }], { parameters: [{ name: 'endpoint' }] }),
    },
    {
      name: 'accepts built-in placeholders without declaring them',
      input: workflow([http('p', { http: { url: 'https://x.example/{{ .planName }}/$(executionName)' } })]),
    },
    { name: 'accepts an explicit Native executor', input: workflow([http()], { executor: { type: 'Native' } }) },
  ];
  for (const { name, input } of accepted) {
    test(name, () => {
      const result = validateWorkflow(input);

      assert.deepEqual(result.problems, []);
      assert.deepEqual(result.warnings, []);
    });
  }

  const seedFolder = pathToFileURL(`${ORIGINAL_MANIFESTS}/`);
  for (const file of ['samples/drworkflow-http.yaml', 'install/workflow-subscription.yaml', 'switchover/workflow-switchover.yaml']) {
    test(`accepts the original sample ${file}`, () => {
      const input: unknown = parseYaml(readFileSync(new URL(file, seedFolder), 'utf8'));

      const result = validateWorkflow(input);

      assert.deepEqual(result.problems, []);
      assert.ok(result.workflow);
    });
  }
});

// ---- Schema problems ------------------------------------------------------------------------------

describe('validateWorkflow reports schema problems with the field path', () => {
  runCases([
    {
      name: 'names an unknown field and the key it should have been',
      input: workflow([{ name: 'r', type: 'KubernetesResource', kubernetesResource: { manifest: configMap } }]),
      path: 'spec.actions[0]',
      message: 'unknown field "kubernetesResource" (the KubernetesResource config key is "resource")',
    },
    {
      name: 'lists the allowed values of an enum',
      input: workflow([http('p', { type: 'Http' })]),
      path: 'spec.actions[0].type',
      message: 'must be one of HTTP, Job, Localization, Subscription, KubernetesResource, got "Http"',
    },
    {
      name: 'says required for a missing field',
      input: workflow([{ name: 'p', type: 'HTTP', http: {} }]),
      path: 'spec.actions[0].http.url',
      message: 'required',
    },
    { name: 'says a list must not be empty', input: workflow([]), path: 'spec.actions', message: 'must not be empty' },
    {
      name: 'rejects a timeout that is not a Go duration',
      input: workflow([http('p', { timeout: '5 minutes' })]),
      path: 'spec.actions[0].timeout',
      message: 'must be a Go duration such as 10s, 5m or 1h30m, got "5 minutes"',
    },
    {
      name: 'rejects a timeout longer than a week (a timer could not hold it)',
      input: workflow([http('p', { timeout: '600h' })]),
      path: 'spec.actions[0].timeout',
      message: 'must be at most 168h (a week), got "600h"',
    },
    {
      name: 'rejects a retry interval that is not a Go duration',
      input: workflow([http('p', { retryPolicy: { interval: '5' } })]),
      path: 'spec.actions[0].retryPolicy.interval',
      message: 'must be a Go duration',
    },
    {
      name: 'rejects a backoffMultiplier that is not a decimal',
      input: workflow([http('p', { retryPolicy: { backoffMultiplier: 'double' } })]),
      path: 'spec.actions[0].retryPolicy.backoffMultiplier',
      message: 'must be a decimal number ≥ 1.0 written as a string',
    },
    {
      name: 'rejects a backoffMultiplier written as a number',
      input: workflow([http('p', { retryPolicy: { backoffMultiplier: 2 } })]),
      path: 'spec.actions[0].retryPolicy.backoffMultiplier',
      message: 'must be a string, got 2',
    },
    {
      name: 'rejects a Job template without containers',
      input: workflow([job('j', { job: { template: { spec: { template: { spec: { containers: [] } } } } } })]),
      path: 'spec.actions[0].job.template.spec.template.spec.containers',
      message: 'a Job needs at least one container',
    },
    { name: 'rejects an input that is not an object', input: 'DRWorkflow', path: '', message: 'must be an object, got "DRWorkflow"' },
    { name: 'rejects another kind', input: { ...workflow([http()]), kind: 'DRPlan' }, path: 'kind', message: 'must be DRWorkflow, got "DRPlan"' },
    {
      name: 'rejects another API version',
      input: { ...workflow([http()]), apiVersion: 'dr.bkbcs.tencent.com/v1' },
      path: 'apiVersion',
      message: 'must be dr.bkbcs.tencent.com/v1alpha1, got "dr.bkbcs.tencent.com/v1"',
    },
  ]);

  test('reports every schema problem at once, in field order', () => {
    const { problems, workflow: parsed } = validateWorkflow(workflow([http('a', { timeout: 'x' }), { name: 'b', type: 'Nope' }]));

    assert.equal(parsed, undefined);
    assert.deepEqual(
      problems.map(({ path }) => path),
      ['spec.actions[0].timeout', 'spec.actions[1].type'],
    );
  });
});

// ---- Semantic rules -------------------------------------------------------------------------------

describe('validateWorkflow applies the rules a schema cannot express', () => {
  runCases([
    {
      name: 'rejects the Argo executor',
      input: workflow([http()], { executor: { type: 'Argo' } }),
      path: 'spec.executor.type',
      message: 'only the Native executor runs in drplan-functions',
    },
    {
      name: 'names a duplicate action and both of its indices',
      input: workflow([http('same'), job('other'), http('same')]),
      path: 'spec.actions[2].name',
      message: 'duplicate action name "same": spec.actions[0] and spec.actions[2]',
    },
    {
      name: 'rejects an action name with a slash, which would make action paths ambiguous',
      input: workflow([http('check/1/primary')]),
      path: 'spec.actions[0].name',
      message: 'action name "check/1/primary" must not contain "/"',
    },
    {
      name: 'rejects an action config that belongs to another type',
      input: workflow([http('p', { job: job().job })]),
      path: 'spec.actions[0].job',
      message: 'not allowed when type is HTTP',
    },
    {
      name: 'requires a rollback for a KubernetesResource Patch',
      input: workflow([resource('Patch')]),
      path: 'spec.actions[0].rollback',
      message: "required when a KubernetesResource action's operation is Patch",
    },
    {
      name: 'requires a rollback for a KubernetesResource Apply',
      input: workflow([resource('Apply')]),
      path: 'spec.actions[0].rollback',
      message: 'operation is Apply',
    },
    {
      name: 'requires a rollback for a Localization Patch',
      input: workflow([localization('Patch')]),
      path: 'spec.actions[0].rollback',
      message: "required when a Localization action's operation is Patch",
    },
    {
      name: 'rejects a rollback that never runs: revertPolicy Ignore',
      input: workflow([http('notify', { revertPolicy: 'Ignore', ...rollbackHttp })]),
      path: 'spec.actions[0].rollback',
      message: 'never runs: revertPolicy is Ignore (remove one of the two)',
    },
    {
      name: 'rejects a revertPolicy that is neither Undo nor Ignore',
      input: workflow([http('notify', { revertPolicy: 'Never' })]),
      path: 'spec.actions[0].revertPolicy',
      message: 'Undo',
    },
    {
      name: 'requires a rollback for a Subscription Patch',
      input: workflow([subscription('Patch')]),
      path: 'spec.actions[0].rollback',
      message: "required when a Subscription action's operation is Patch",
    },
    {
      name: 'requires the spec of a Localization to create',
      input: workflow([localization('Create', null)]),
      path: 'spec.actions[0].localization.spec',
      message: 'required when operation is Create',
    },
    {
      name: 'requires the spec of a Subscription to create',
      input: workflow([subscription('Create', null)]),
      path: 'spec.actions[0].subscription.spec',
      message: 'required when operation is Create',
    },
    {
      name: 'requires at least one feed in a Subscription to create',
      input: workflow([subscription('Create', { feeds: [], subscribers: subscriberList })]),
      path: 'spec.actions[0].subscription.spec.feeds',
      message: 'must list at least one feed',
    },
    {
      name: 'requires at least one subscriber in a Subscription to create',
      input: workflow([subscription('Create', { feeds: [feed], subscribers: [] })]),
      path: 'spec.actions[0].subscription.spec.subscribers',
      message: 'must list at least one subscriber',
    },
    {
      name: 'names a duplicate parameter',
      input: workflow([http()], { parameters: [{ name: 'x' }, { name: 'x' }] }),
      path: 'spec.parameters[1].name',
      message: 'duplicate parameter name "x": spec.parameters[0] and spec.parameters[1]',
    },
    {
      name: 'rejects a number parameter whose default is not a number',
      input: workflow([http()], { parameters: [{ name: 'replicas', type: 'number', default: 'three' }] }),
      path: 'spec.parameters[0].default',
      message: 'must be a finite decimal number, got "three"',
    },
    {
      name: 'rejects a boolean parameter whose default is not a boolean',
      input: workflow([http()], { parameters: [{ name: 'dryRun', type: 'boolean', default: 'yes' }] }),
      path: 'spec.parameters[0].default',
      message: 'must be true or false, got "yes"',
    },
    {
      name: 'rejects a parameter with an empty name',
      input: workflow([http()], { parameters: [{ name: ' ' }] }),
      path: 'spec.parameters[0].name',
      message: 'must not be empty',
    },
    {
      name: 'rejects a manifest that is not YAML, with its line',
      input: workflow([resource('Create', 'apiVersion: v1\nkind: [ConfigMap\n')]),
      path: 'spec.actions[0].resource.manifest',
      message: 'not valid YAML at line',
    },
    {
      name: 'rejects a manifest without kind',
      input: workflow([resource('Create', 'apiVersion: v1\nmetadata:\n  name: x\n')]),
      path: 'spec.actions[0].resource.manifest',
      message: 'kind is required',
    },
    {
      name: 'rejects a manifest without metadata.name',
      input: workflow([resource('Create', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels: {}\n')]),
      path: 'spec.actions[0].resource.manifest',
      message: 'metadata.name is required',
    },
    {
      name: 'numbers the document of a multi-document manifest that lacks apiVersion',
      input: workflow([resource('Create', `${configMap}---\nkind: Secret\nmetadata:\n  name: s\n`)]),
      path: 'spec.actions[0].resource.manifest',
      message: 'document 2: apiVersion is required',
    },
    {
      name: 'rejects a manifest that is a plain string',
      input: workflow([resource('Create', 'just text')]),
      path: 'spec.actions[0].resource.manifest',
      message: 'must hold a Kubernetes object',
    },
    {
      name: 'rejects a manifest with only comments',
      input: workflow([resource('Create', '# nothing here\n')]),
      path: 'spec.actions[0].resource.manifest',
      message: 'contains no Kubernetes object',
    },
    {
      name: 'rejects dependsOn naming a later action',
      input: workflow([http('first', { dependsOn: ['second'] }), job('second')]),
      path: 'spec.actions[0].dependsOn[0]',
      message: '"second" is spec.actions[1], which comes later',
    },
    {
      name: 'rejects dependsOn naming an unknown action',
      input: workflow([http('first', { dependsOn: ['ghost'] })]),
      path: 'spec.actions[0].dependsOn[0]',
      message: 'no action named "ghost"',
    },
    {
      name: 'rejects an action that depends on itself',
      input: workflow([http('first'), http('second', { dependsOn: ['first', 'second'] })]),
      path: 'spec.actions[1].dependsOn[1]',
      message: 'an action cannot depend on itself',
    },
    {
      name: 'applies the per-type rules to a rollback action',
      input: workflow([resource('Patch', configMap, { rollback: { type: 'HTTP' } })]),
      path: 'spec.actions[0].rollback.http',
      message: 'required when type is HTTP',
    },
    {
      name: 'applies the per-type rules to the rollback of a rollback',
      input: workflow([
        http('p', {
          rollback: { type: 'HTTP', http: { url: 'https://x.example' }, rollback: { type: 'Localization', localization: { name: 'l', namespace: 'n' } } },
        }),
      ]),
      path: 'spec.actions[0].rollback.rollback.localization.spec',
      message: 'required when operation is Create',
    },
    { name: 'rejects a zero timeout', input: workflow([http('p', { timeout: '0s' })]), path: 'spec.actions[0].timeout', message: 'must be greater than 0' },
    {
      name: 'rejects a URL that is not absolute http(s)',
      input: workflow([http('p', { http: { url: 'svc/health' } })]),
      path: 'spec.actions[0].http.url',
      message: 'must be an absolute http:// or https:// URL, got "svc/health"',
    },
    {
      name: 'rejects a success code that is not an HTTP status',
      input: workflow([http('p', { http: { url: 'https://x.example', successCodes: [200, 2000] } })]),
      path: 'spec.actions[0].http.successCodes[1]',
      message: 'must be an HTTP status code (100-599), got 2000',
    },
    {
      name: 'rejects a parameter reference that is not substituted',
      input: workflow([http('p', { http: { url: 'https://x.example/{{ .params.path | quote }}' } })], { parameters: [{ name: 'path' }] }),
      path: 'spec.actions[0].http.url',
      message: '"{{ .params.path | quote }}" is not a placeholder drplan substitutes',
    },
  ]);

  const missingConfig: Array<[string, string]> = [
    ['HTTP', 'http'],
    ['Job', 'job'],
    ['KubernetesResource', 'resource'],
    ['Localization', 'localization'],
    ['Subscription', 'subscription'],
  ];
  for (const [type, key] of missingConfig) {
    test(`requires the ${key} config when type is ${type}`, () => {
      const { problems } = validateWorkflow(workflow([{ name: 'a', type }]));

      assertOneProblem(problems, `spec.actions[0].${key}`, `required when type is ${type}`);
    });
  }

  test('keeps the parsed workflow when only semantic rules fail, so callers can still read it', () => {
    const result = validateWorkflow(workflow([http('same'), http('same')]));

    assert.equal(result.problems.length, 1);
    assert.equal(result.workflow?.spec.actions.length, 2);
  });
});

// ---- Placeholder warnings -------------------------------------------------------------------------

describe('validateWorkflow warns about parameters the plan must supply', () => {
  test('warns, without a problem, about a placeholder whose parameter is not declared', () => {
    const input = workflow([localization('Create', { feed: { ...feed, namespace: '{{ .params.feedNamespace }}' } })]);

    const { problems, warnings } = validateWorkflow(input);

    assert.deepEqual(problems, []);
    assert.equal(warnings.length, 1);
    const [warning] = warnings;
    assert.ok(warning);
    assert.equal(warning.path, 'spec.actions[0].localization.spec.feed.namespace');
    assert.match(warning.message, /parameter "feedNamespace" is not declared in spec\.parameters/);
  });

  test('warns about undeclared parameters used inside a rollback', () => {
    const input = workflow([resource('Patch', configMap, { rollback: { type: 'HTTP', http: { url: 'https://x.example/$(params.undo)' } } })]);

    const { warnings } = validateWorkflow(input);

    assert.deepEqual(
      warnings.map(({ path }) => path),
      ['spec.actions[0].rollback.http.url'],
    );
  });
});

// ---- Robustness -----------------------------------------------------------------------------------

describe('validateWorkflow never throws', () => {
  test('returns problems, not exceptions, for any value', () => {
    fc.assert(
      fc.property(fc.anything(), (input) => {
        const result = validateWorkflow(input);
        return Array.isArray(result.problems) && Array.isArray(result.warnings);
      }),
    );
  });

  test('returns problems, not exceptions, for any spec of workflow-like shape', () => {
    const anyAction = fc.record(
      {
        name: fc.oneof(fc.constantFrom('a', 'b'), fc.string()),
        type: fc.constantFrom('HTTP', 'Job', 'KubernetesResource', 'Localization', 'Subscription', 'Other'),
        http: fc.record({ url: fc.string() }),
        resource: fc.record({ operation: fc.constantFrom('Create', 'Patch', 'Apply'), manifest: fc.string() }),
        dependsOn: fc.array(fc.constantFrom('a', 'b', 'c')),
        rollback: fc.record({ type: fc.constantFrom('HTTP', 'Job'), http: fc.record({ url: fc.string() }) }),
      },
      { requiredKeys: ['name', 'type'] },
    );

    fc.assert(
      fc.property(fc.array(anyAction, { maxLength: 4 }), (actions) => {
        const result = validateWorkflow(workflow(actions));
        return result.workflow !== undefined || result.problems.length > 0;
      }),
    );
  });

  test('survives a manifest that expands aliases without bound', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (const [i, previous] of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].entries()) {
      const next = String.fromCharCode(98 + i);
      bomb.push(`${next}: &${next} [*${previous},*${previous},*${previous},*${previous},*${previous},*${previous},*${previous},*${previous},*${previous}]`);
    }

    const { problems } = validateWorkflow(workflow([resource('Create', bomb.join('\n'))]));

    assertOneProblem(problems, 'spec.actions[0].resource.manifest', 'not valid YAML: Excessive alias count');
  });
});

describe('validateWorkflow: hard limits, each named by its field', () => {
  test('at most 500 actions', () => {
    const actions = Array.from({ length: 501 }, (_, index) => http(`a${index}`));
    assertOneProblem(validateWorkflow(workflow(actions)).problems, 'spec.actions', '500');
  });

  test('a manifest of at most 256 KiB', () => {
    const manifest = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  blob: "${'x'.repeat(256 * 1024)}"\n`;
    assertOneProblem(validateWorkflow(workflow([resource('Create', manifest)])).problems, 'spec.actions[0].resource.manifest', '262144');
  });

  test('at most 100 parameters', () => {
    const parameters = Array.from({ length: 101 }, (_, index) => ({ name: `p${index}` }));
    assertOneProblem(validateWorkflow(workflow([http()], { parameters })).problems, 'spec.parameters', '100');
  });
});
