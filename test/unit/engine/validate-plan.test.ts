import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
import type { DRPlan, DRPlanExecution, DRWorkflow } from '../../../shared/api/index.js';
import type { Problem } from '../../../shared/engine/problems.js';
import { executionPlanProblems, validateExecution } from '../../../shared/engine/validate.js';
import { validatePlan, type WorkflowLookup, type WorkflowRefKey } from '../../../shared/engine/validate-plan.js';
import { validateWorkflow } from '../../../shared/engine/validate-workflow.js';
import { ORIGINAL_MANIFESTS } from '../../support/fixtures.js';

// ---- Fixtures -------------------------------------------------------------------------------------

type Raw = Record<string, unknown>;
const NS = 'dr';

/** A valid workflow in namespace `dr`; `url` may hold placeholders. */
function workflow(name: string, parameters: Raw[] = [], url = 'https://svc.example/health'): DRWorkflow {
  const result = validateWorkflow({
    metadata: { name, namespace: NS },
    spec: { parameters, actions: [{ name: 'probe', type: 'HTTP', http: { url } }] },
  });
  assert.deepEqual(result.problems, []);
  assert.ok(result.workflow);
  return result.workflow;
}

/** Looks workflows up by namespace/name, all Ready. */
const lookupOf =
  (...workflows: DRWorkflow[]): WorkflowLookup =>
  ({ name, namespace }) => {
    const found = workflows.find((w) => w.metadata.name === name && w.metadata.namespace === namespace);
    return found === undefined ? undefined : { workflow: found, phase: 'Ready' };
  };

const ref = (name: string, params?: Raw[]): Raw => ({ workflowRef: { name }, ...(params === undefined ? {} : { params }) });
const stage = (name: string, more: Raw = {}): Raw => ({ name, workflows: [ref('probe')], ...more });
const plan = (stages: Raw[], spec: Raw = {}): Raw => ({
  apiVersion: 'dr.bkbcs.tencent.com/v1alpha1',
  kind: 'DRPlan',
  metadata: { name: 'failover', namespace: NS },
  spec: { stages, ...spec },
});

const probe = workflow('probe');

interface Case {
  name: string;
  input: unknown;
  lookup?: WorkflowLookup;
  path: string;
  message: string;
}

function assertOneProblem(problems: readonly Problem[], path: string, message: string): void {
  assert.equal(problems.length, 1, `expected one problem, got ${JSON.stringify(problems, null, 1)}`);
  const [found] = problems;
  assert.ok(found);
  assert.equal(found.path, path);
  assert.ok(found.message.includes(message), `message ${JSON.stringify(found.message)} should contain ${JSON.stringify(message)}`);
}

function runCases(cases: readonly Case[]): void {
  for (const { name, input, lookup = lookupOf(probe), path, message } of cases) {
    test(name, () => {
      const { problems } = validatePlan(input, lookup);
      assertOneProblem(problems, path, message);
    });
  }
}

// ---- Valid plans ----------------------------------------------------------------------------------

describe('validatePlan on a valid plan', () => {
  test('returns the plan with every default applied and no problems', () => {
    const { plan: parsed, problems } = validatePlan(plan([stage('check'), stage('switch', { parallel: true, dependsOn: ['check'] })]), lookupOf(probe));

    assert.deepEqual(problems, []);
    assert.ok(parsed);
    assert.equal(parsed.spec.failurePolicy, 'Stop');
    const [check, switchStage] = parsed.spec.stages;
    assert.ok(check && switchStage);
    assert.equal(check.failurePolicy, 'Stop');
    assert.equal(switchStage.failurePolicy, 'FailFast');
    assert.equal(check.workflows[0]?.workflowRef.namespace, NS);
  });

  test("looks workflows up in the plan's namespace when the reference names none", () => {
    const asked: WorkflowRefKey[] = [];
    const lookup: WorkflowLookup = (key) => {
      asked.push(key);
      return lookupOf(probe)(key);
    };

    validatePlan(plan([stage('a', { workflows: [ref('probe'), { workflowRef: { name: 'probe', namespace: 'other' } }] })]), lookup);

    assert.deepEqual(asked, [
      { name: 'probe', namespace: NS },
      { name: 'probe', namespace: 'other' },
    ]);
  });

  const accepted: Array<{ name: string; input: Raw; lookup: WorkflowLookup }> = [
    {
      name: 'accepts a dependsOn that names a later stage',
      input: plan([stage('first', { dependsOn: ['second'] }), stage('second')]),
      lookup: lookupOf(probe),
    },
    {
      name: 'accepts a required parameter set by globalParams',
      input: plan([stage('a', { workflows: [ref('needs')] })], { globalParams: [{ name: 'endpoint', value: 'https://x.example' }] }),
      lookup: lookupOf(workflow('needs', [{ name: 'endpoint', required: true }], '{{ .params.endpoint }}/health')),
    },
    {
      name: "accepts a required parameter set by a stage param's default",
      input: plan([stage('a', { workflows: [ref('needs', [{ name: 'endpoint', default: 'https://x.example' }])] })]),
      lookup: lookupOf(workflow('needs', [{ name: 'endpoint', required: true }], '{{ .params.endpoint }}/health')),
    },
    {
      name: 'accepts a placeholder the workflow does not declare when globalParams gives it a value',
      input: plan([stage('a', { workflows: [ref('loose')] })], { globalParams: [{ name: 'feedNamespace', value: 'default' }] }),
      lookup: lookupOf(workflow('loose', [], 'https://x.example/$(params.feedNamespace)')),
    },
    {
      name: "accepts a placeholder filled by the workflow's own default",
      input: plan([stage('a', { workflows: [ref('defaulted')] })]),
      lookup: lookupOf(workflow('defaulted', [{ name: 'host', default: 'svc.example' }], 'https://{{ .params.host }}/x')),
    },
  ];
  for (const { name, input, lookup } of accepted) {
    test(name, () => {
      assert.deepEqual(validatePlan(input, lookup).problems, []);
    });
  }

  const seeds = pathToFileURL(`${ORIGINAL_MANIFESTS}/`);
  const seedWorkflows = [
    'samples/drworkflow-http.yaml',
    'install/workflow-localization-cluster-a.yaml',
    'install/workflow-localization-cluster-b.yaml',
    'install/workflow-subscription.yaml',
    'switchover/workflow-switchover.yaml',
  ].map((file) => validateWorkflow(parseYaml(readFileSync(new URL(file, seeds), 'utf8'))).workflow);
  for (const file of ['samples/drplan-simple.yaml', 'install/drplan.yaml', 'switchover/drplan.yaml']) {
    test(`accepts the original sample ${file} against the sample workflows`, () => {
      const input: unknown = parseYaml(readFileSync(new URL(file, seeds), 'utf8'));
      const lookup: WorkflowLookup = ({ name, namespace }) => {
        const found = seedWorkflows.find((w) => w?.metadata.name === name && w.metadata.namespace === namespace);
        return found === undefined ? undefined : { workflow: found, phase: 'Ready' };
      };

      assert.deepEqual(validatePlan(input, lookup).problems, []);
    });
  }
});

// ---- Problems -------------------------------------------------------------------------------------

describe('validatePlan reports what is wrong with the field path', () => {
  runCases([
    { name: 'rejects a plan without stages', input: plan([]), path: 'spec.stages', message: 'must not be empty' },
    { name: 'rejects a stage without workflows', input: plan([stage('a', { workflows: [] })]), path: 'spec.stages[0].workflows', message: 'must not be empty' },
    {
      name: 'lists the allowed plan failure policies',
      input: plan([stage('a')], { failurePolicy: 'Abort' }),
      path: 'spec.failurePolicy',
      message: 'must be one of Stop, Continue, got "Abort"',
    },
    {
      name: 'names a duplicate stage and both of its indices',
      input: plan([stage('a'), stage('b'), stage('a')]),
      path: 'spec.stages[2].name',
      message: 'duplicate stage name "a": spec.stages[0] and spec.stages[2]',
    },
    {
      name: 'rejects a stage name with a slash, which would make action paths ambiguous',
      input: plan([stage('db/0')]),
      path: 'spec.stages[0].name',
      message: 'stage name "db/0" must not contain "/"',
    },
    {
      name: 'rejects dependsOn naming an unknown stage',
      input: plan([stage('a', { dependsOn: ['ghost'] })]),
      path: 'spec.stages[0].dependsOn[0]',
      message: 'no stage named "ghost" in this plan',
    },
    {
      name: 'rejects a stage that depends on itself',
      input: plan([stage('a', { dependsOn: ['a'] })]),
      path: 'spec.stages[0].dependsOn[0]',
      message: 'a stage cannot depend on itself',
    },
    {
      name: 'shows a two-stage dependency cycle',
      input: plan([stage('a', { dependsOn: ['b'] }), stage('b', { dependsOn: ['a'] })]),
      path: 'spec.stages[0].dependsOn',
      message: 'dependency cycle: a → b → a',
    },
    {
      name: 'shows a longer dependency cycle from where it starts',
      input: plan([stage('entry'), stage('a', { dependsOn: ['entry', 'c'] }), stage('b', { dependsOn: ['a'] }), stage('c', { dependsOn: ['b'] })]),
      path: 'spec.stages[1].dependsOn',
      message: 'dependency cycle: a → c → b → a',
    },
    {
      name: 'names a workflow that is not found',
      input: plan([stage('a', { workflows: [ref('probe'), ref('ghost')] })]),
      path: 'spec.stages[0].workflows[1].workflowRef',
      message: 'DRWorkflow dr/ghost not found',
    },
    {
      name: 'names an Invalid workflow and quotes its first problem',
      input: plan([stage('a')]),
      lookup: () => ({
        phase: 'Invalid',
        problems: [
          { path: 'spec.actions[0].http', message: 'required when type is HTTP' },
          { path: 'x', message: 'y' },
        ],
      }),
      path: 'spec.stages[0].workflows[0].workflowRef',
      message: 'DRWorkflow dr/probe is Invalid: spec.actions[0].http: required when type is HTTP (and 1 more)',
    },
    {
      name: 'rejects a workflow whose required parameter gets no value',
      input: plan([stage('a', { workflows: [ref('needs')] })]),
      lookup: lookupOf(workflow('needs', [{ name: 'endpoint', required: true }], '{{ .params.endpoint }}/health')),
      path: 'spec.stages[0].workflows[0].params',
      message: 'required parameter "endpoint" of workflow needs has no value',
    },
    {
      name: 'rejects a globalParams value that does not match its own declared type',
      input: plan([stage('a')], { globalParams: [{ name: 'replicas', type: 'number', value: 'many' }] }),
      path: 'spec.globalParams[0].value',
      message: 'must be a finite decimal number, got "many"',
    },
    {
      name: "rejects a stage param that does not match the workflow's declared type",
      input: plan([stage('a', { workflows: [ref('typed', [{ name: 'replicas', value: 'three' }])] })]),
      lookup: lookupOf(workflow('typed', [{ name: 'replicas', type: 'number', default: '1' }])),
      path: 'spec.stages[0].workflows[0].params[0].value',
      message: 'parameter "replicas" must be a finite decimal number, got "three"',
    },
    {
      name: "rejects a globalParams value that does not match a workflow's declared type, naming the workflow",
      input: plan([stage('a', { workflows: [ref('typed')] })], { globalParams: [{ name: 'dryRun', value: 'perhaps' }] }),
      lookup: lookupOf(workflow('typed', [{ name: 'dryRun', type: 'boolean', default: 'false' }])),
      path: 'spec.globalParams[0].value',
      message: 'must be true or false, got "perhaps" (as DRWorkflow dr/typed declares it)',
    },
    {
      name: 'names the stage, workflow, field and parameter of a placeholder without a value',
      input: plan([stage('switch', { workflows: [ref('loose')] })]),
      lookup: lookupOf(workflow('loose', [], 'https://x.example/{{ .params.target }}')),
      path: 'spec.stages[0].workflows[0]',
      message: 'stage "switch", DRWorkflow dr/loose: spec.actions[0].http.url uses parameter "target", which gets no value',
    },
    {
      name: 'names a duplicate parameter in globalParams',
      input: plan([stage('a')], {
        globalParams: [
          { name: 'x', value: '1' },
          { name: 'x', value: '2' },
        ],
      }),
      path: 'spec.globalParams[1].name',
      message: 'duplicate parameter name "x": spec.globalParams[0] and spec.globalParams[1]',
    },
    {
      name: "names a duplicate parameter in a stage's params",
      input: plan([
        stage('a', {
          workflows: [
            ref('probe', [
              { name: 'x', value: '1' },
              { name: 'x', value: '1' },
            ]),
          ],
        }),
      ]),
      path: 'spec.stages[0].workflows[0].params[1].name',
      message: 'duplicate parameter name "x"',
    },
    { name: 'rejects another kind', input: { ...plan([stage('a')]), kind: 'DRWorkflow' }, path: 'kind', message: 'must be DRPlan, got "DRWorkflow"' },
  ]);

  test('reports a globalParams problem once even when several workflows use the parameter', () => {
    const typed = workflow('typed', [{ name: 'dryRun', type: 'boolean', default: 'false' }]);
    const input = plan([stage('a', { workflows: [ref('typed'), ref('typed')] }), stage('b', { workflows: [ref('typed')] })], {
      globalParams: [{ name: 'dryRun', type: 'boolean', value: 'perhaps' }],
    });

    const { problems } = validatePlan(input, lookupOf(typed));

    assertOneProblem(problems, 'spec.globalParams[0].value', 'must be true or false, got "perhaps"');
  });

  test('does not resolve parameters of an Invalid workflow, whose problems are its own', () => {
    const broken = workflow('broken', [{ name: 'endpoint', required: true }], '{{ .params.endpoint }}');
    const lookup: WorkflowLookup = () => ({ workflow: broken, phase: 'Invalid', problems: [] });

    const { problems } = validatePlan(plan([stage('a', { workflows: [ref('broken')] })]), lookup);

    assertOneProblem(problems, 'spec.stages[0].workflows[0].workflowRef', 'DRWorkflow dr/broken is Invalid');
  });

  test('reports problems in field order', () => {
    const input = plan([stage('b', { dependsOn: ['ghost'], workflows: [ref('ghost')] }), stage('b')], {
      globalParams: [{ name: 'n', type: 'number', value: 'x' }],
    });

    const { problems } = validatePlan(input, lookupOf(probe));

    assert.deepEqual(
      problems.map(({ path }) => path),
      ['spec.globalParams[0].value', 'spec.stages[0].dependsOn[0]', 'spec.stages[0].workflows[0].workflowRef', 'spec.stages[1].name'],
    );
  });

  test('returns problems, not exceptions, for any value', () => {
    fc.assert(fc.property(fc.anything(), (input) => Array.isArray(validatePlan(input, lookupOf(probe)).problems)));
  });

  test('returns problems, not exceptions, for any stage graph', () => {
    const names = fc.constantFrom('a', 'b', 'c', 'd');
    const stages = fc.array(fc.record({ name: names, dependsOn: fc.array(names, { maxLength: 3 }), workflows: fc.constant([ref('probe')]) }), { maxLength: 5 });

    fc.assert(
      fc.property(stages, (list) => {
        const { problems, plan: parsed } = validatePlan(plan(list), lookupOf(probe));
        return parsed !== undefined || problems.length > 0;
      }),
    );
  });
});

// ---- Executions -----------------------------------------------------------------------------------

const execution = (spec: Raw): Raw => ({
  apiVersion: 'dr.bkbcs.tencent.com/v1alpha1',
  kind: 'DRPlanExecution',
  metadata: { name: 'run-1', namespace: NS },
  spec: { planRef: 'failover', operationType: 'Execute', ...spec },
});

describe('validateExecution', () => {
  test('accepts an Execute', () => {
    const result = validateExecution(execution({}));

    assert.deepEqual(result.problems, []);
    assert.equal(result.execution?.spec.planRef, 'failover');
  });

  const cases: Array<Omit<Case, 'lookup'>> = [
    {
      name: 'requires revertExecutionRef for a Revert',
      input: execution({ operationType: 'Revert' }),
      path: 'spec.revertExecutionRef',
      message: 'required when operationType is Revert',
    },
    { name: 'requires planRef', input: execution({ planRef: undefined }), path: 'spec.planRef', message: 'required' },
    {
      name: 'lists the operation types',
      input: execution({ operationType: 'Rollback' }),
      path: 'spec.operationType',
      message: 'must be one of Execute, Revert, got "Rollback"',
    },
    {
      name: 'names a duplicate parameter',
      input: execution({
        params: [
          { name: 'a', value: '1' },
          { name: 'a', value: '2' },
        ],
      }),
      path: 'spec.params[1].name',
      message: 'duplicate parameter name "a"',
    },
  ];
  for (const { name, input, path, message } of cases) {
    test(name, () => {
      assertOneProblem(validateExecution(input).problems, path, message);
    });
  }

  test('warns that revertExecutionRef is ignored by an Execute', () => {
    const result = validateExecution(execution({ revertExecutionRef: 'run-0' }));

    assert.deepEqual(result.problems, []);
    assertOneProblem(result.warnings, 'spec.revertExecutionRef', 'ignored when operationType is Execute');
  });
});

describe('executionPlanProblems', () => {
  const typed = workflow('typed', [{ name: 'replicas', type: 'number', default: '1' }], 'https://x.example/$(params.region)');
  const parsedPlan = validatePlan(plan([stage('a', { workflows: [ref('typed')] })], { globalParams: [{ name: 'region', value: 'eu' }] }), lookupOf(typed)).plan;
  const run = (params: Raw[]): DRPlanExecution => {
    const parsed = validateExecution(execution({ params })).execution;
    assert.ok(parsed);
    return parsed;
  };

  test('accepts parameters that a workflow of the plan declares or uses', () => {
    assert.ok(parsedPlan);

    const problems = executionPlanProblems(
      run([
        { name: 'replicas', value: '3' },
        { name: 'region', value: 'us' },
      ]),
      parsedPlan,
      [typed],
    );

    assert.deepEqual(problems, []);
  });

  test('rejects a parameter no workflow of the plan uses', () => {
    assert.ok(parsedPlan);

    const problems = executionPlanProblems(run([{ name: 'replica', value: '3' }]), parsedPlan, [typed]);

    assertOneProblem(problems, 'spec.params[0].name', 'parameter "replica" is not used by any workflow of DRPlan dr/failover');
  });

  test('rejects a value that does not match the type a workflow declares', () => {
    const plain: DRPlan | undefined = parsedPlan;
    assert.ok(plain);

    const problems = executionPlanProblems(run([{ name: 'replicas', value: 'lots' }]), plain, [typed]);

    assertOneProblem(problems, 'spec.params[0].value', 'must be a finite decimal number, got "lots" (DRWorkflow dr/typed declares it as number)');
  });
});

describe('validatePlan: the size of an execution', () => {
  test('a plan that would run more than 1,500 actions is refused at spec.stages, with the count', () => {
    const big = validateWorkflow({
      metadata: { name: 'big', namespace: NS },
      spec: { actions: Array.from({ length: 400 }, (_, index) => ({ name: `a${index}`, type: 'HTTP', http: { url: 'https://svc.example/x' } })) },
    }).workflow;
    assert.ok(big);
    const stages = Array.from({ length: 4 }, (_, index) => stage(`s${index}`, { workflows: [ref('big')] }));

    const { problems } = validatePlan(plan(stages), lookupOf(big));

    assert.deepEqual(problems, [{ path: 'spec.stages', message: "the plan runs 1600 actions; at most 1500 fit in one execution's status (split the plan)" }]);
  });
});
