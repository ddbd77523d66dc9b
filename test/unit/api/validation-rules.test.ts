/**
 * The CRDs' validation rules (x-kubernetes-validations): each compiles with the CEL library, stays in
 * kube-apiserver's cost budget, and refuses what it is written to refuse — evaluated as the local API
 * server and `drplan lint` evaluate them (shared/cel/validate.ts).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse } from '@marcbachmann/cel-js';
import { API_VERSION, Kinds } from '../../../shared/api/index.js';
import type { Kind } from '../../../shared/api/constants.js';
import { RULES_KEY, type CelRule } from '../../../shared/api/rules.js';
import { schemaOf } from '../../../shared/cel/crd-rules.js';
import { ruleFailures } from '../../../shared/cel/validate.js';
import { estimateRuleCost, PER_RULE_BUDGET } from '../../support/cel-cost.js';

type Node = Record<string, unknown>;
const isRecord = (value: unknown): value is Node => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every rule of a schema, with the node it sits on and its path. */
function rulesIn(schema: unknown, path = ''): { path: string; node: Node; rule: CelRule }[] {
  if (!isRecord(schema)) return [];
  const own = Array.isArray(schema[RULES_KEY]) ? (schema[RULES_KEY] as CelRule[]).map((rule) => ({ path, node: schema, rule })) : [];
  const properties = isRecord(schema.properties) ? Object.entries(schema.properties).flatMap(([name, child]) => rulesIn(child, `${path}.${name}`)) : [];
  const items = rulesIn(schema.items, `${path}[]`);
  return [...own, ...properties, ...items];
}

const KINDS: readonly Kind[] = [Kinds.workflow, Kinds.plan, Kinds.execution];

describe('the CRD validation rules', () => {
  const all = KINDS.flatMap((kind) => rulesIn(schemaOf(kind)).map((found) => ({ kind, ...found })));

  test('there are rules on each kind', () => {
    assert.deepEqual(
      KINDS.map((kind) => all.some((found) => found.kind === kind)),
      [true, true, true],
    );
  });

  test('every rule (and messageExpression) compiles with the CEL library', () => {
    for (const { kind, path, rule } of all) {
      assert.doesNotThrow(() => parse(rule.rule), `${kind} ${path}: ${rule.rule}`);
      if (rule.messageExpression !== undefined) assert.doesNotThrow(() => parse(rule.messageExpression ?? ''), `${kind} ${path}: messageExpression`);
    }
  });

  test(`every rule's estimated worst-case cost is within kube-apiserver's budget of ${PER_RULE_BUDGET} per rule`, () => {
    const over = all
      .map(({ kind, path, node, rule }) => ({ where: `${kind} ${path}: ${rule.rule}`, cost: estimateRuleCost(rule.rule, node) }))
      .filter(({ cost }) => cost > PER_RULE_BUDGET);
    assert.deepEqual(over, []);
  });

  test('the estimator counts what a rule iterates (an unbounded list fails the budget)', () => {
    const unbounded = { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } };
    assert.ok(estimateRuleCost('self.all(a, self.exists(b, b.name == a.name))', unbounded) > PER_RULE_BUDGET);
    const bounded = { ...unbounded, maxItems: 10, items: { type: 'object', properties: { name: { type: 'string', maxLength: 63 } } } };
    assert.ok(estimateRuleCost('self.all(a, self.exists(b, b.name == a.name))', bounded) < 10_000);
  });
});

// ---- What each rule refuses --------------------------------------------------------------------------

const meta = { name: 'x', namespace: 'dr' };
const workflow = (actions: Node[]): Node => ({ apiVersion: API_VERSION, kind: Kinds.workflow, metadata: meta, spec: { actions } });
const http = (extra: Node = {}): Node => ({ name: 'call', type: 'HTTP', timeout: '5m', http: { url: 'http://svc/x', method: 'POST' }, ...extra });
const plan = (stages: Node[]): Node => ({ apiVersion: API_VERSION, kind: Kinds.plan, metadata: meta, spec: { stages } });
const stage = (name: string, dependsOn?: string[]): Node => ({ name, workflows: [{ workflowRef: { name: 'wf' } }], ...(dependsOn ? { dependsOn } : {}) });
const execution = (spec: Node): Node => ({ apiVersion: API_VERSION, kind: Kinds.execution, metadata: meta, spec: { planRef: 'p', ...spec } });

const failures = (kind: Kind, object: Node, old?: Node): string[] =>
  ruleFailures(schemaOf(kind), object, old).map((failure) => `${failure.field}: ${failure.reason}: ${failure.detail}`);

describe('what the rules refuse', () => {
  const cases: { name: string; kind: Kind; object: Node; old?: Node; expected: string[] }[] = [
    { name: 'a valid workflow', kind: Kinds.workflow, object: workflow([http()]), expected: [] },
    {
      name: 'an action without the config its type needs',
      kind: Kinds.workflow,
      object: workflow([{ name: 'call', type: 'HTTP', timeout: '5m' }]),
      expected: ['spec.actions[0].http: FieldValueRequired: http is required when type is HTTP'],
    },
    {
      name: "an action carrying another type's config",
      kind: Kinds.workflow,
      object: workflow([http({ job: { template: {} } })]),
      expected: ['spec.actions[0].job: FieldValueForbidden: job is not allowed unless type is Job'],
    },
    {
      name: 'a Patch without a rollback',
      kind: Kinds.workflow,
      object: workflow([{ name: 'flip', type: 'KubernetesResource', timeout: '5m', resource: { operation: 'Patch', manifest: 'kind: ConfigMap' } }]),
      expected: [
        'spec.actions[0].rollback: FieldValueRequired: a rollback is required for a Patch (and a KubernetesResource Apply): its change cannot be undone automatically; or set revertPolicy: Ignore',
      ],
    },
    {
      name: 'a rollback that never runs',
      kind: Kinds.workflow,
      object: workflow([http({ revertPolicy: 'Ignore', rollback: { type: 'HTTP', http: { url: 'http://svc/undo' } } })]),
      expected: ['spec.actions[0].rollback: FieldValueForbidden: never runs: revertPolicy is Ignore (remove one of the two)'],
    },
    {
      name: 'an action name with a slash',
      kind: Kinds.workflow,
      object: workflow([http({ name: 'a/b' })]),
      expected: ['spec.actions[0].name: FieldValueInvalid: must not contain "/": it separates the parts of an action path'],
    },
    {
      name: 'a timeout that is not a duration',
      kind: Kinds.workflow,
      object: workflow([http({ timeout: '5 minutes' })]),
      expected: ['spec.actions[0].timeout: FieldValueInvalid: must be a Go duration such as 10s, 5m or 1h30m'],
    },
    {
      name: 'a timeout over a week',
      kind: Kinds.workflow,
      object: workflow([http({ timeout: '169h' })]),
      expected: ['spec.actions[0].timeout: FieldValueInvalid: must be at most 168h (a week)'],
    },
    {
      name: 'a stage depending on a stage the plan does not have',
      kind: Kinds.plan,
      object: plan([stage('first'), stage('second', ['frist'])]),
      expected: ['spec.stages: FieldValueInvalid: dependsOn must name stages of this plan'],
    },
    { name: 'stages depending on stages it has', kind: Kinds.plan, object: plan([stage('first'), stage('second', ['first'])]), expected: [] },
    {
      name: 'a Revert without its target',
      kind: Kinds.execution,
      object: execution({ operationType: 'Revert' }),
      expected: ['spec.revertExecutionRef: FieldValueRequired: required when operationType is Revert: name the Execute execution to roll back'],
    },
    {
      name: 'a skip without the execution it continues',
      kind: Kinds.execution,
      object: execution({ operationType: 'Execute', skip: [{ action: 's/0/a', reason: 'done by hand' }] }),
      expected: ['spec.skip: FieldValueForbidden: skip is for a retry: name the execution to continue in retryOf'],
    },
    {
      name: 'a Revert that continues an execution',
      kind: Kinds.execution,
      object: execution({ operationType: 'Revert', revertExecutionRef: 'run-1', retryOf: 'run-1' }),
      expected: ['spec.retryOf: FieldValueInvalid: only an Execute can continue an earlier execution'],
    },
    {
      name: "a change to an execution's spec",
      kind: Kinds.execution,
      object: execution({ operationType: 'Execute', params: [{ name: 'site', value: 'b' }] }),
      old: execution({ operationType: 'Execute' }),
      expected: ['spec: FieldValueInvalid: is immutable: an execution runs what it was created with (create a new one instead)'],
    },
    {
      name: 'an update that leaves an invalid value as it was (ratcheting)',
      kind: Kinds.workflow,
      object: { ...workflow([http({ timeout: '169h' })]), metadata: { ...meta, labels: { a: 'b' } } },
      old: workflow([http({ timeout: '169h' })]),
      expected: [],
    },
  ];
  for (const { name, kind, object, old, expected } of cases) {
    test(`${expected.length === 0 ? 'accepts' : 'refuses'} ${name}`, () => {
      assert.deepEqual(failures(kind, object, old), expected);
    });
  }
});
