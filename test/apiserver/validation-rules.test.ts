/**
 * Mistakes refused at `kubectl apply`: each class of invalid object (one per rule of the CRDs) is refused
 * by the real kubectl against the local API server with a 422 naming the field, and the same file by
 * `drplan lint` offline. An execution's spec cannot be changed once created (a transition rule).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../cli/helpers.js';
import { needsTool } from '../support/tools.js';
import { runKubectl, type KubectlRun } from '../support/kubectl.js';
import { startTestServer, type TestServer } from './helpers.js';

const HEAD = 'apiVersion: dr.bkbcs.tencent.com/v1alpha1';
const workflow = (name: string, action: string): string =>
  `${HEAD}\nkind: DRWorkflow\nmetadata: { name: ${name}, namespace: default }\nspec:\n  actions:\n    - ${action}\n`;

/** One object per rule; kubectl's line names the kind, the object, the field and the rule's message. */
const CASES: { rule: string; yaml: string; refused: RegExp; lint: RegExp }[] = [
  {
    rule: 'the config an action type needs',
    yaml: workflow('no-http', '{ name: call, type: HTTP }'),
    refused: /The DRWorkflow "no-http" is invalid: spec\.actions\[0\]\.http: Required value: http is required when type is HTTP/,
    lint: /DRWorkflow\/no-http: spec\.actions\[0\]\.http: required when type is HTTP/,
  },
  {
    rule: "no other type's config",
    yaml: workflow('two-configs', '{ name: call, type: HTTP, http: { url: "http://svc" }, job: { template: {} } }'),
    refused: /The DRWorkflow "two-configs" is invalid: spec\.actions\[0\]\.job: Forbidden: job is not allowed unless type is Job/,
    lint: /DRWorkflow\/two-configs: spec\.actions\[0\]\.job/,
  },
  {
    rule: 'a rollback for a Patch',
    yaml: workflow(
      'patch',
      '{ name: flip, type: KubernetesResource, resource: { operation: Patch, manifest: "apiVersion: v1\\nkind: ConfigMap\\nmetadata: {name: c}\\n" } }',
    ),
    refused: /The DRWorkflow "patch" is invalid: spec\.actions\[0\]\.rollback: Required value: a rollback is required for a Patch/,
    lint: /DRWorkflow\/patch: spec\.actions\[0\]\.rollback: required when a KubernetesResource action's operation is Patch/,
  },
  {
    rule: 'unique action names',
    yaml: workflow('twice', '{ name: call, type: HTTP, http: { url: "http://svc" } }\n    - { name: call, type: HTTP, http: { url: "http://svc/2" } }'),
    refused: /The DRWorkflow "twice" is invalid: spec\.actions\[1\]: Duplicate value: map\[string\]interface \{\}\{"name":"call"\}/,
    lint: /DRWorkflow\/twice: spec\.actions\[1\]\.name: duplicate action name "call"/,
  },
  {
    rule: 'a duration format',
    yaml: workflow('slow', '{ name: call, type: HTTP, timeout: "5 minutes", http: { url: "http://svc" } }'),
    refused: /The DRWorkflow "slow" is invalid: spec\.actions\[0\]\.timeout: Invalid value: "string": must be a Go duration such as 10s, 5m or 1h30m/,
    lint: /DRWorkflow\/slow: spec\.actions\[0\]\.timeout: must be a Go duration such as 10s, 5m or 1h30m/,
  },
  {
    rule: 'a duration bound',
    yaml: workflow('slower', '{ name: call, type: HTTP, timeout: 169h, http: { url: "http://svc" } }'),
    refused: /The DRWorkflow "slower" is invalid: spec\.actions\[0\]\.timeout: Invalid value: "string": must be at most 168h \(a week\)/,
    lint: /DRWorkflow\/slower: spec\.actions\[0\]\.timeout: must be at most 168h \(a week\)/,
  },
  {
    rule: 'an action name fit for a path',
    yaml: workflow('slash', '{ name: "a/b", type: HTTP, http: { url: "http://svc" } }'),
    refused: /The DRWorkflow "slash" is invalid: spec\.actions\[0\]\.name: Invalid value: "object": must not contain "\/"/,
    lint: /DRWorkflow\/slash: spec\.actions\[0\]\.name: .*must not contain "\/"/,
  },
  {
    rule: 'dependsOn naming stages of the plan',
    yaml: `${HEAD}\nkind: DRPlan\nmetadata: { name: typo, namespace: default }\nspec:\n  stages:\n    - { name: first, workflows: [{ workflowRef: { name: wf } }] }\n    - { name: second, dependsOn: [frist], workflows: [{ workflowRef: { name: wf } }] }\n`,
    refused: /The DRPlan "typo" is invalid: spec\.stages: Invalid value: "object": dependsOn must name stages of this plan/,
    lint: /DRPlan\/typo: spec\.stages\[1\]\.dependsOn\[0\]: /,
  },
  {
    rule: 'revertExecutionRef for a Revert',
    yaml: `${HEAD}\nkind: DRPlanExecution\nmetadata: { name: undo, namespace: default }\nspec: { planRef: p, operationType: Revert }\n`,
    refused: /The DRPlanExecution "undo" is invalid: spec\.revertExecutionRef: Required value: required when operationType is Revert/,
    lint: /DRPlanExecution\/undo: spec\.revertExecutionRef: required when operationType is Revert/,
  },
  {
    rule: 'YAML as kubectl reads it (`name: on` is a boolean in YAML 1.1)',
    yaml: workflow('yes-no', '{ name: on, type: HTTP, http: { url: "http://svc" } }'),
    refused: /spec\.actions\[0\]\.name: Invalid value: "boolean": spec\.actions\[0\]\.name in body must be of type string/,
    lint: /DRWorkflow\/yes-no: spec\.actions\[0\]\.name: must be a string, got true/,
  },
];

describe('rules the API server enforces at kubectl apply', { skip: needsTool('kubectl') }, () => {
  let t: TestServer;
  let work: string;

  const kubectl = (...args: string[]): Promise<KubectlRun> => runKubectl(args, { kubeconfig: t.server.kubeconfigPath, cacheDir: join(work, 'cache') });

  before(async () => {
    t = await startTestServer();
    work = mkdtempSync(join(tmpdir(), 'drplan-rules-'));
  });
  after(async () => {
    await t.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  for (const { rule, yaml, refused, lint } of CASES) {
    test(`${rule}: refused by kubectl apply (422, the field named) and by drplan lint`, async () => {
      const file = join(work, `${rule.replace(/\W+/g, '-')}.yaml`);
      writeFileSync(file, yaml);
      const applied = await kubectl('apply', '-f', file);
      const linted = await runCli(['lint', file]);
      assert.notEqual(applied.code, 0, applied.stdout);
      assert.match(applied.stderr, refused);
      assert.equal(linted.code, 1, linted.stdout);
      assert.match(linted.stdout, lint);
    });
  }

  test("an execution's spec cannot change once created: the transition rule refuses it", async () => {
    const file = join(work, 'run.yaml');
    writeFileSync(file, `${HEAD}\nkind: DRPlanExecution\nmetadata: { name: run, namespace: default }\nspec: { planRef: p, operationType: Execute }\n`);
    const created = await kubectl('apply', '-f', file);
    writeFileSync(file, `${HEAD}\nkind: DRPlanExecution\nmetadata: { name: run, namespace: default }\nspec: { planRef: other, operationType: Execute }\n`);
    const changed = await kubectl('apply', '-f', file);
    const labelled = await kubectl('label', 'drpe', 'run', 'team=dr');
    assert.equal(created.code, 0, created.stderr);
    assert.match(
      changed.stderr,
      /The DRPlanExecution "run" is invalid: spec: Invalid value: "object": is immutable: an execution runs what it was created with/,
    );
    assert.equal(labelled.code, 0, labelled.stderr);
  });
});
