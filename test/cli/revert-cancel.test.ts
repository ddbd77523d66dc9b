import { strict as assert } from 'node:assert';
import { after, before, beforeEach, describe, test } from 'node:test';
import { Annotations, Kinds } from '../../shared/api/index.js';
import type { KubeObject } from '../../shared/kube/types.js';
import {
  createdExecution,
  createExecution,
  createFailover,
  eventually,
  executionsOf,
  failoverStatus,
  key,
  lockPlan,
  setExecutionStatus,
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

/** An Execute of the current plan in this phase. */
async function executeIn(phase: string, name = `${plan}-exec`): Promise<string> {
  await createExecution(cluster.kube, name, { planRef: plan, operationType: 'Execute' });
  await setExecutionStatus(cluster.kube, name, failoverStatus(phase, phase === 'Running' ? { 'check/0/probe': 'Running' } : { 'check/0/probe': 'Succeeded' }));
  return name;
}

const operationOf = (object: KubeObject): unknown => (object.spec as { operationType?: unknown }).operationType;

describe('drplan revert', () => {
  test('creates a Revert of the execution, named after the plan, with the plan labels', async () => {
    const target = await executeIn('Succeeded');

    const run = await cluster.cli(['revert', target]);

    assert.equal(run.code, 0, run.stderr);
    const revert = (await executionsOf(cluster.kube, plan)).find((object) => operationOf(object) === 'Revert');
    assert.ok(revert);
    assert.match(revert.metadata.name ?? '', new RegExp(`^${plan}-revert-\\d{8}-\\d{6}$`));
    assert.deepEqual(revert.spec, { planRef: plan, operationType: 'Revert', revertExecutionRef: target });
    assert.equal(revert.metadata.labels?.['dr.bkbcs.tencent.com/operation'], 'revert');
    assert.equal(run.stdout.split('\n')[0], `DRPlanExecution default/${revert.metadata.name ?? ''} created (Revert of DRPlan ${plan})`);
  });

  test('--wait exits 0 when the revert Succeeded', async () => {
    const target = await executeIn('Failed');

    const running = cluster.cli(['revert', target, '--wait']);
    const name = await createdExecution(cluster.kube, plan, 'Revert');
    await setExecutionStatus(cluster.kube, name, { phase: 'Running' });
    await setExecutionStatus(cluster.kube, name, { phase: 'Succeeded', message: 'rolled back 1 action' });
    const run = await running;

    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(` execution default/${name} Succeeded \\(0/0 actions\\): rolled back 1 action\\n$`));
  });

  test('--wait exits 1 when the revert Failed, with its message', async () => {
    const target = await executeIn('Succeeded');

    const running = cluster.cli(['revert', target, '--wait']);
    const name = await createdExecution(cluster.kube, plan, 'Revert');
    await setExecutionStatus(cluster.kube, name, { phase: 'Failed', message: 'rollback of check/0/probe failed: 500' });
    const run = await running;

    assert.equal(run.code, 1);
    assert.equal(run.stderr, `drplan revert: DRPlanExecution default/${name} Failed: rollback of check/0/probe failed: 500\n`);
  });

  test('refuses an execution that is still running, saying how to wait or cancel', async () => {
    const target = await executeIn('Running');

    const run = await cluster.cli(['revert', target]);

    assert.equal(run.code, 1);
    assert.equal(
      run.stderr,
      `drplan revert: DRPlanExecution "${target}" is Running; it can be reverted once it has finished (wait with: drplan status ${target} --watch, or stop it with: drplan cancel ${target})\n`,
    );
  });

  test('refuses to revert a Revert', async () => {
    const target = await executeIn('Succeeded');
    await createExecution(cluster.kube, `${plan}-undo`, { planRef: plan, operationType: 'Revert', revertExecutionRef: target });
    await setExecutionStatus(cluster.kube, `${plan}-undo`, { phase: 'Succeeded' });

    const run = await cluster.cli(['revert', `${plan}-undo`]);

    assert.equal(run.code, 1);
    assert.equal(run.stderr, `drplan revert: DRPlanExecution "${plan}-undo" is a Revert; only an Execute can be reverted (its target is "${target}")\n`);
  });

  test('refuses while the plan runs another execution, naming it', async () => {
    const target = await executeIn('Succeeded');
    const other = await executeIn('Running', `${plan}-second`);
    await lockPlan(cluster.kube, plan, other);

    const run = await cluster.cli(['revert', target]);

    assert.equal(run.code, 1);
    assert.match(run.stderr, new RegExp(`^drplan revert: DRPlan "${plan}" is already running DRPlanExecution "${other}" \\(phase Running\\)`));
  });

  test('an unknown execution is named', async () => {
    const run = await cluster.cli(['revert', 'nothing-like-it']);

    assert.equal(run.code, 1);
    assert.equal(
      run.stderr,
      'drplan revert: DRPlanExecution "nothing-like-it" not found in namespace "default" (kubectl get drplanexecutions -n default lists them)\n',
    );
  });
});

describe('drplan cancel', () => {
  test('sets the cancel annotation on a running execution', async () => {
    const target = await executeIn('Running');

    const run = await cluster.cli(['cancel', target]);

    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, `cancel requested for DRPlanExecution default/${target} (phase Running)\n`);
    const object = await cluster.kube.get(key(Kinds.execution, target));
    assert.equal(object?.metadata.annotations?.[Annotations.cancel], 'true');
  });

  test('--plan sets the trigger annotation on the plan and names the execution it stops', async () => {
    const target = await executeIn('Running');
    await lockPlan(cluster.kube, plan, target);

    const run = await cluster.cli(['cancel', '--plan', plan]);

    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, `cancel requested for DRPlan default/${plan}: it stops DRPlanExecution ${target}\n`);
    const object = await cluster.kube.get(key(Kinds.plan, plan));
    assert.equal(object?.metadata.annotations?.[Annotations.trigger], 'cancel');
  });

  test('--wait exits 0 once the execution is Cancelled', async () => {
    const target = await executeIn('Running');

    const running = cluster.cli(['cancel', target, '--wait']);
    await eventually(async () => (await cluster.kube.get(key(Kinds.execution, target)))?.metadata.annotations?.[Annotations.cancel], 'the cancel annotation');
    await setExecutionStatus(cluster.kube, target, failoverStatus('Cancelled', { 'check/0/probe': 'Failed' }, 'cancelled'));
    const run = await running;

    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, / execution default\/\S+ Cancelled \(1\/8 actions, 1m5s\): cancelled\n$/);
  });

  test('a finished execution has nothing to cancel', async () => {
    const target = await executeIn('Succeeded');

    const run = await cluster.cli(['cancel', target]);

    assert.equal(run.code, 1);
    assert.equal(run.stderr, `drplan cancel: DRPlanExecution "${target}" has already finished (phase Succeeded); there is nothing to cancel\n`);
  });

  test('--plan of a plan that runs nothing has nothing to cancel', async () => {
    const run = await cluster.cli(['cancel', '--plan', plan]);

    assert.equal(run.code, 1);
    assert.equal(run.stderr, `drplan cancel: DRPlan "${plan}" is not running any execution; there is nothing to cancel\n`);
    const object = await cluster.kube.get(key(Kinds.plan, plan));
    assert.equal(object?.metadata.annotations?.[Annotations.trigger], undefined);
  });

  test('an execution and --plan together is a usage error', async () => {
    const run = await cluster.cli(['cancel', 'x', '--plan', plan]);

    assert.equal(run.code, 2);
    assert.match(run.stderr, /^drplan cancel: name an execution or give --plan <plan>, not both\n/);
  });
});
