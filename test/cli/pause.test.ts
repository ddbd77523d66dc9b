import { strict as assert } from 'node:assert';
import { after, before, describe, test } from 'node:test';
import { Annotations, Kinds } from '../../shared/api/index.js';
import { createExecution, createFailover, failoverStatus, key, setExecutionStatus, startCluster, type TestCluster } from './helpers.js';

let cluster: TestCluster;

before(async () => {
  cluster = await startCluster();
  await createFailover(cluster.kube, 'failover');
  await createExecution(cluster.kube, 'run', { planRef: 'failover', operationType: 'Execute' });
  await setExecutionStatus(cluster.kube, 'run', failoverStatus('Running', { 'check/0/probe': 'Running' }));
});
after(async () => {
  await cluster.dispose();
});

const annotation = async (): Promise<string | undefined> => (await cluster.kube.get(key(Kinds.execution, 'run')))?.metadata.annotations?.[Annotations.pause];

describe('drplan pause and resume', () => {
  test('pause sets the annotation and says what it does; twice changes nothing', async () => {
    const first = await cluster.cli(['pause', 'run']);
    const again = await cluster.cli(['pause', 'run']);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, 'DRPlanExecution default/run paused: no new action starts; running ones finish (drplan resume run continues it)\n');
    assert.equal(await annotation(), 'true');
    assert.equal(again.stdout, 'DRPlanExecution default/run is already paused\n');
  });

  test('resume removes the annotation', async () => {
    const run = await cluster.cli(['resume', 'run']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'DRPlanExecution default/run resumed\n');
    assert.equal(await annotation(), undefined);
  });

  test('a finished execution cannot be paused', async () => {
    await createExecution(cluster.kube, 'done', { planRef: 'failover', operationType: 'Execute' });
    await setExecutionStatus(cluster.kube, 'done', failoverStatus('Succeeded', { 'check/0/probe': 'Succeeded' }));
    const run = await cluster.cli(['pause', 'done']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /DRPlanExecution "done" has already finished \(phase Succeeded\); there is nothing to pause/);
  });
});

describe('drplan retry', () => {
  test('creates an execution that continues the failed one, with the skips given', async () => {
    await createExecution(cluster.kube, 'failed', { planRef: 'failover', operationType: 'Execute' });
    await setExecutionStatus(cluster.kube, 'failed', failoverStatus('Failed', { 'check/0/probe': 'Failed' }));

    const run = await cluster.cli(['retry', 'failed', '--skip', 'check/0/probe=checked by hand', '--name', 'failed-retry']);

    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^DRPlanExecution default\/failed-retry created \(Execute of DRPlan failover\)\n/);
    const created = await cluster.kube.get(key(Kinds.execution, 'failed-retry'));
    assert.deepEqual(created?.spec, {
      planRef: 'failover',
      operationType: 'Execute',
      retryOf: 'failed',
      skip: [{ action: 'check/0/probe', reason: 'checked by hand' }],
    });
  });

  test('refuses an execution that succeeded, and a skip without a reason', async () => {
    const succeeded = await cluster.cli(['retry', 'done']);
    const bare = await cluster.cli(['retry', 'failed', '--skip', 'check/0/probe']);
    assert.equal(succeeded.code, 1);
    assert.match(succeeded.stderr, /only a Failed or Cancelled Execute can be retried/);
    assert.equal(bare.code, 2);
    assert.match(bare.stderr, /--skip "check\/0\/probe": write PATH=REASON/);
  });
});

describe('drplan skip', () => {
  test('asks for the action to count as done, keeping the skips asked before', async () => {
    await createExecution(cluster.kube, 'stuck', { planRef: 'failover', operationType: 'Execute' });
    await setExecutionStatus(cluster.kube, 'stuck', failoverStatus('Running', { 'check/0/probe': 'Running' }));
    await cluster.kube.mergePatch(key(Kinds.execution, 'stuck'), { metadata: { annotations: { [Annotations.skip]: '{"other/0/x":"earlier"}' } } });

    const run = await cluster.cli(['skip', 'stuck', 'check/0/probe', '--reason', 'probed by hand']);

    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'action check/0/probe of DRPlanExecution default/stuck will count as done: probed by hand\n');
    const annotation = (await cluster.kube.get(key(Kinds.execution, 'stuck')))?.metadata.annotations?.[Annotations.skip] ?? '';
    assert.deepEqual(JSON.parse(annotation), { 'other/0/x': 'earlier', 'check/0/probe': 'probed by hand' });
  });

  test('refuses without a reason, an unknown action, and a finished execution', async () => {
    const bare = await cluster.cli(['skip', 'stuck', 'check/0/probe']);
    const unknown = await cluster.cli(['skip', 'stuck', 'check/0/nope', '--reason', 'x']);
    const finished = await cluster.cli(['skip', 'done', 'check/0/probe', '--reason', 'x']);
    assert.deepEqual([bare.code, unknown.code, finished.code], [2, 1, 1]);
    assert.match(unknown.stderr, /has no action "check\/0\/nope"/);
    assert.match(finished.stderr, /skip a failed action in a retry: drplan retry done --skip check\/0\/probe=\.\.\./);
  });
});
