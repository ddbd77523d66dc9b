import { strict as assert } from 'node:assert';
import { after, before, describe, test } from 'node:test';
import { inTimeOrder } from '../../cli/commands/events.js';
import { Kinds } from '../../shared/api/index.js';
import type { KubeObject } from '../../shared/kube/types.js';
import { createExecution, createFailover, failoverPlan, key, setExecutionStatus, setPlanPhase, startCluster, type TestCluster } from './helpers.js';

let cluster: TestCluster;

before(async () => {
  cluster = await startCluster();
  await createFailover(cluster.kube, 'failover');
});
after(async () => {
  await cluster.dispose();
});

/** Waits until the clock (creation times have whole seconds) is past the second of `timestamp`. */
async function nextSecondAfter(timestamp: string | undefined): Promise<void> {
  const second = Math.floor(Date.parse(timestamp ?? '') / 1000);
  while (Math.floor(Date.now() / 1000) <= second) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('drplan history', () => {
  test('lists the executions of the plan newest first, with operation, phase, actions, start and duration', async () => {
    // Prepare: three executions of the plan, created a second apart, and one of another plan
    await createFailover(cluster.kube, 'other');
    const first = await createExecution(cluster.kube, 'failover-a', { planRef: 'failover', operationType: 'Execute' });
    await setExecutionStatus(cluster.kube, 'failover-a', { phase: 'Succeeded', startTime: '2026-11-26T09:00:00Z', completionTime: '2026-11-26T09:02:30Z' });
    await nextSecondAfter(first.metadata.creationTimestamp);
    await createExecution(cluster.kube, 'failover-b', { planRef: 'failover', operationType: 'Revert', revertExecutionRef: 'failover-a' });
    await setExecutionStatus(cluster.kube, 'failover-b', { phase: 'Failed', startTime: '2026-11-26T09:05:00Z', completionTime: '2026-11-26T09:05:04Z' });
    await createExecution(cluster.kube, 'other-a', { planRef: 'other', operationType: 'Execute' });

    // Act
    const run = await cluster.cli(['history', 'failover']);

    // Assess
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(
      run.stdout.split('\n').map((line) => line.split(/ {3,}/)),
      [
        ['NAME', 'OPERATION', 'PHASE', 'ACTIONS', 'STARTED', 'DURATION', 'REVERTS'],
        ['failover-b', 'Revert', 'Failed', '0/0', '2026-11-26 09:05:00Z', '4s', 'failover-a'],
        ['failover-a', 'Execute', 'Succeeded', '0/0', '2026-11-26 09:00:00Z', '2m30s'],
        [''],
      ],
    );
  });

  test('-o json gives one record per execution, newest first', async () => {
    const run = await cluster.cli(['history', 'failover', '-o', 'json']);

    assert.equal(run.code, 0, run.stderr);
    const records = JSON.parse(run.stdout) as Array<{ name: string; phase: string; revertOf?: string }>;
    assert.deepEqual(
      records.map((record) => [record.name, record.phase, record.revertOf]),
      [
        ['failover-b', 'Failed', 'failover-a'],
        ['failover-a', 'Succeeded', undefined],
      ],
    );
  });

  test('a plan without executions says so', async () => {
    await createFailover(cluster.kube, 'unused');

    const run = await cluster.cli(['history', 'unused']);

    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'DRPlan default/unused has no executions yet (drplan execute unused starts one)\n');
  });

  test('an unknown plan without executions is an error', async () => {
    const run = await cluster.cli(['history', 'nope']);

    assert.equal(run.code, 1);
    assert.equal(run.stderr, 'drplan history: DRPlan "nope" not found in namespace "default" and no executions carry the label drplan=nope\n');
  });
});

function event(name: string, reason: string, at: string, involved = 'failover-ev'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace: 'default' },
    involvedObject: { apiVersion: 'dr.bkbcs.tencent.com/v1alpha1', kind: Kinds.execution, name: involved, namespace: 'default' },
    reason,
    message: `${reason} message`,
    type: reason.endsWith('Failed') ? 'Warning' : 'Normal',
    firstTimestamp: at,
    lastTimestamp: at,
    count: 1,
  };
}

describe('drplan events', () => {
  test('lists the Events of the execution only, oldest first, Events of one second in the order they were stored', async () => {
    // Prepare: created out of time order, plus an Event of another execution
    await createExecution(cluster.kube, 'failover-ev', { planRef: 'failover', operationType: 'Execute' });
    await cluster.kube.create(event('e3', 'StageFailed', '2026-11-26T10:00:09Z'));
    await cluster.kube.create(event('e1', 'ExecutionStarted', '2026-11-26T10:00:00Z'));
    await cluster.kube.create(event('e2a', 'StageStarted', '2026-11-26T10:00:05Z'));
    await cluster.kube.create(event('e2b', 'ActionStarted', '2026-11-26T10:00:05Z'));
    await cluster.kube.create(event('x1', 'ExecutionStarted', '2026-11-26T10:00:01Z', 'failover-other'));

    // Act
    const run = await cluster.cli(['events', 'failover-ev']);

    // Assess
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(
      run.stdout
        .trimEnd()
        .split('\n')
        .map((line) => line.split(/ {3,}/)),
      [
        ['TIME', 'TYPE', 'REASON', 'COUNT', 'MESSAGE'],
        ['2026-11-26 10:00:00Z', 'Normal', 'ExecutionStarted', 'ExecutionStarted message'],
        ['2026-11-26 10:00:05Z', 'Normal', 'StageStarted', 'StageStarted message'],
        ['2026-11-26 10:00:05Z', 'Normal', 'ActionStarted', 'ActionStarted message'],
        ['2026-11-26 10:00:09Z', 'Warning', 'StageFailed', 'StageFailed message'],
      ],
    );
  });

  test('an execution without Events says so', async () => {
    await createExecution(cluster.kube, 'failover-quiet', { planRef: 'failover', operationType: 'Execute' });

    const run = await cluster.cli(['events', 'failover-quiet']);

    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'No Events recorded for DRPlanExecution default/failover-quiet yet\n');
  });

  test('an unknown execution without Events is an error', async () => {
    const run = await cluster.cli(['events', 'failover-never']);

    assert.equal(run.code, 1);
    assert.equal(run.stderr, 'drplan events: DRPlanExecution "failover-never" not found in namespace "default", and no Events name it\n');
  });

  test('time order falls back to the creation time and then the stored order', () => {
    const ordered = inTimeOrder([
      { metadata: { name: 'late', creationTimestamp: '2026-11-26T10:00:02Z', resourceVersion: '5' } },
      { metadata: { name: 'second', resourceVersion: '9' }, eventTime: '2026-11-26T10:00:01Z' },
      { metadata: { name: 'first', resourceVersion: '7' }, lastTimestamp: '2026-11-26T10:00:01Z' },
    ]);

    assert.deepEqual(
      ordered.map((entry) => entry.metadata?.name),
      ['first', 'second', 'late'],
    );
  });
});

describe('drplan describe', () => {
  test('shows each workflow with its resolved parameters, where each comes from, and its rendered actions', async () => {
    const run = await cluster.cli(['describe', 'failover']);

    assert.equal(run.code, 0, run.stderr);
    const text = run.stdout;
    assert.match(
      text,
      /^DRPlan default\/failover\n {2}Description: {5}Fail the shop over\n {2}Phase: {11}Ready\n {2}Failure policy: {2}Stop\n {2}Global params: {3}target="http:\/\/127\.0\.0\.1:2"\n {2}Running: {9}nothing\n/,
    );
    assert.match(
      text,
      /\n {2}3\. promote {2}\(workflows in sequence, failurePolicy Stop, after check\)\n {5}workflow default\/database {2}\[Ready, failurePolicy FailFast\]\n/,
    );
    assert.match(text, /\n {10}retries = "1" {2}\(workflow default\)\n {10}target {2}= "http:\/\/db" {2}\(stage params\)\n/);
    assert.match(text, /\n {10}1\. fence: HTTP POST http:\/\/db\/fence\n {13}timeout 5m, 3 retries from 5s ×2\.0\n {13}rollback: none \(skipped on revert\)\n/);
    assert.match(text, /\n {2}4\. switch {2}\(workflows in parallel, failurePolicy FailFast, after drain, promote\)\n/);
    assert.match(text, /target {2}= "http:\/\/127\.0\.0\.1:2" {2}\(plan globalParams\)/);
    assert.doesNotMatch(text, /Problems/);
  });

  test('lists the validation problems of an Invalid plan', async () => {
    const broken = failoverPlan('broken');
    const spec = broken.spec as { stages: Array<{ workflows: Array<{ workflowRef: { name: string } }> }> };
    const first = spec.stages[0]?.workflows[0];
    assert.ok(first);
    first.workflowRef.name = 'missing';
    await cluster.kube.create(broken);
    await setPlanPhase(cluster.kube, 'broken', 'Invalid', 'spec.stages[0].workflows[0].workflowRef: DRWorkflow default/missing not found');

    const run = await cluster.cli(['describe', 'broken']);

    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /\n {2}Phase: {11}Invalid\n/);
    assert.match(run.stdout, /\n {5}workflow default\/missing {2}\[not found\]\n/);
    assert.match(
      run.stdout,
      /\nProblems \(1; the plan cannot run until they are fixed\):\n {2}spec\.stages\[0\]\.workflows\[0\]\.workflowRef: DRWorkflow default\/missing not found\n$/,
    );
  });

  test('an unknown plan is named', async () => {
    const run = await cluster.cli(['describe', 'nope']);

    assert.equal(run.code, 1);
    assert.equal(run.stderr, 'drplan describe: DRPlan "nope" not found in namespace "default" (kubectl get drplans -n default lists them)\n');
  });

  test('a plan that runs an execution names it', async () => {
    await createExecution(cluster.kube, 'failover-now', { planRef: 'failover', operationType: 'Execute' });
    await setExecutionStatus(cluster.kube, 'failover-now', { phase: 'Running' });
    await cluster.kube.mergePatchStatus(key(Kinds.plan, 'failover'), { status: { currentExecution: { name: 'failover-now', namespace: 'default' } } });

    const run = await cluster.cli(['describe', 'failover']);

    assert.match(run.stdout, /\n {2}Running: {9}failover-now \(Running\)\n/);
    await cluster.kube.mergePatchStatus(key(Kinds.plan, 'failover'), { status: { currentExecution: null } });
  });
});
