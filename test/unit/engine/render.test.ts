import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import type { Action, DRPlan, DRPlanExecution, DRWorkflow, ResolvedWorkflow } from '../../../shared/api/index.js';
import { ActionSchema, DRPlanExecutionSchema, DRPlanSchema, DRWorkflowSchema, ResolvedPlanSchema } from '../../../shared/api/index.js';
import type { FreezeInput, WorkflowLookup } from '../../../shared/engine/render.js';
import { freezePlan } from '../../../shared/engine/render.js';
import { ORIGINAL_MANIFESTS } from '../../support/fixtures.js';

// ---- Fixtures -------------------------------------------------------------------------------------

const seedDir = ORIGINAL_MANIFESTS;
const seed = (file: string): unknown => parseYaml(readFileSync(join(seedDir, file), 'utf8'));

const NS = 'dr';

const lookupOf =
  (workflows: readonly DRWorkflow[]): WorkflowLookup =>
  (ref) =>
    workflows.find((wf) => wf.metadata.name === ref.name && (wf.metadata.namespace ?? 'default') === ref.namespace);

const workflow = (name: string, spec: Record<string, unknown>): DRWorkflow => DRWorkflowSchema.parse({ metadata: { name, namespace: NS }, spec });

const plan = (spec: Record<string, unknown>, generation?: number): DRPlan =>
  DRPlanSchema.parse({ metadata: { name: 'the-plan', namespace: NS, ...(generation === undefined ? {} : { generation }) }, spec });

const execution = (params?: Array<{ name: string; value: string }>): DRPlanExecution =>
  DRPlanExecutionSchema.parse({ metadata: { name: 'exec-7', namespace: NS }, spec: { planRef: 'the-plan', operationType: 'Execute', params } });

/** A plan with one stage running `workflows` in order, and the freeze input for it. */
function single(workflows: DRWorkflow[], stageParams: Record<string, unknown>[] = [], exec = execution()): FreezeInput {
  const refs = workflows.map((wf, index) => ({ workflowRef: { name: wf.metadata.name }, ...(index === 0 ? { params: stageParams } : {}) }));
  return { plan: plan({ stages: [{ name: 'only', workflows: refs }] }), execution: exec, workflows: lookupOf(workflows) };
}

const http = (name: string, url: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ name, type: 'HTTP', http: { url }, ...extra });

function onlyWorkflow(input: FreezeInput): ResolvedWorkflow {
  const frozen = freezePlan(input);
  const resolved = frozen.resolved.stages?.[0]?.workflows[0];
  assert.ok(resolved);
  return resolved;
}

const firstAction = (input: FreezeInput): Action | undefined => onlyWorkflow(input).actions[0];

// ---- The seed install sample ---------------------------------------------------------------------

describe('freezing the seed install sample', () => {
  const input: FreezeInput = {
    plan: DRPlanSchema.parse(seed('install/drplan.yaml')),
    execution: DRPlanExecutionSchema.parse(seed('install/drplanexecution-execute.yaml')),
    workflows: lookupOf(
      ['workflow-localization-cluster-a.yaml', 'workflow-localization-cluster-b.yaml', 'workflow-subscription.yaml'].map((file) =>
        DRWorkflowSchema.parse(seed(`install/${file}`)),
      ),
    ),
  };
  const frozen = freezePlan(input);
  const [localize, subscribe] = frozen.resolved.stages ?? [];

  test('has no problems and validates against the resolved-plan schema', () => {
    assert.deepEqual(frozen.problems, []);
    assert.ok(ResolvedPlanSchema.safeParse(frozen.resolved).success);
  });

  test('keeps the stage order, dependencies and defaulted failure policies', () => {
    const shape = frozen.resolved.stages?.map(({ name, parallel, failurePolicy, dependsOn }) => ({ name, parallel, failurePolicy, dependsOn }));

    assert.deepEqual(shape, [
      { name: 'localize', parallel: true, failurePolicy: 'FailFast', dependsOn: undefined },
      { name: 'deploy-subscription', parallel: false, failurePolicy: 'Stop', dependsOn: ['localize'] },
    ]);
    assert.equal(frozen.resolved.failurePolicy, 'Stop');
  });

  test("renders each Localization into its cluster's namespace, with the feed in default", () => {
    const localizations = localize?.workflows.map((wf) =>
      wf.actions.map((action) => [action.localization?.namespace, action.localization?.spec?.feed?.namespace]),
    );

    assert.deepEqual(localizations, [
      [
        ['clusternet-cluster-a', 'default'],
        ['clusternet-cluster-a', 'default'],
      ],
      [
        ['clusternet-cluster-b', 'default'],
        ['clusternet-cluster-b', 'default'],
      ],
    ]);
  });

  test('renders the Subscription and its feeds into the feed namespace', () => {
    const subscription = subscribe?.workflows[0]?.actions[0]?.subscription;

    assert.equal(subscription?.namespace, 'default');
    assert.deepEqual(
      subscription.spec?.feeds.map((feed) => feed.namespace),
      ['default', 'default', 'default'],
    );
  });

  test('records the resolved parameters and the defaulted workflow references', () => {
    const workflows = frozen.resolved.stages?.flatMap((stage) => stage.workflows.map(({ workflowRef, params }) => ({ workflowRef, params })));

    assert.deepEqual(workflows, [
      {
        workflowRef: { name: 'nginx-localization-cluster-a', namespace: 'default' },
        params: { managedClusterNamespace: 'clusternet-cluster-a', feedNamespace: 'default' },
      },
      {
        workflowRef: { name: 'nginx-localization-cluster-b', namespace: 'default' },
        params: { managedClusterNamespace: 'clusternet-cluster-b', feedNamespace: 'default' },
      },
      { workflowRef: { name: 'nginx-install-subscription', namespace: 'default' }, params: { feedNamespace: 'default' } },
    ]);
  });

  test('leaves the override patches as written', () => {
    const override = localize?.workflows[0]?.actions[0]?.localization?.spec?.overrides?.[0];

    assert.deepEqual(override, { name: 'replicas-cluster-a', type: 'MergePatch', value: '{"spec":{"replicas":1}}\n' });
  });
});

describe('freezing the seed simple sample', () => {
  test('renders the endpoint from the stage param default and applies the action defaults', () => {
    const input: FreezeInput = {
      plan: DRPlanSchema.parse(seed('samples/drplan-simple.yaml')),
      execution: DRPlanExecutionSchema.parse(seed('samples/drplanexecution.yaml')),
      workflows: lookupOf([DRWorkflowSchema.parse(seed('samples/drworkflow-http.yaml'))]),
    };

    const frozen = freezePlan(input);

    assert.deepEqual(frozen.problems, []);
    const action = frozen.resolved.stages?.[0]?.workflows[0]?.actions[0];
    assert.deepEqual(action?.http, { url: 'http://my-app.example.com/health', method: 'GET', successCodes: [200, 204] });
    assert.equal(action.timeout, '10s');
  });
});

// ---- Rendering -----------------------------------------------------------------------------------

describe('freezePlan rendering', () => {
  test('renders the built-ins from the plan and the execution', () => {
    const wf = workflow('probe', {
      actions: [http('a', 'http://svc/{{ .planName }}/$(planNamespace)/{{ .namespace }}/$(executionName)')],
    });

    const action = firstAction(single([wf]));

    assert.equal(action?.http?.url, 'http://svc/the-plan/dr/dr/exec-7');
  });

  test('lets the execution params override every other level', () => {
    const wf = workflow('probe', { parameters: [{ name: 'host', default: 'wf' }], actions: [http('a', 'http://$(params.host)')] });

    const action = firstAction(single([wf], [{ name: 'host', value: 'stage' }], execution([{ name: 'host', value: 'exec' }])));

    assert.equal(action?.http?.url, 'http://exec');
  });

  test('renders every string of an action, headers, body and Job template included', () => {
    const wf = workflow('probe', {
      parameters: [{ name: 'token', default: 't' }],
      actions: [
        http('a', 'http://x', {
          when: '{{ .params.token }}',
          http: { url: 'http://x', headers: { 'X-Token': '$(params.token)' }, body: '{"t":"{{ .params.token }}"}' },
        }),
        {
          name: 'j',
          type: 'Job',
          job: { template: { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox', args: ['$(params.token)', '$(HOME)'] }] } } } } },
        },
      ],
    });

    const [first, second] = onlyWorkflow(single([wf])).actions;

    assert.ok(first && second);
    assert.deepEqual(first.http?.headers, { 'X-Token': 't' });
    assert.equal(first.http.body, '{"t":"t"}');
    assert.equal(first.when, 't');
    assert.deepEqual(second.job?.template.spec.template.spec.containers[0], { name: 'c', image: 'busybox', args: ['t', '$(HOME)'] });
  });

  test('renders nested rollback actions, their manifests included', () => {
    const wf = workflow('probe', {
      parameters: [{ name: 'ns', default: 'team-a' }],
      actions: [
        http('a', 'http://x', {
          rollback: {
            type: 'HTTP',
            http: { url: 'http://undo/$(params.ns)' },
            rollback: { type: 'KubernetesResource', resource: { manifest: 'kind: ConfigMap\nmetadata:\n  namespace: {{ .params.ns }}\n' } },
          },
        }),
      ],
    });

    const action = firstAction(single([wf]));

    assert.equal(action?.rollback?.http?.url, 'http://undo/team-a');
    assert.deepEqual(parseYaml(action.rollback.rollback?.resource?.manifest ?? ''), { kind: 'ConfigMap', metadata: { namespace: 'team-a' } });
  });

  test('renders a resource manifest as YAML, so a value cannot inject fields, and types declared numbers', () => {
    const manifest = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .params.name }}\ndata:\n  count: "{{ .params.n }}"\nreplicas: {{ .params.n }}\n';
    const wf = workflow('probe', {
      parameters: [{ name: 'name' }, { name: 'n', type: 'number' }],
      actions: [{ name: 'r', type: 'KubernetesResource', resource: { manifest } }],
    });

    const action = firstAction(
      single(
        [wf],
        [
          { name: 'name', value: 'a\nkind: Secret' },
          { name: 'n', value: '3' },
        ],
      ),
    );

    const docs = parseAllDocuments(action?.resource?.manifest ?? '').map((doc) => doc.toJS() as unknown);
    assert.deepEqual(docs, [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a\nkind: Secret' }, data: { count: '3' }, replicas: 3 }]);
  });

  test('produces actions that validate against the action schema', () => {
    const wf = workflow('probe', { parameters: [{ name: 'h', default: 'x' }], actions: [http('a', 'http://$(params.h)', { retryPolicy: { limit: 1 } })] });

    const action = firstAction(single([wf]));

    assert.ok(ActionSchema.safeParse(action).success);
    assert.deepEqual(action?.retryPolicy, { limit: 1, interval: '5s', backoffMultiplier: '2.0' });
  });

  test('records the plan generation', () => {
    const wf = workflow('probe', { actions: [http('a', 'http://x')] });
    const input = { ...single([wf]), plan: plan({ stages: [{ name: 's', workflows: [{ workflowRef: { name: 'probe' } }] }] }, 4) };

    assert.equal(freezePlan(input).resolved.planGeneration, 4);
  });

  test('is a snapshot: editing the workflow afterwards changes nothing', () => {
    const wf = workflow('probe', { actions: [http('a', 'http://x', { http: { url: 'http://x', headers: { a: 'b' } } })] });
    const frozen = freezePlan(single([wf]));

    const headers = wf.spec.actions[0]?.http?.headers;
    assert.ok(headers);
    headers.a = 'changed';

    assert.deepEqual(frozen.resolved.stages?.[0]?.workflows[0]?.actions[0]?.http?.headers, { a: 'b' });
  });
});

// ---- Problems ------------------------------------------------------------------------------------

describe('freezePlan problems', () => {
  test('lists each unknown name with the workflow and the action field', () => {
    const first = workflow('first', { actions: [http('a', 'http://x')] });
    const second = workflow('wf-name', {
      actions: [
        http('a', 'http://x'),
        http('b', 'http://x'),
        http('c', 'http://{{ .params.x }}/$(params.y)', { rollback: { type: 'HTTP', http: { url: '$(params.z)' } } }),
      ],
    });

    const frozen = freezePlan(single([first, second]));

    assert.deepEqual(frozen.problems, [
      { path: 'stages[0].workflows[1] (wf-name): spec.actions[2].http.url', message: 'unknown parameter "x"' },
      { path: 'stages[0].workflows[1] (wf-name): spec.actions[2].http.url', message: 'unknown parameter "y"' },
      { path: 'stages[0].workflows[1] (wf-name): spec.actions[2].rollback.http.url', message: 'unknown parameter "z"' },
    ]);
  });

  test('reports an expression that looks like a placeholder but is not substituted', () => {
    const wf = workflow('wf', { parameters: [{ name: 'x', default: '1' }], actions: [http('a', 'http://{{ .params.x | quote }}')] });

    const frozen = freezePlan(single([wf]));

    assert.deepEqual(frozen.problems, [
      {
        path: 'stages[0].workflows[0] (wf): spec.actions[0].http.url',
        message: '"{{ .params.x | quote }}" is not substituted: write {{ .params.name }} or $(params.name)',
      },
    ]);
  });

  test('reports parameter problems at the plan or execution field', () => {
    const wf = workflow('wf', {
      parameters: [
        { name: 'n', type: 'number' },
        { name: 'must', required: true },
      ],
      actions: [http('a', 'http://x/$(params.n)')],
    });

    const frozen = freezePlan(single([wf], [], execution([{ name: 'n', value: 'many' }])));

    assert.deepEqual(frozen.problems, [
      { path: 'spec.params[0].value', message: 'parameter "n" must be a finite decimal number, got "many"' },
      {
        path: 'spec.stages[0].workflows[0].params',
        message:
          "required parameter \"must\" of workflow wf has no value (set it in the stage's params, the plan's globalParams or the execution's spec.params)",
      },
    ]);
  });

  test('reports a manifest that is not YAML at its field and keeps it as written', () => {
    const manifest = 'kind: [\n  {{ .params.x }}\n';
    const wf = workflow('wf', { parameters: [{ name: 'x', default: '1' }], actions: [{ name: 'r', type: 'KubernetesResource', resource: { manifest } }] });

    const frozen = freezePlan(single([wf]));

    const [only, ...rest] = frozen.problems;
    assert.ok(only);
    assert.deepEqual(rest, []);
    assert.equal(only.path, 'stages[0].workflows[0] (wf): spec.actions[0].resource.manifest');
    assert.match(only.message, /^cannot render: manifest is not valid YAML: /);
    assert.equal(frozen.resolved.stages?.[0]?.workflows[0]?.actions[0]?.resource?.manifest, manifest);
  });

  test('reports an action that no longer fits the schema once rendered', () => {
    const wf = workflow('wf', { parameters: [{ name: 'url', default: '' }], actions: [http('a', '$(params.url)')] });

    const frozen = freezePlan(single([wf]));

    const [only, ...rest] = frozen.problems;
    assert.ok(only);
    assert.deepEqual(rest, []);
    assert.equal(only.path, 'stages[0].workflows[0] (wf): spec.actions[0].http.url');
    assert.match(only.message, /^after rendering: /);
  });

  test('reports a workflow that is not found and freezes it with no actions', () => {
    const input = {
      plan: plan({ stages: [{ name: 's', workflows: [{ workflowRef: { name: 'gone', namespace: 'other' } }] }] }),
      execution: execution(),
      workflows: lookupOf([]),
    };

    const frozen = freezePlan(input);

    assert.deepEqual(frozen.problems, [{ path: 'spec.stages[0].workflows[0].workflowRef', message: 'workflow other/gone not found' }]);
    assert.deepEqual(frozen.resolved.stages?.[0]?.workflows[0], { workflowRef: { name: 'gone', namespace: 'other' }, failurePolicy: 'FailFast', actions: [] });
  });

  test('reports a workflow that no longer fits its schema, naming its field', () => {
    const broken = { metadata: { name: 'wf', namespace: NS }, spec: { actions: [{ name: 'a', type: 'HTTP', http: { url: '' } }] } } as unknown as DRWorkflow;
    const input = {
      plan: plan({ stages: [{ name: 's', workflows: [{ workflowRef: { name: 'wf' } }] }] }),
      execution: execution(),
      workflows: lookupOf([broken]),
    };

    const frozen = freezePlan(input);

    const [only, ...rest] = frozen.problems;
    assert.ok(only);
    assert.deepEqual(rest, []);
    assert.equal(only.path, 'spec.stages[0].workflows[0].workflowRef');
    assert.match(only.message, /^workflow dr\/wf is invalid \(spec\.actions\[0\]\.http\.url: /);
  });

  test('reports a plan that does not fit its schema instead of throwing', () => {
    const broken = { metadata: { name: 'p', namespace: NS }, spec: { stages: [] } } as unknown as DRPlan;

    const frozen = freezePlan({ plan: broken, execution: execution(), workflows: lookupOf([]) });

    assert.deepEqual(frozen.resolved, { failurePolicy: 'Stop', stages: [] });
    const [first] = frozen.problems;
    assert.ok(first);
    assert.equal(first.path, 'spec.stages');
    assert.match(first.message, /^the plan is invalid: /);
  });

  test('reports a problem once even when several workflows share its source', () => {
    const a = workflow('a', { parameters: [{ name: 'n', type: 'number' }], actions: [http('a', 'http://x')] });
    const b = workflow('b', { parameters: [{ name: 'n', type: 'number' }], actions: [http('a', 'http://x')] });
    const input = {
      ...single([a, b]),
      plan: plan({
        globalParams: [{ name: 'n', value: 'x' }],
        stages: [{ name: 's', workflows: [{ workflowRef: { name: 'a' } }, { workflowRef: { name: 'b' } }] }],
      }),
    };

    const frozen = freezePlan(input);

    assert.deepEqual(frozen.problems, [{ path: 'spec.globalParams[0].value', message: 'parameter "n" must be a finite decimal number, got "x"' }]);
  });
});
