import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Io } from '../../cli/io.js';
import { main } from '../../cli/main.js';
import { ORIGINAL_MANIFESTS } from '../support/fixtures.js';

// ---- Fixtures -------------------------------------------------------------------------------------

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SEEDS = relative(ROOT, ORIGINAL_MANIFESTS);
const INVALID = 'test/fixtures/invalid';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function lint(args: string[], cwd = ROOT): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    cwd,
  };
  const code = await main(['lint', ...args], io);
  return { code, stdout, stderr };
}

const scratch = mkdtempSync(join(tmpdir(), 'drplan-lint-'));
after(() => {
  rmSync(scratch, { recursive: true, force: true });
});

/** The expected stdout of `drplan lint <file>` for each file under test/fixtures/invalid (all exit 1). */
const expectations: Record<string, string[]> = {
  'document-without-kind.yaml': ['(no kind)/probe: kind: required (one of DRWorkflow, DRPlan, DRPlanExecution)'],
  'document-without-name.yaml': ['DRPlanExecution/(no name): metadata.name: required'],
  'duplicate-object.yaml': [`DRWorkflow/probe: metadata.name: DRWorkflow default/probe is defined twice (also object 1 of ${INVALID}/duplicate-object.yaml)`],
  'execution-revert-of-revert.yaml': [
    'DRPlanExecution/failover-revert-1: spec.revertExecutionRef: DRPlanExecution default/failover-revert-0 is a Revert; only an Execute can be reverted',
  ],
  'execution-revert-without-target.yaml': [
    'DRPlanExecution/failover-revert-1: spec.revertExecutionRef: required when operationType is Revert (name the Execute execution to roll back)',
  ],
  'execution-unknown-parameter.yaml': [
    'DRPlanExecution/failover-1: spec.params[0].name: parameter "endpoint" is not used by any workflow of DRPlan default/failover',
  ],
  'execution-unknown-plan.yaml': ['DRPlanExecution/failover-1: spec.planRef: DRPlan default/fail-over not found'],
  'plan-cycle.yaml': ['DRPlan/failover: spec.stages[0].dependsOn: dependency cycle: drain → switch → verify → drain'],
  'plan-duplicate-parameter.yaml': [
    'DRPlan/failover: spec.globalParams[1].name: duplicate parameter name "region": spec.globalParams[0] and spec.globalParams[1]',
  ],
  'plan-duplicate-stage.yaml': ['DRPlan/failover: spec.stages[1].name: duplicate stage name "check": spec.stages[0] and spec.stages[1]'],
  'plan-global-parameter-type.yaml': ['DRPlan/failover: spec.globalParams[0].value: must be true or false, got "yes"'],
  'plan-no-stages.yaml': ['DRPlan/failover: spec.stages: must not be empty'],
  'plan-parameter-type.yaml': [
    'DRPlan/failover: spec.stages[0].workflows[0].params[0].value: parameter "replicas" must be a finite decimal number, got "three"',
  ],
  'plan-placeholder-without-value.yaml': [
    'warning: {file}: DRWorkflow/localize: spec.actions[0].localization.spec.feed.namespace: parameter "feedNamespace" is not declared in spec.parameters; every plan using this workflow must provide it',
    'DRPlan/install: spec.stages[0].workflows[0]: stage "localize", DRWorkflow default/localize: spec.actions[0].localization.spec.feed.namespace uses parameter "feedNamespace", which gets no value (declare a default in the workflow, or set it in globalParams or the stage\'s params)',
  ],
  'plan-required-parameter.yaml': [
    "DRPlan/failover: spec.stages[0].workflows[0].params: required parameter \"endpoint\" of workflow probe has no value (set it in the stage's params, the plan's globalParams or the execution's spec.params)",
  ],
  'plan-self-dependency.yaml': ['DRPlan/failover: spec.stages[0].dependsOn[0]: a stage cannot depend on itself'],
  'plan-unknown-dependency.yaml': ['DRPlan/failover: spec.stages[0].dependsOn[0]: no stage named "prepare" in this plan'],
  'plan-workflow-invalid.yaml': [
    'DRWorkflow/probe: spec.actions[0].http: required when type is HTTP',
    'DRPlan/failover: spec.stages[0].workflows[0].workflowRef: DRWorkflow default/probe is Invalid: spec.actions[0].http: required when type is HTTP',
  ],
  'plan-workflow-not-found.yaml': ['DRPlan/failover: spec.stages[0].workflows[1].workflowRef: DRWorkflow default/probe-b not found'],
  'workflow-argo-executor.yaml': [
    'DRWorkflow/probe: spec.executor.type: only the Native executor runs in drplan-functions (remove executor or set type: Native)',
  ],
  'workflow-bad-backoff.yaml': ['DRWorkflow/probe: spec.actions[0].retryPolicy.backoffMultiplier: must be a string, got 2'],
  'workflow-bad-timeout.yaml': ['DRWorkflow/probe: spec.actions[0].timeout: must be a Go duration such as 10s, 5m or 1h30m, got "5 minutes"'],
  'workflow-depends-on-later.yaml': [
    'DRWorkflow/switch: spec.actions[0].dependsOn[0]: "scale" is spec.actions[1], which comes later; dependsOn must name an earlier action',
  ],
  'workflow-duplicate-action.yaml': ['DRWorkflow/probe: spec.actions[1].name: duplicate action name "check": spec.actions[0] and spec.actions[1]'],
  'workflow-duplicate-parameter.yaml': [
    'DRWorkflow/probe: spec.parameters[1].name: duplicate parameter name "endpoint": spec.parameters[0] and spec.parameters[1]',
  ],
  'workflow-foreign-config.yaml': ['DRWorkflow/probe: spec.actions[0].localization: not allowed when type is HTTP (it configures type Localization)'],
  'workflow-job-without-containers.yaml': [
    'DRWorkflow/migrate: spec.actions[0].job.template.spec.template.spec.containers: a Job needs at least one container',
  ],
  'workflow-localization-patch-without-rollback.yaml': [
    "DRWorkflow/scale-down: spec.actions[0].rollback: required when a Localization action's operation is Patch: a Patch cannot be undone automatically",
  ],
  'workflow-localization-without-spec.yaml': ['DRWorkflow/localize: spec.actions[0].localization.spec: required when operation is Create'],
  'workflow-manifest-invalid-yaml.yaml': [
    'DRWorkflow/create-flag: spec.actions[0].resource.manifest: not valid YAML at line 5, column 19: Flow sequence in block collection must be sufficiently indented and end with a ]',
  ],
  'workflow-manifest-without-name.yaml': ['DRWorkflow/create-flag: spec.actions[0].resource.manifest: metadata.name is required'],
  'workflow-missing-config.yaml': ['DRWorkflow/migrate: spec.actions[0].job: required when type is Job'],
  'workflow-missing-url.yaml': ['DRWorkflow/probe: spec.actions[0].http.url: required'],
  'workflow-parameter-type.yaml': ['DRWorkflow/probe: spec.parameters[0].default: must be a finite decimal number, got "ok"'],
  'workflow-patch-without-rollback.yaml': [
    "DRWorkflow/flip-flag: spec.actions[0].rollback: required when a KubernetesResource action's operation is Patch: a Patch cannot be undone automatically",
  ],
  'workflow-rollback-missing-config.yaml': ['DRWorkflow/flip-flag: spec.actions[0].rollback.http: required when type is HTTP'],
  'workflow-subscription-without-feeds.yaml': [
    'DRWorkflow/deploy: spec.actions[0].subscription.spec.feeds: must list at least one feed when operation is Create',
  ],
  'workflow-unknown-field.yaml': [
    'DRWorkflow/create-flag: spec.actions[0]: unknown field "kubernetesResource" (the KubernetesResource config key is "resource")',
  ],
  'workflow-unknown-type.yaml': [
    'DRWorkflow/probe: spec.actions[0].type: must be one of HTTP, Job, Localization, Subscription, KubernetesResource, got "Http"',
  ],
};

/** A line is `file: Kind/name: ...`; a warning line spells out where the file goes. */
const expectedOutput = (file: string, lines: readonly string[]): string =>
  lines.map((line) => (line.startsWith('warning: ') ? line.replace('{file}', file) : `${file}: ${line}`)).join('\n') + '\n';

// ---- Invalid manifests ----------------------------------------------------------------------------

describe('drplan lint on invalid manifests', () => {
  test('has an expectation for every fixture file, and a fixture for every expectation', () => {
    assert.deepEqual(readdirSync(join(ROOT, INVALID)).sort(), Object.keys(expectations).sort());
  });

  for (const [name, lines] of Object.entries(expectations)) {
    test(`reports ${name.replace(/\.yaml$/, '').replaceAll('-', ' ')} and exits 1`, async () => {
      const file = `${INVALID}/${name}`;

      const run = await lint([file]);

      assert.equal(run.stdout, expectedOutput(file, lines));
      assert.equal(run.stderr, '');
      assert.equal(run.code, 1);
    });
  }

  test('reports the problems of every file of a folder, in file order', async () => {
    const run = await lint([INVALID]);

    const files = run.stdout
      .trimEnd()
      .split('\n')
      .map((line) => line.replace(/^warning: /, '').split(':')[0]);
    assert.equal(run.code, 1);
    assert.deepEqual(
      [...new Set(files)],
      Object.keys(expectations)
        .sort()
        .map((name) => `${INVALID}/${name}`),
    );
  });
});

// ---- Valid manifests ------------------------------------------------------------------------------

describe('drplan lint on valid manifests', () => {
  test('accepts every original sample manifest', async () => {
    const run = await lint([SEEDS]);

    assert.equal(run.code, 0);
    assert.equal(run.stderr, '');
    const lines = run.stdout.trimEnd().split('\n');
    assert.equal(lines.at(-1), '13 objects OK');
    assert.ok(
      lines.slice(0, -1).every((line) => line.startsWith('warning: ') && line.includes('"feedNamespace"')),
      run.stdout,
    );
  });

  for (const folder of ['install', 'samples', 'switchover']) {
    test(`accepts the original ${folder} example on its own`, async () => {
      const run = await lint([`${SEEDS}/${folder}`]);

      assert.equal(run.code, 0, run.stdout);
      assert.match(run.stdout, /\d+ objects OK\n$/);
    });
  }

  test('checks a folder recursively, ignores other kinds and files, and prints warnings without failing', async () => {
    const run = await lint(['test/fixtures/valid']);

    assert.equal(
      run.stdout,
      'warning: test/fixtures/valid/failover.yaml: DRWorkflow/switch-traffic: spec.actions[0].http.url: parameter "region" is not declared ' +
        'in spec.parameters (used 3 times); every plan using this workflow must provide it\n4 objects OK\n',
    );
    assert.equal(run.code, 0);
  });

  test('says 0 objects OK for manifests of other APIs only', async () => {
    const file = join(scratch, 'configmap.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n');

    const run = await lint([file]);

    assert.deepEqual(run, { code: 0, stdout: '0 objects OK\n', stderr: '' });
  });

  test('runs as a real process from the repository root', () => {
    const child = spawnSync(process.execPath, ['bin/drplan.mjs', 'lint', SEEDS], { cwd: ROOT, encoding: 'utf8' });

    assert.equal(child.status, 0, child.stderr);
    assert.match(child.stdout, /13 objects OK\n$/);
  });
});

// ---- Usage and unreadable input -------------------------------------------------------------------

describe('drplan lint usage and unreadable input', () => {
  test('exits 2 and names a missing file', async () => {
    const run = await lint(['test/fixtures/valid', 'missing.yaml']);

    assert.deepEqual(run, { code: 2, stdout: '', stderr: 'drplan lint: missing.yaml: cannot read: no such file or directory\n' });
  });

  test('exits 2 and names the file and line of a YAML syntax error', async () => {
    const file = join(scratch, 'broken.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  name: y\n');

    const run = await lint([file]);

    assert.deepEqual(run, { code: 2, stdout: '', stderr: `drplan lint: ${file}:5:3: invalid YAML: Map keys must be unique\n` });
  });

  test('exits 2 with the usage when no file is given', async () => {
    const run = await lint([]);

    assert.equal(run.code, 2);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /^Usage: drplan lint <file or folder>\.\.\./);
  });

  test('exits 2 on an unknown option', async () => {
    const run = await lint(['--strict', SEEDS]);

    assert.equal(run.code, 2);
    assert.match(run.stderr, /^drplan lint: unknown option "--strict"/);
  });

  test('prints the usage for --help and exits 0', async () => {
    const run = await lint(['--help']);

    assert.equal(run.code, 0);
    assert.match(run.stdout, /^Usage: drplan lint <file or folder>\.\.\.\n[\s\S]*Exit status: 0 valid/);
  });
});
