import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import type { DRPlanSpec, DRWorkflowSpec, ExecutionParam, ParameterType } from '../../../shared/api/index.js';
import { DRPlanSpecSchema, DRWorkflowSpecSchema } from '../../../shared/api/index.js';
import type { ParamSources } from '../../../shared/engine/params.js';
import { coerceParam, findRefPath, resolveParams } from '../../../shared/engine/params.js';

// ---- Fixtures -------------------------------------------------------------------------------------

type RawParam = { name: string; type?: ParameterType; required?: boolean; default?: string; value?: string };

const workflowSpec = (parameters: RawParam[] = []): DRWorkflowSpec =>
  DRWorkflowSpecSchema.parse({ parameters, actions: [{ name: 'probe', type: 'HTTP', http: { url: 'http://x' } }] });

/** A plan whose first stage has one workflow reference (the one resolved) with `stageParams`. */
const planSpec = (globalParams: RawParam[] = [], stageParams: RawParam[] = []): DRPlanSpec =>
  DRPlanSpecSchema.parse({
    globalParams,
    stages: [{ name: 'only', workflows: [{ workflowRef: { name: 'wf' }, params: stageParams }] }],
  });

/** Sources resolving the first reference of the first stage. */
function sources(workflow: DRWorkflowSpec, plan: DRPlanSpec, execution?: ExecutionParam[]): ParamSources {
  const ref = plan.stages[0]?.workflows[0];
  assert.ok(ref);
  return { workflow, plan, ref, execution };
}

// ---- coerceParam ---------------------------------------------------------------------------------

describe('coerceParam', () => {
  const accepted: Array<[string, ParameterType, string]> = [
    ['42', 'number', '42'],
    [' 7 ', 'number', '7'],
    ['+1.50', 'number', '1.5'],
    ['-0.25', 'number', '-0.25'],
    ['.5', 'number', '0.5'],
    ['5.', 'number', '5'],
    ['1e3', 'number', '1000'],
    ['0', 'number', '0'],
    ['true', 'boolean', 'true'],
    ['TRUE', 'boolean', 'true'],
    ['False', 'boolean', 'false'],
    [' false\n', 'boolean', 'false'],
    ['anything at all ', 'string', 'anything at all '],
    ['', 'string', ''],
  ];
  for (const [value, type, expected] of accepted) {
    test(`accepts ${JSON.stringify(value)} as a ${type}, normalised to ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(coerceParam(value, type), { ok: true, value: expected });
    });
  }

  const rejected: Array<[string, ParameterType, string]> = [
    ['abc', 'number', 'must be a finite decimal number, got "abc"'],
    ['', 'number', 'must be a finite decimal number, got ""'],
    ['  ', 'number', 'must be a finite decimal number, got "  "'],
    ['0x10', 'number', 'must be a finite decimal number, got "0x10"'],
    ['Infinity', 'number', 'must be a finite decimal number, got "Infinity"'],
    ['NaN', 'number', 'must be a finite decimal number, got "NaN"'],
    ['1e400', 'number', 'must be a finite decimal number, got "1e400"'],
    ['1,000', 'number', 'must be a finite decimal number, got "1,000"'],
    ['12px', 'number', 'must be a finite decimal number, got "12px"'],
    ['yes', 'boolean', 'must be true or false, got "yes"'],
    ['1', 'boolean', 'must be true or false, got "1"'],
    ['on', 'boolean', 'must be true or false, got "on"'],
    ['', 'boolean', 'must be true or false, got ""'],
  ];
  for (const [value, type, message] of rejected) {
    test(`rejects ${JSON.stringify(value)} as a ${type}`, () => {
      assert.deepEqual(coerceParam(value, type), { ok: false, message });
    });
  }
});

// ---- Precedence ----------------------------------------------------------------------------------

describe('resolveParams precedence', () => {
  const cases: Array<{ what: string; workflow: RawParam[]; global: RawParam[]; stage: RawParam[]; execution: ExecutionParam[]; expected: string }> = [
    { what: 'the workflow default applies alone', workflow: [{ name: 'p', default: 'wf' }], global: [], stage: [], execution: [], expected: 'wf' },
    {
      what: 'a global value overrides the workflow default',
      workflow: [{ name: 'p', default: 'wf' }],
      global: [{ name: 'p', value: 'global' }],
      stage: [],
      execution: [],
      expected: 'global',
    },
    {
      what: 'a global default overrides the workflow default',
      workflow: [{ name: 'p', default: 'wf' }],
      global: [{ name: 'p', default: 'global-default' }],
      stage: [],
      execution: [],
      expected: 'global-default',
    },
    { what: 'a global value beats its own default', workflow: [], global: [{ name: 'p', value: 'v', default: 'd' }], stage: [], execution: [], expected: 'v' },
    {
      what: 'a stage value overrides the global value',
      workflow: [{ name: 'p', default: 'wf' }],
      global: [{ name: 'p', value: 'global' }],
      stage: [{ name: 'p', value: 'stage' }],
      execution: [],
      expected: 'stage',
    },
    {
      what: 'a stage default overrides the global value',
      workflow: [],
      global: [{ name: 'p', value: 'global' }],
      stage: [{ name: 'p', default: 'stage-default' }],
      execution: [],
      expected: 'stage-default',
    },
    { what: 'a stage value beats its own default', workflow: [], global: [], stage: [{ name: 'p', value: 'v', default: 'd' }], execution: [], expected: 'v' },
    {
      what: 'an entry with neither value nor default overrides nothing',
      workflow: [{ name: 'p', default: 'wf' }],
      global: [{ name: 'p' }],
      stage: [{ name: 'p' }],
      execution: [],
      expected: 'wf',
    },
    {
      what: 'an execution value overrides the stage value',
      workflow: [{ name: 'p', default: 'wf' }],
      global: [{ name: 'p', value: 'global' }],
      stage: [{ name: 'p', value: 'stage' }],
      execution: [{ name: 'p', value: 'exec' }],
      expected: 'exec',
    },
    {
      what: 'the last of repeated execution values wins',
      workflow: [],
      global: [],
      stage: [],
      execution: [
        { name: 'p', value: 'first' },
        { name: 'p', value: 'last' },
      ],
      expected: 'last',
    },
  ];
  for (const { what, workflow, global, stage, execution, expected } of cases) {
    test(what, () => {
      const resolved = resolveParams(sources(workflowSpec(workflow), planSpec(global, stage), execution));

      assert.equal(resolved.values.p, expected);
      assert.deepEqual(resolved.problems, []);
    });
  }

  test('keeps values the workflow does not declare, for its templates', () => {
    const resolved = resolveParams(
      sources(workflowSpec([{ name: 'managedClusterNamespace', default: 'a' }]), planSpec([{ name: 'feedNamespace', value: 'default' }])),
    );

    assert.deepEqual(resolved.values, { managedClusterNamespace: 'a', feedNamespace: 'default' });
  });

  test('normalises typed values', () => {
    const workflow = workflowSpec([
      { name: 'enabled', type: 'boolean' },
      { name: 'replicas', type: 'number' },
    ]);

    const resolved = resolveParams(
      sources(
        workflow,
        planSpec(
          [],
          [
            { name: 'enabled', value: 'TRUE' },
            { name: 'replicas', value: ' 03 ' },
          ],
        ),
      ),
    );

    assert.deepEqual(resolved.values, { enabled: 'true', replicas: '3' });
  });
});

// ---- Types ---------------------------------------------------------------------------------------

describe('resolveParams types', () => {
  test('come from the workflow declarations, which win over plan entries', () => {
    const workflow = workflowSpec([{ name: 'n', type: 'number' }, { name: 's' }]);
    const plan = planSpec([{ name: 's', type: 'boolean', value: 'true' }]);

    const resolved = resolveParams(sources(workflow, plan));

    assert.deepEqual(resolved.types, { n: 'number', s: 'string' });
  });

  test('come from a plan entry for a name the workflow does not declare', () => {
    const plan = planSpec(
      [{ name: 'flag', type: 'boolean', value: 'false' }],
      [
        { name: 'count', type: 'number', value: '2' },
        { name: 'flag', value: 'true' },
      ],
    );

    const resolved = resolveParams(sources(workflowSpec(), plan));

    assert.deepEqual(resolved.types, { flag: 'boolean', count: 'number' });
  });
});

// ---- Problems ------------------------------------------------------------------------------------

describe('resolveParams problems', () => {
  test("a required parameter with no value from any source is reported at the reference's params", () => {
    const resolved = resolveParams(sources(workflowSpec([{ name: 'endpoint', required: true }]), planSpec()));

    assert.deepEqual(resolved.problems, [
      {
        path: 'spec.stages[0].workflows[0].params',
        message:
          'required parameter "endpoint" of workflow wf has no value ' +
          "(set it in the stage's params, the plan's globalParams or the execution's spec.params)",
      },
    ]);
  });

  test('a required parameter set to the empty string counts as missing', () => {
    const resolved = resolveParams(sources(workflowSpec([{ name: 'endpoint', required: true }]), planSpec([], [{ name: 'endpoint', value: '' }])));

    assert.deepEqual(
      resolved.problems.map(({ path }) => path),
      ['spec.stages[0].workflows[0].params'],
    );
  });

  const satisfied: Array<[string, RawParam[], RawParam[], RawParam[], ExecutionParam[]]> = [
    ['its own default', [{ name: 'e', required: true, default: 'd' }], [], [], []],
    ['globalParams', [{ name: 'e', required: true }], [{ name: 'e', value: 'g' }], [], []],
    ['the stage params', [{ name: 'e', required: true }], [], [{ name: 'e', default: 's' }], []],
    ['the execution params', [{ name: 'e', required: true }], [], [], [{ name: 'e', value: 'x' }]],
  ];
  for (const [source, workflow, global, stage, execution] of satisfied) {
    test(`a required parameter is satisfied by ${source}`, () => {
      const resolved = resolveParams(sources(workflowSpec(workflow), planSpec(global, stage), execution));

      assert.deepEqual(resolved.problems, []);
    });
  }

  test('a stage value that does not match the declared type names the field and the parameter', () => {
    const workflow = workflowSpec([{ name: 'a' }, { name: 'b' }, { name: 'replicas', type: 'number' }]);
    const plan = DRPlanSpecSchema.parse({
      stages: [
        { name: 'first', workflows: [{ workflowRef: { name: 'other' } }] },
        {
          name: 'second',
          workflows: [
            {
              workflowRef: { name: 'wf' },
              params: [
                { name: 'a', value: '1' },
                { name: 'b', value: '2' },
                { name: 'replicas', value: 'three' },
              ],
            },
          ],
        },
      ],
    });
    const ref = plan.stages[1]?.workflows[0];
    assert.ok(ref);

    const resolved = resolveParams({ workflow, plan, ref });

    assert.deepEqual(resolved.problems, [
      { path: 'spec.stages[1].workflows[0].params[2].value', message: 'parameter "replicas" must be a finite decimal number, got "three"' },
    ]);
    assert.equal(resolved.values.replicas, 'three');
  });

  test('an execution value that does not match the declared type names the execution field', () => {
    const workflow = workflowSpec([{ name: 'dryRun', type: 'boolean', default: 'true' }]);

    const resolved = resolveParams(
      sources(workflow, planSpec(), [
        { name: 'other', value: 'x' },
        { name: 'dryRun', value: 'maybe' },
      ]),
    );

    assert.deepEqual(resolved.problems, [{ path: 'spec.params[1].value', message: 'parameter "dryRun" must be true or false, got "maybe"' }]);
  });

  test('a global default that does not match the declared type names the default field', () => {
    const resolved = resolveParams(sources(workflowSpec([{ name: 'n', type: 'number' }]), planSpec([{ name: 'n', default: 'many' }])));

    assert.deepEqual(resolved.problems, [{ path: 'spec.globalParams[0].default', message: 'parameter "n" must be a finite decimal number, got "many"' }]);
  });

  test('a global entry is checked against its own declared type even when the workflow does not declare it', () => {
    const resolved = resolveParams(sources(workflowSpec(), planSpec([{ name: 'n', type: 'number', value: 'many' }])));

    assert.deepEqual(resolved.problems, [{ path: 'spec.globalParams[0].value', message: 'parameter "n" must be a finite decimal number, got "many"' }]);
  });

  test('a wrongly typed entry is reported even when a higher level overrides it', () => {
    const plan = planSpec([{ name: 'n', type: 'number', value: 'many' }], [{ name: 'n', value: '3' }]);

    const resolved = resolveParams(sources(workflowSpec([{ name: 'n', type: 'number' }]), plan));

    assert.deepEqual(
      resolved.problems.map(({ path }) => path),
      ['spec.globalParams[0].value'],
    );
    assert.equal(resolved.values.n, '3');
  });

  test('a workflow default that does not match its type is reported at the reference, naming the workflow field', () => {
    const resolved = resolveParams(sources(workflowSpec([{ name: 'x' }, { name: 'port', type: 'number', default: 'http' }]), planSpec()));

    assert.deepEqual(resolved.problems, [
      {
        path: 'spec.stages[0].workflows[0].workflowRef',
        message: 'parameter "port" (the default in workflow wf, spec.parameters[1].default) must be a finite decimal number, got "http"',
      },
    ]);
  });

  test('an explicit refPath is used for the paths', () => {
    const base = sources(workflowSpec([{ name: 'n', type: 'number' }]), planSpec([], [{ name: 'n', value: 'x' }]));

    const resolved = resolveParams({ ...base, refPath: 'spec.stages[4].workflows[2]' });

    assert.deepEqual(
      resolved.problems.map(({ path }) => path),
      ['spec.stages[4].workflows[2].params[0].value'],
    );
  });

  test('a reference that is not part of the plan is named by its workflow', () => {
    const plan = planSpec();
    const ref = { workflowRef: { name: 'elsewhere' }, params: [{ name: 'n', type: 'string' as const, value: 'x' }] };

    const resolved = resolveParams({ workflow: workflowSpec([{ name: 'n', type: 'number' }]), plan, ref });

    assert.deepEqual(
      resolved.problems.map(({ path }) => path),
      ['workflowRef elsewhere.params[0].value'],
    );
  });
});

describe('findRefPath', () => {
  test('finds a reference by identity and returns undefined for a copy', () => {
    const plan = DRPlanSpecSchema.parse({
      stages: [
        { name: 'a', workflows: [{ workflowRef: { name: 'x' } }] },
        { name: 'b', workflows: [{ workflowRef: { name: 'y' } }, { workflowRef: { name: 'z' } }] },
      ],
    });
    const ref = plan.stages[1]?.workflows[1];
    assert.ok(ref);

    assert.equal(findRefPath(plan, ref), 'spec.stages[1].workflows[1]');
    assert.equal(findRefPath(plan, { ...ref }), undefined);
  });
});
