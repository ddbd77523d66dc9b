import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createCancel } from '../../../../functions/cancel/cancel.js';
import { createPlanStages } from '../../../../functions/plan-stages/plan-stages.js';
import { Annotations } from '../../../../shared/api/index.js';
import { findActionStatus } from '../../../../shared/engine/status-tree.js';
import { ExecutionFinishedSchema } from '../../../../shared/event-data.js';
import {
  claim,
  driveToEnd,
  executionKey,
  executionObject,
  harness,
  id,
  jobAction,
  planKey,
  planStatusOf,
  readExecution,
  readPlan,
  requestsIn,
  seedPlan,
  stageOf,
  statusOf,
} from '../../../support/orchestration-helpers.js';
import type { Harness } from '../../../support/orchestration-helpers.js';

const jobKey = { apiVersion: 'batch/v1', kind: 'Job', name: 'run-1-migrate-1', namespace: 'default' };

/**
 * run-1 mid-run: stage `switch` runs wf-job (a Job, claimed and running) and wf-http (h1 requested,
 * h2 not reached) in parallel; stage `verify` waits for it.
 */
async function midRun(h: Harness): Promise<void> {
  seedPlan(h.kube, 'p', [stageOf('switch', ['wf-job', 'wf-http'], { parallel: true }), stageOf('verify', ['wf-check'], { dependsOn: ['switch'] })], {
    'wf-job': [jobAction('migrate')],
    'wf-http': ['h1', 'h2'],
    'wf-check': ['c1'],
  });
  h.kube.seed(executionObject('run-1', 'p'));
  const requests = requestsIn(await createPlanStages(h).reconcile(id('run-1')));
  const job = requests.find((request) => request.path === 'switch/0/migrate');
  if (job === undefined) throw new Error('the Job action was not requested');
  h.kube.seed({ ...jobKey, metadata: { name: jobKey.name, namespace: jobKey.namespace } });
  await claim(h, job, { jobRef: { apiVersion: 'batch/v1', kind: 'Job', name: jobKey.name, namespace: jobKey.namespace }, created: true });
}

const annotate = async (h: Harness, name: string): Promise<void> => {
  await h.kube.mergePatch(executionKey(name), { metadata: { annotations: { [Annotations.cancel]: 'true' } } });
};

describe('cancel on the execution annotation', () => {
  test('cancelling mid-run ends the execution Cancelled and replies execution.finished', async () => {
    const h = harness();
    await midRun(h);
    await annotate(h, 'run-1');

    const replies = await createCancel(h).onExecution(id('run-1'));

    const status = await statusOf(h.kube, 'run-1');
    assert.equal(status.phase, 'Cancelled');
    assert.equal(status.message, 'cancelled; stopped 1 running action');
    assert.ok(status.completionTime !== undefined);
    assert.equal(replies.length, 1);
    assert.deepEqual(ExecutionFinishedSchema.parse(replies[0]?.data).phase, 'Cancelled');
    assert.ok(h.kube.events.some((event) => event.reason === 'ExecutionCancelled'));
  });

  test('cancelling mid-run skips pending work, stops the running attempt and deletes its Job', async () => {
    const h = harness();
    await midRun(h);
    await annotate(h, 'run-1');

    await createCancel(h).onExecution(id('run-1'));

    const status = await statusOf(h.kube, 'run-1');
    const phase = (path: string): [string | undefined, string | undefined] => {
      const action = findActionStatus(status, path);
      return [action?.phase, action?.message];
    };
    assert.deepEqual(phase('switch/0/migrate'), ['Failed', 'cancelled while running']);
    assert.deepEqual(phase('switch/1/h1'), ['Skipped', 'cancelled']);
    assert.deepEqual(phase('switch/1/h2'), ['Skipped', 'cancelled']);
    assert.deepEqual(phase('verify/0/c1'), ['Skipped', 'cancelled']);
    assert.equal(await h.kube.get(jobKey), undefined);
  });

  test('cancelling mid-run releases the plan lock and records the execution in the plan history', async () => {
    const h = harness();
    await midRun(h);
    await annotate(h, 'run-1');

    await createCancel(h).onExecution(id('run-1'));

    const plan = await planStatusOf(h.kube, 'p');
    assert.equal(plan.currentExecution, undefined);
    assert.deepEqual(
      plan.executionHistory?.map((record) => [record.name, record.phase]),
      [['run-1', 'Cancelled']],
    );
    assert.equal(plan.phase, 'Ready');
  });

  test('an execution cancelled before it started ends Cancelled without ever taking the lock', async () => {
    const h = harness();
    seedPlan(h.kube, 'p', [stageOf('s', ['wf'])], { wf: ['a'] });
    h.kube.seed(executionObject('run-1', 'p', { cancel: true }));

    await createCancel(h).onExecution(id('run-1'));

    const status = await statusOf(h.kube, 'run-1');
    assert.deepEqual([status.phase, status.message], ['Cancelled', 'cancelled before it started']);
    const lockWrites = h.kube.calls.filter((call) => call.verb === 'mergePatchStatus' && call.key.includes('/DRPlan/'));
    assert.equal(lockWrites.length, 1, 'only the history write');
  });

  test('plan-stages honours the cancel annotation too, on its next event', async () => {
    const h = harness();
    await midRun(h);
    await annotate(h, 'run-1');

    await createPlanStages(h).reconcile(id('run-1'));

    assert.equal((await statusOf(h.kube, 'run-1')).phase, 'Cancelled');
  });

  test('cancelling a finished execution changes nothing', async () => {
    const h = harness();
    seedPlan(h.kube, 'p', [stageOf('s', ['wf'])], { wf: ['a'] });
    h.kube.seed(executionObject('run-1', 'p'));
    await driveToEnd(h, createPlanStages(h), 'run-1');
    await annotate(h, 'run-1');
    const writes = h.kube.writes().length;

    const replies = await createCancel(h).onExecution(id('run-1'));

    assert.deepEqual(replies, []);
    assert.equal(h.kube.writes().length, writes);
    assert.equal((await statusOf(h.kube, 'run-1')).phase, 'Succeeded');
  });

  test('an execution without the annotation (or with another value) is not cancelled', async () => {
    const h = harness();
    await midRun(h);
    await h.kube.mergePatch(executionKey('run-1'), { metadata: { annotations: { [Annotations.cancel]: 'false' } } });
    const writes = h.kube.writes().length;

    assert.deepEqual(await createCancel(h).onExecution(id('run-1')), []);
    assert.equal(h.kube.writes().length, writes);
  });

  test('the cancel event delivered twice cancels once: the second delivery writes and replies nothing', async () => {
    const h = harness();
    await midRun(h);
    await annotate(h, 'run-1');
    const cancel = createCancel(h);
    await cancel.onExecution(id('run-1'));
    const writes = h.kube.writes().length;

    assert.deepEqual(await cancel.onExecution(id('run-1')), []);
    assert.equal(h.kube.writes().length, writes);
  });
});

describe('cancel on the plan trigger annotation', () => {
  const trigger = async (h: Harness): Promise<void> => {
    await h.kube.mergePatch(planKey('p'), { metadata: { annotations: { [Annotations.trigger]: 'cancel' } } });
  };

  test('trigger=cancel on the plan cancels its running execution and marks it with the cancel annotation', async () => {
    const h = harness();
    await midRun(h);
    await trigger(h);

    const replies = await createCancel(h).onPlan(id('p'));

    const execution = await readExecution(h.kube, 'run-1');
    assert.equal(execution.status?.phase, 'Cancelled');
    assert.equal(execution.metadata.annotations?.[Annotations.cancel], 'true');
    assert.deepEqual(
      replies.map((reply) => ExecutionFinishedSchema.parse(reply.data).phase),
      ['Cancelled'],
    );
  });

  test('the trigger annotation is removed once acted on, and the lock is released', async () => {
    const h = harness();
    await midRun(h);
    await trigger(h);

    await createCancel(h).onPlan(id('p'));

    const plan = await readPlan(h.kube, 'p');
    assert.equal(plan.metadata.annotations?.[Annotations.trigger], undefined);
    assert.equal(plan.status?.currentExecution, undefined);
  });

  test('trigger=cancel on a plan with nothing running only removes the annotation', async () => {
    const h = harness();
    seedPlan(h.kube, 'p', [stageOf('s', ['wf'])], { wf: ['a'] });
    await trigger(h);
    const writes = h.kube.writes().length;

    const replies = await createCancel(h).onPlan(id('p'));

    assert.deepEqual(replies, []);
    assert.deepEqual(
      h.kube
        .writes()
        .slice(writes)
        .map((call) => call.verb),
      ['mergePatch'],
    );
    assert.equal((await readPlan(h.kube, 'p')).metadata.annotations?.[Annotations.trigger], undefined);
  });

  test('trigger=cancel naming a finished execution (a stale lock) leaves that execution alone', async () => {
    const h = harness();
    seedPlan(h.kube, 'p', [stageOf('s', ['wf'])], { wf: ['a'] });
    h.kube.seed(executionObject('run-1', 'p'));
    await driveToEnd(h, createPlanStages(h), 'run-1');
    await h.kube.mergePatchStatus(planKey('p'), { status: { currentExecution: { name: 'run-1', namespace: 'default' } } });
    await trigger(h);

    const replies = await createCancel(h).onPlan(id('p'));

    const execution = await readExecution(h.kube, 'run-1');
    assert.deepEqual(replies, []);
    assert.equal(execution.metadata.annotations?.[Annotations.cancel], undefined);
    assert.equal(execution.status?.phase, 'Succeeded');
  });

  test('a plan without the trigger, or another trigger value, is left alone', async () => {
    const h = harness();
    await midRun(h);
    await h.kube.mergePatch(planKey('p'), { metadata: { annotations: { [Annotations.trigger]: 'execute' } } });
    const writes = h.kube.writes().length;

    assert.deepEqual(await createCancel(h).onPlan(id('p')), []);
    assert.equal(h.kube.writes().length, writes);
    assert.equal((await statusOf(h.kube, 'run-1')).phase, 'Running');
  });

  test('the plan event delivered twice cancels once: the second delivery writes and replies nothing', async () => {
    const h = harness();
    await midRun(h);
    await trigger(h);
    const cancel = createCancel(h);
    await cancel.onPlan(id('p'));
    const writes = h.kube.writes().length;

    assert.deepEqual(await cancel.onPlan(id('p')), []);
    assert.equal(h.kube.writes().length, writes);
  });
});
