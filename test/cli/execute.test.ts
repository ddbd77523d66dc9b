import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { executionName } from '../../cli/commands/execute.js';
import { startApiServer } from '../../local/apiserver/index.js';
import { Kinds } from '../../shared/api/index.js';
import {
  createdExecution,
  createExecution,
  createFailover,
  executionsOf,
  failoverStatus,
  key,
  lockPlan,
  runCli,
  setExecutionStatus,
  setPlanPhase,
  startCluster,
  type TestCluster,
} from './helpers.js';

let cluster: TestCluster;
let plan = '';
let counter = 0;

before(async () => {
  cluster = await startCluster();
});
after(async () => {
  await cluster.dispose();
});
beforeEach(async () => {
  counter += 1;
  plan = `failover-${counter}`;
  await createFailover(cluster.kube, plan);
});

describe('drplan execute', () => {
  test('creates an Execute of the plan with a readable name, the plan labels and the given parameters', async () => {
    // Act
    const run = await cluster.cli(['execute', plan, '--param', 'target=http://standby', '--param', 'retries=3']);

    // Assess
    assert.equal(run.code, 0, run.stderr);
    const [created] = await executionsOf(cluster.kube, plan);
    assert.ok(created);
    assert.match(created.metadata.name ?? '', new RegExp(`^${plan}-\\d{8}-\\d{6}$`));
    assert.deepEqual(created.spec, {
      planRef: plan,
      operationType: 'Execute',
      params: [
        { name: 'target', value: 'http://standby' },
        { name: 'retries', value: '3' },
      ],
    });
    assert.deepEqual(created.metadata.labels, { drplan: plan, 'dr.bkbcs.tencent.com/plan': plan, 'dr.bkbcs.tencent.com/operation': 'execute' });
    assert.equal(run.stdout.split('\n')[0], `DRPlanExecution default/${created.metadata.name ?? ''} created (Execute of DRPlan ${plan})`);
  });

  test('takes the name given with --name', async () => {
    const run = await cluster.cli(['execute', plan, '--name', `${plan}-drill`]);

    assert.equal(run.code, 0, run.stderr);
    assert.ok(await cluster.kube.get(key(Kinds.execution, `${plan}-drill`)));
  });

  test('a second execute in the same second gets a generated suffix instead of failing', async () => {
    const now = new Date();
    for (const at of [now, new Date(now.getTime() + 1000)]) {
      await createExecution(cluster.kube, executionName(plan, at), { planRef: plan, operationType: 'Execute' });
      await setExecutionStatus(cluster.kube, executionName(plan, at), failoverStatus('Succeeded', {}));
    }

    const run = await cluster.cli(['execute', plan]);

    assert.equal(run.code, 0, run.stderr);
    assert.equal((await executionsOf(cluster.kube, plan)).length, 3);
  });

  test('--wait exits 0 when the execution Succeeded, after showing its transitions', async () => {
    // Act: the CLI waits while the test plays plan-stages
    const running = cluster.cli(['execute', plan, '--wait']);
    const name = await createdExecution(cluster.kube, plan);
    await setExecutionStatus(cluster.kube, name, failoverStatus('Running', { 'check/0/probe': 'Running' }));
    await setExecutionStatus(cluster.kube, name, failoverStatus('Succeeded', allActions('Succeeded'), 'all stages succeeded'));
    const run = await running;

    // Assess
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, / execution default\/\S+ Running \(0\/8 actions\)\n/);
    assert.match(run.stdout, / action check\/0\/probe Running \(attempt 1\)\n/);
    assert.match(run.stdout, / execution default\/\S+ Succeeded \(8\/8 actions, 1m5s\): all stages succeeded\n$/);
    assert.equal(run.stderr, '');
  });

  test('--wait exits 1 and says why when the execution Failed', async () => {
    const running = cluster.cli(['execute', plan, '--wait']);
    const name = await createdExecution(cluster.kube, plan);
    await setExecutionStatus(cluster.kube, name, failoverStatus('Failed', { 'check/0/probe': 'Failed' }, 'stage check failed: probe: 503 Service Unavailable'));
    const run = await running;

    assert.equal(run.code, 1);
    assert.equal(run.stderr, `drplan execute: DRPlanExecution default/${name} Failed: stage check failed: probe: 503 Service Unavailable\n`);
  });

  test('--wait exits 1 when the execution is Cancelled', async () => {
    const running = cluster.cli(['execute', plan, '--wait']);
    const name = await createdExecution(cluster.kube, plan);
    await setExecutionStatus(cluster.kube, name, failoverStatus('Cancelled', {}, 'cancelled'));
    const run = await running;

    assert.equal(run.code, 1);
    assert.equal(run.stderr, `drplan execute: DRPlanExecution default/${name} Cancelled: cancelled\n`);
  });
});

function allActions(phase: string): Record<string, string> {
  const paths = [
    'check/0/probe',
    'drain/0/maintenance',
    'drain/0/scale-down',
    'promote/0/fence',
    'promote/0/promote',
    'switch/0/call',
    'switch/1/switch',
    'verify/0/probe',
  ];
  return Object.fromEntries(paths.map((path) => [path, phase]));
}

describe('drplan execute refuses what would fail at once', () => {
  test('an unknown plan, naming the namespace and how to list the plans', async () => {
    const run = await cluster.cli(['execute', 'no-such-plan']);

    assert.equal(run.code, 1);
    assert.equal(run.stderr, 'drplan execute: DRPlan "no-such-plan" not found in namespace "default" (kubectl get drplans -n default lists them)\n');
    assert.deepEqual(await executionsOf(cluster.kube, 'no-such-plan'), []);
  });

  test('a plan that is not Ready, with the problems of its Ready condition', async () => {
    await setPlanPhase(
      cluster.kube,
      plan,
      'Invalid',
      'spec.stages[1].workflows[0].workflowRef: DRWorkflow default/drain not found; spec.globalParams[0].value: parameter "target" must be a URL',
    );

    const run = await cluster.cli(['execute', plan]);

    assert.equal(run.code, 1);
    assert.equal(
      run.stderr,
      `drplan execute: DRPlan "${plan}" is not Ready (phase Invalid):\n` +
        '  spec.stages[1].workflows[0].workflowRef: DRWorkflow default/drain not found\n' +
        '  spec.globalParams[0].value: parameter "target" must be a URL\n' +
        `Fix the plan (drplan describe ${plan} shows it) and run again.\n`,
    );
    assert.deepEqual(await executionsOf(cluster.kube, plan), []);
  });

  test('a plan already running an execution, naming it', async () => {
    await createExecution(cluster.kube, `${plan}-first`, { planRef: plan, operationType: 'Execute' });
    await setExecutionStatus(cluster.kube, `${plan}-first`, failoverStatus('Running', { 'check/0/probe': 'Running' }));
    await lockPlan(cluster.kube, plan, `${plan}-first`);

    const run = await cluster.cli(['execute', plan]);

    assert.equal(run.code, 1);
    assert.equal(
      run.stderr,
      `drplan execute: DRPlan "${plan}" is already running DRPlanExecution "${plan}-first" (phase Running); ` +
        `follow it with: drplan status ${plan}-first --watch, or stop it with: drplan cancel ${plan}-first\n`,
    );
    assert.equal((await executionsOf(cluster.kube, plan)).length, 1);
  });

  test('an execution created a moment ago, before plan-stages took the lock, counts as running', async () => {
    const first = await cluster.cli(['execute', plan]);
    const [created] = await executionsOf(cluster.kube, plan);

    const second = await cluster.cli(['execute', plan]);

    assert.equal(first.code, 0, first.stderr);
    assert.equal(second.code, 1);
    assert.match(
      second.stderr,
      new RegExp(`^drplan execute: DRPlan "${plan}" is already running DRPlanExecution "${created?.metadata.name ?? '?'}" \\(phase Pending\\)`),
    );
    assert.equal((await executionsOf(cluster.kube, plan)).length, 1);
  });

  test('a lock left by an execution that has finished does not count', async () => {
    await createExecution(cluster.kube, `${plan}-old`, { planRef: plan, operationType: 'Execute' });
    await setExecutionStatus(cluster.kube, `${plan}-old`, failoverStatus('Succeeded', {}));
    await lockPlan(cluster.kube, plan, `${plan}-old`);

    const run = await cluster.cli(['execute', plan]);

    assert.equal(run.code, 0, run.stderr);
  });

  test('parameters no workflow uses or of the wrong type, naming the --param', async () => {
    const run = await cluster.cli(['execute', plan, '--param', 'region=eu', '--param', 'retries=many']);

    assert.equal(run.code, 2);
    assert.equal(
      run.stderr,
      `drplan execute: the parameters do not fit DRPlan "${plan}":\n` +
        `  --param region=eu: parameter "region" is not used by any workflow of DRPlan default/${plan}\n` +
        '  --param retries=many: must be a finite decimal number, got "many" (DRWorkflow default/health declares it as number)\n',
    );
    assert.deepEqual(await executionsOf(cluster.kube, plan), []);
  });

  test('a --param without "=" is a usage error', async () => {
    const run = await cluster.cli(['execute', plan, '--param', 'target']);

    assert.equal(run.code, 2);
    assert.equal(run.stderr, 'drplan execute: --param expects NAME=VALUE, not "target"\n');
  });
});

describe('connecting', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'drplan-cli-connect-'));
  after(() => {
    rmSync(scratch, { recursive: true, force: true });
  });

  test('no cluster reachable: names the server, the kubeconfig and the context tried', async () => {
    // Prepare: a kubeconfig of a server that has stopped
    const stopped = await startApiServer({ stateDir: join(scratch, 'gone'), port: 0, jobController: false });
    await stopped.stop();

    const run = await runCli(['status', 'anything', '--kubeconfig', stopped.kubeconfigPath]);

    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      new RegExp(
        `^drplan status: no cluster reachable at ${escape(stopped.secureUrl)} \\(kubeconfig ${escape(stopped.kubeconfigPath)}, context drplan-local\\): .*ECONNREFUSED.*\\n$`,
      ),
    );
  });

  test('a kubeconfig that cannot be read is named', async () => {
    const missing = join(scratch, 'missing-kubeconfig');

    const run = await runCli(['history', 'p', '--kubeconfig', missing]);

    assert.equal(run.code, 1);
    assert.match(run.stderr, new RegExp(`^drplan history: cannot read kubeconfig ${escape(missing)}: .*ENOENT`));
  });

  test('an unknown --context lists the contexts the kubeconfig has', async () => {
    const run = await cluster.cli(['history', plan, '--context', 'prod']);

    assert.equal(run.code, 1);
    assert.equal(run.stderr, `drplan history: kubeconfig ${cluster.kubeconfig} has no context "prod" (it has: drplan-local)\n`);
  });

  test('-n chooses the namespace', async () => {
    const run = await cluster.cli(['execute', plan, '-n', 'kube-system']);

    assert.equal(run.code, 1);
    assert.equal(run.stderr, `drplan execute: DRPlan "${plan}" not found in namespace "kube-system" (kubectl get drplans -n kube-system lists them)\n`);
  });
});

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
