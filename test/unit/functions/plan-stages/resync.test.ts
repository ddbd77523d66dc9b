import { EventTypes } from '../../../../shared/events.js';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createPlanStages } from '../../../../functions/plan-stages/plan-stages.js';
import { Finalizers } from '../../../../shared/api/index.js';
import { metricsText } from '../../../../shared/runtime/metrics.js';
import {
  actionPhase,
  claim,
  executionKey,
  executionObject,
  harness,
  id,
  jobAction,
  planKey,
  planStatusOf,
  readExecution,
  requestedPaths,
  requestsIn,
  seedPlan,
  stageOf,
  statusOf,
} from '../../../support/orchestration-helpers.js';
import type { Harness } from '../../../support/orchestration-helpers.js';

const jobKey = { apiVersion: 'batch/v1', kind: 'Job', name: 'run-1-migrate-abc123-1', namespace: 'default' };

/** One workflow whose only action is a Job with a 1-minute timeout and no retries. */
async function startedJob(h: Harness): Promise<void> {
  seedPlan(h.kube, 'p', [stageOf('s', ['wf'])], { wf: [jobAction('migrate', { timeout: '1m', retryPolicy: { limit: 0 } })] });
  h.kube.seed(executionObject('run-1', 'p'));
  const [request] = requestsIn(await createPlanStages(h).reconcile(id('run-1')));
  if (request === undefined) throw new Error('no request');
  h.kube.seed({ ...jobKey, metadata: { name: jobKey.name, namespace: jobKey.namespace } });
  await claim(h, request, { jobRef: { apiVersion: 'batch/v1', kind: 'Job', name: jobKey.name, namespace: jobKey.namespace }, created: true });
}

/** The value of `drplan_executions_total{phase, operation}` in our registry (0 when absent). */
async function executionsCounted(phase: string, operation: string): Promise<number> {
  const line = (await metricsText()).split('\n').find((l) => l.startsWith(`drplan_executions_total{phase="${phase}",operation="${operation}"}`));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

describe('plan-stages resync', () => {
  test('an attempt past its timeout fails, its Job is deleted, and the execution fails naming it', async () => {
    const h = harness();
    await startedJob(h);
    h.clock.advance(61);

    const replies = await createPlanStages(h).resync();

    const status = await statusOf(h.kube, 'run-1');
    assert.equal(actionPhase(status, 's/0/migrate'), 'Failed');
    assert.equal(status.phase, 'Failed');
    assert.equal(status.message, 'stage "s", workflow s/0 (wf), action "migrate" failed: timed out after 1m');
    assert.equal(await h.kube.get(jobKey), undefined);
    assert.deepEqual(
      replies.filter((r) => r.type !== EventTypes.actionFailed).map((reply) => reply.type),
      ['com.tencent.bkbcs.dr.execution.finished'],
    );
  });

  test('a finished execution is counted once in drplan_executions_total by phase and operation', async () => {
    const h = harness();
    await startedJob(h);
    h.clock.advance(61);
    const before = await executionsCounted('Failed', 'Execute');

    await createPlanStages(h).resync();
    await createPlanStages(h).resync();

    assert.equal(await executionsCounted('Failed', 'Execute'), before + 1);
  });

  test('a request nobody claimed within 30 seconds is requested again with the same attempt', async () => {
    const h = harness();
    seedPlan(h.kube, 'p', [stageOf('s', ['wf'])], { wf: ['a'] });
    h.kube.seed(executionObject('run-1', 'p'));
    const core = createPlanStages(h);
    const first = requestsIn(await core.reconcile(id('run-1')));
    h.clock.advance(31);

    const again = requestsIn(await core.resync());

    assert.deepEqual(again, first);
  });

  test('RECONCILE_INTERVAL sets how long a request may stay unclaimed before it is requested again', async () => {
    const h = { ...harness(), reconcileIntervalMs: 10_000 };
    seedPlan(h.kube, 'p', [stageOf('s', ['wf'])], { wf: ['a'] });
    h.kube.seed(executionObject('run-1', 'p'));
    const core = createPlanStages(h);
    const first = requestsIn(await core.reconcile(id('run-1')));
    h.clock.advance(9);
    assert.deepEqual(requestsIn(await core.resync()), []);
    h.clock.advance(2);

    const again = requestsIn(await core.resync());

    assert.deepEqual(again, first);
  });

  test('a request younger than 30 seconds is not requested again', async () => {
    const h = harness();
    seedPlan(h.kube, 'p', [stageOf('s', ['wf'])], { wf: ['a'] });
    h.kube.seed(executionObject('run-1', 'p'));
    const core = createPlanStages(h);
    await core.reconcile(id('run-1'));
    h.clock.advance(29);
    const before = h.kube.writes().length;

    assert.deepEqual(await core.resync(), []);
    assert.equal(h.kube.writes().length, before);
  });

  test('a running attempt silent for 2 minutes makes the action and the execution Unknown and is requested again', async () => {
    const h = harness();
    seedPlan(h.kube, 'p', [stageOf('s', ['wf'])], { wf: [{ name: 'slow', type: 'HTTP', timeout: '10m', http: { url: 'https://svc.example/slow' } }] });
    h.kube.seed(executionObject('run-1', 'p'));
    const core = createPlanStages(h);
    const [request] = requestsIn(await core.reconcile(id('run-1')));
    if (request === undefined) throw new Error('no request');
    await claim(h, request);
    h.clock.advance(121);

    const replies = await core.resync();

    const status = await statusOf(h.kube, 'run-1');
    assert.equal(status.phase, 'Unknown');
    assert.equal(actionPhase(status, 's/0/slow'), 'Unknown');
    assert.equal(status.message, 'no progress from action s/0/slow for 2m0s; requested again');
    assert.deepEqual(requestsIn(replies), [request]);
  });

  test('a finish whose plan bookkeeping was lost in a crash is completed by the next resync', async () => {
    const h = harness();
    seedPlan(h.kube, 'p', [stageOf('s', ['wf'])], { wf: ['a'] });
    h.kube.seed(executionObject('run-1', 'p'));
    await createPlanStages(h).reconcile(id('run-1'));
    const stored = await readExecution(h.kube, 'run-1');
    await h.kube.mergePatchStatus(executionKey('run-1'), {
      status: { phase: 'Failed', message: 'crashed right after', completionTime: stored.status?.startTime },
    });

    const replies = await createPlanStages(h).resync();

    const plan = await planStatusOf(h.kube, 'p');
    assert.deepEqual(replies, []);
    assert.equal(plan.currentExecution, undefined);
    assert.deepEqual(
      plan.executionHistory?.map((record) => [record.name, record.phase]),
      [['run-1', 'Failed']],
    );
    assert.equal((await statusOf(h.kube, 'run-1')).conditions?.[0]?.type, 'Recorded');
  });

  test('a finished and recorded execution is marked done once (finalizer off) and then never read by a tick again; a Revert is left to its own', async () => {
    // Prepare: recorded before the mark existed
    const h = harness();
    seedPlan(h.kube, 'p', [stageOf('s', ['wf'])], { wf: ['a'] });
    h.kube.seed({
      ...executionObject('old', 'p'),
      metadata: { name: 'old', namespace: 'default', finalizers: [Finalizers.execution] },
      status: {
        phase: 'Succeeded',
        conditions: [{ type: 'Recorded', status: 'True', reason: 'InPlanHistory', message: 'x', lastTransitionTime: '2026-01-01T00:00:00Z' }],
      },
    });
    h.kube.seed(executionObject('undo', 'p', { operationType: 'Revert', revertExecutionRef: 'old' }));

    // Act
    const first = await createPlanStages(h).resync();
    const written = h.kube.writes().length;
    const second = await createPlanStages(h).resync();

    // Assess
    assert.deepEqual([first, second], [[], []]);
    const old = await h.kube.get(executionKey('old'));
    assert.deepEqual([old?.metadata.labels?.['dr.bkbcs.tencent.com/recorded'], old?.metadata.finalizers ?? []], ['true', []]);
    assert.equal(h.kube.writes().length, written, 'the second tick writes nothing');
  });

  test('the tick lists only executions not marked done: its work does not grow with the history kept', async () => {
    // Prepare: a plan's run to its end (marked done), then another
    const h = harness();
    seedPlan(h.kube, 'p', [stageOf('s', ['wf'])], { wf: ['a'] });
    h.kube.seed(executionObject('run-1', 'p', { cancel: true }));
    await createPlanStages(h).reconcile(id('run-1'));
    await createPlanStages(h).reconcile(id('run-1')); // the update its Recorded condition made
    const done = await h.kube.get(executionKey('run-1'));
    assert.equal(done?.metadata.labels?.['dr.bkbcs.tencent.com/recorded'], 'true');
    assert.deepEqual(done.metadata.finalizers ?? [], []);

    const listed: string[] = [];
    const list = h.kube.list.bind(h.kube);
    h.kube.list = async (apiVersion, kind, options) => {
      const objects = await list(apiVersion, kind, options);
      listed.push(...objects.map((object) => object.metadata.name ?? ''));
      return objects;
    };
    const before = h.kube.calls.length;

    // Act
    const replies = await createPlanStages(h).resync();

    // Assess: the list leaves it out; nothing read or written for it
    assert.deepEqual(replies, []);
    assert.deepEqual(listed, []);
    assert.deepEqual(
      h.kube.calls.slice(before).map((call) => call.verb),
      ['list'],
    );
  });

  test('resync starts an execution whose add event was missed', async () => {
    const h = harness();
    seedPlan(h.kube, 'p', [stageOf('s', ['wf'])], { wf: ['a'] });
    h.kube.seed(executionObject('run-1', 'p'));

    const replies = await createPlanStages(h).resync();

    assert.deepEqual(requestedPaths(replies), ['s/0/a']);
  });
});

describe('plan-stages on deletion', () => {
  test('deleting a running execution cancels it, records it, releases the lock and removes the finalizer', async () => {
    const h = harness();
    await startedJob(h);
    await h.kube.remove(executionKey('run-1'));

    const replies = await createPlanStages(h).reconcile(id('run-1'));

    assert.equal(await h.kube.get(executionKey('run-1')), undefined, 'the finalizer came off, so the object is gone');
    assert.equal(await h.kube.get(jobKey), undefined, 'the running Job was deleted');
    const plan = await planStatusOf(h.kube, 'p');
    assert.equal(plan.currentExecution, undefined);
    assert.deepEqual(
      plan.executionHistory?.map((record) => [record.name, record.phase]),
      [['run-1', 'Cancelled']],
    );
    assert.deepEqual(
      replies.map((reply) => reply.type),
      ['com.tencent.bkbcs.dr.execution.finished'],
    );
  });

  test('deleting a finished execution keeps its history record and removes the finalizer', async () => {
    const h = harness();
    seedPlan(h.kube, 'p', [stageOf('s', ['wf'])], { wf: ['a'] });
    h.kube.seed(executionObject('run-1', 'p', { cancel: true }));
    const core = createPlanStages(h);
    await core.reconcile(id('run-1'));
    await h.kube.remove(executionKey('run-1'));

    const replies = await core.reconcile(id('run-1'));

    assert.deepEqual(replies, []);
    assert.equal(await h.kube.get(executionKey('run-1')), undefined);
    assert.deepEqual(
      (await planStatusOf(h.kube, 'p')).executionHistory?.map((record) => record.name),
      ['run-1'],
    );
  });

  test('deletion removes only the execution finalizer and leaves the others', async () => {
    const h = harness();
    seedPlan(h.kube, 'p', [stageOf('s', ['wf'])], { wf: ['a'] });
    h.kube.seed({
      ...executionObject('run-1', 'p'),
      metadata: { name: 'run-1', namespace: 'default', finalizers: ['example.com/keep', Finalizers.execution] },
    });
    await h.kube.remove(executionKey('run-1'));

    await createPlanStages(h).reconcile(id('run-1'));

    assert.deepEqual((await h.kube.get(executionKey('run-1')))?.metadata.finalizers, ['example.com/keep']);
    assert.equal((await planStatusOf(h.kube, 'p')).executionHistory?.[0]?.phase, 'Cancelled');
    assert.ok(await h.kube.get(planKey('p')));
  });
});
