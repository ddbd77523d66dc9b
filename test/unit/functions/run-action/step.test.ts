/**
 * run-action takes the scheduling step that follows an attempt's result in the same status write
 * (ADR 12): what it writes and replies is what the orchestrators would decide from the recorded result.
 */
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { createRunAction } from '../../../../functions/run-action/run-action.js';
import type { Action, ResolvedPlan } from '../../../../shared/api/index.js';
import { Annotations } from '../../../../shared/api/index.js';
import { schedule } from '../../../../shared/engine/scheduler.js';
import { EventTypes } from '../../../../shared/events.js';
import { FakeKube } from '../../../support/fake-kube.js';
import {
  executionObject,
  httpAction,
  NS,
  pathOf,
  planOf,
  recordingFetch,
  requested,
  startedStatus,
  world,
  worldOf,
} from '../../../support/run-action-helpers.js';

const call = (name: string): Action => httpAction(name, { url: `http://127.0.0.1:9/${name}` });

const executionWrites = (kube: FakeKube, from: number): string[] =>
  kube
    .writes()
    .slice(from)
    .filter((c) => c.verb !== 'recordEvent' && c.key.includes('DRPlanExecution'))
    .map((c) => c.verb);

/** Two parallel workflows in one stage: `a` of two actions, `b` of one. */
function parallelPlan(): ResolvedPlan {
  const workflow = (name: string, actions: Action[]): NonNullable<ResolvedPlan['stages']>[number]['workflows'][number] => ({
    workflowRef: { name, namespace: NS },
    failurePolicy: 'FailFast',
    actions,
  });
  return {
    failurePolicy: 'Stop',
    stages: [{ name: 's', parallel: true, failurePolicy: 'Stop', workflows: [workflow('a', [call('a1'), call('a2')]), workflow('b', [call('b1')])] }],
  };
}

describe('the step run-action takes with a result', () => {
  test('requests the next action of the workflow in the same write as the result, and replies action.requested for it', async () => {
    // Prepare
    const { fetch } = recordingFetch();
    const w = worldOf([call('first'), call('second')], { fetch });
    const before = w.kube.writes().length;

    // Act
    const replies = await createRunAction(w.deps).onActionRequested(requested(pathOf('first')));

    // Assess: the claim and the result-with-step are the two status writes; nothing else wrote the execution
    assert.equal(w.action(pathOf('first'))?.phase, 'Succeeded');
    assert.equal(w.action(pathOf('second'))?.requestedAt, w.clock.now().toISOString());
    assert.deepEqual(
      replies.map((r) => [r.type, r.data.path, r.data.attempt]),
      [[EventTypes.actionRequested, pathOf('second'), 1]],
    );
    assert.deepEqual(executionWrites(w.kube, before), ['mergePatchStatus', 'mergePatchStatus']);
  });

  test('writes exactly what the orchestrator would decide from the recorded result', async () => {
    // Prepare: b1 is running elsewhere while a1 runs here
    const { fetch } = recordingFetch();
    const resolved = parallelPlan();
    const w = world(executionObject(startedStatus(resolved)), { fetch });

    // Act
    await createRunAction(w.deps).onActionRequested(requested(pathOf('a1', 's', 0)));

    // Assess: a1 recorded, a2 requested with it, and from what is stored the orchestrator finds nothing left to decide
    const stored = w.status();
    assert.equal(w.action(pathOf('a1', 's', 0))?.phase, 'Succeeded');
    assert.equal(w.action(pathOf('a2', 's', 0))?.requestedAt, w.clock.now().toISOString());
    const again = schedule({ resolved, status: stored, now: w.clock.now() });
    assert.equal(again.changed, false, 'the orchestrator would find nothing left to decide');
  });

  test('ending the last action ends the execution: execution.finished, and the Events of every level', async () => {
    // Prepare
    const { fetch } = recordingFetch();
    const w = worldOf([call('only')], { fetch });

    // Act
    const replies = await createRunAction(w.deps).onActionRequested(requested(pathOf('only')));

    // Assess
    assert.equal(w.status().phase, 'Succeeded');
    assert.deepEqual(
      replies.map((r) => [r.type, r.data.phase]),
      [[EventTypes.executionFinished, 'Succeeded']],
    );
    assert.deepEqual(
      w.kube.events.map((e) => e.reason),
      ['ActionStarted', 'ActionSucceeded', 'WorkflowSucceeded', 'StageSucceeded', 'ExecutionSucceeded'],
    );
  });

  test('a failure under FailFast skips the rest of the workflow and fails the execution at once', async () => {
    // Prepare
    const failing = (): Promise<Response> => Promise.resolve(new Response('down', { status: 400 }));
    const w = worldOf([call('first'), call('second')], { fetch: failing });

    // Act
    const replies = await createRunAction(w.deps).onActionRequested(requested(pathOf('first')));

    // Assess
    assert.equal(w.action(pathOf('first'))?.phase, 'Failed');
    assert.equal(w.action(pathOf('second'))?.phase, 'Skipped');
    assert.equal(w.status().phase, 'Failed');
    assert.deepEqual(
      replies.filter((r) => r.type !== EventTypes.actionFailed).map((r) => [r.type, r.data.phase]),
      [[EventTypes.executionFinished, 'Failed']],
    );
  });

  test('a cancel asked for while the attempt ran is carried out with its result: the rest is Skipped, the execution Cancelled', async () => {
    // Prepare: the cancel annotation arrives while the request is in flight
    const kube = new FakeKube();
    const w = world(executionObject(startedStatus(planOf([call('first'), call('second')]))), {
      kube,
      fetch: async () => {
        const stored = await kube.get({ apiVersion: 'dr.bkbcs.tencent.com/v1alpha1', kind: 'DRPlanExecution', name: 'failover-1', namespace: NS });
        if (stored !== undefined)
          await kube.mergePatch(
            { apiVersion: stored.apiVersion, kind: stored.kind, name: 'failover-1', namespace: NS },
            { metadata: { annotations: { [Annotations.cancel]: 'true' } } },
          );
        return new Response('ok');
      },
    });

    // Act
    const replies = await createRunAction(w.deps).onActionRequested(requested(pathOf('first')));

    // Assess
    assert.equal(w.action(pathOf('first'))?.phase, 'Succeeded');
    assert.equal(w.action(pathOf('second'))?.phase, 'Skipped');
    assert.equal(w.status().phase, 'Cancelled');
    assert.deepEqual(
      replies.map((r) => [r.type, r.data.phase]),
      [[EventTypes.executionFinished, 'Cancelled']],
    );
  });

  test('a result recorded on an execution without a usable frozen plan is left to the orchestrator (action.finished)', async () => {
    // Prepare: the status lacks the frozen plan the step (and the executor) need
    const { fetch, calls } = recordingFetch();
    const w = world(executionObject({ ...startedStatus(planOf([call('first')])), resolved: undefined }), { fetch });

    // Act
    const replies = await createRunAction(w.deps).onActionRequested(requested(pathOf('first')));

    // Assess: the action cannot be located, so it fails without a call and its orchestrator is told
    assert.deepEqual(calls, []);
    assert.equal(w.action(pathOf('first'))?.phase, 'Failed');
    assert.deepEqual(
      replies.filter((r) => r.type !== EventTypes.actionFailed).map((r) => [r.type, r.data.phase]),
      [[EventTypes.actionFinished, 'Failed']],
    );
  });
});

describe('chaining: what a result makes due is claimed in the same write and run in this process (ADR 13)', () => {
  const CHAIN = { maxInlineChainMs: 60_000 };

  test('a sequential workflow runs through in one request: one status write per action after the first claim, no action.requested', async () => {
    // Prepare
    const { fetch, calls } = recordingFetch();
    const w = worldOf([call('first'), call('second'), call('third')], { fetch, config: CHAIN });
    const before = w.kube.writes().length;

    // Act
    const replies = await createRunAction(w.deps).onActionRequested(requested(pathOf('first')));

    // Assess: claim(first), result(first)+claim(second), result(second)+claim(third), result(third)+finish,
    // then the execution's Recorded condition once the plan's history has it
    assert.deepEqual(calls, ['http://127.0.0.1:9/first', 'http://127.0.0.1:9/second', 'http://127.0.0.1:9/third']);
    assert.deepEqual(
      ['first', 'second', 'third'].map((name) => w.action(pathOf(name))?.phase),
      ['Succeeded', 'Succeeded', 'Succeeded'],
    );
    assert.equal(w.status().phase, 'Succeeded');
    assert.deepEqual(executionWrites(w.kube, before), Array(5).fill('mergePatchStatus'));
    assert.deepEqual(
      replies.map((r) => r.type),
      [EventTypes.executionFinished],
    );
  });

  test('every action chained still gets its ActionStarted and ActionSucceeded Events, in order', async () => {
    // Prepare
    const { fetch } = recordingFetch();
    const w = worldOf([call('first'), call('second')], { fetch, config: CHAIN });

    // Act
    await createRunAction(w.deps).onActionRequested(requested(pathOf('first')));

    // Assess
    const actionEvents = w.kube.events
      .filter((event) => event.reason.startsWith('Action'))
      .map((event) => `${event.reason} ${event.message.includes(pathOf('first')) ? 'first' : 'second'}`);
    assert.deepEqual(actionEvents, ['ActionStarted first', 'ActionSucceeded first', 'ActionStarted second', 'ActionSucceeded second']);
  });

  test('once MAX_INLINE_CHAIN has passed, the next action is requested through the broker instead', async () => {
    // Prepare: each call takes 10 ms of the clock; the chain may start new work for 15 ms
    const { fetch: record, calls } = recordingFetch();
    const holder: { advance?: (ms: number) => void } = {};
    const fetch: typeof globalThis.fetch = (input, init) => {
      holder.advance?.(10);
      return record(input, init);
    };
    const w = worldOf([call('first'), call('second'), call('third')], { fetch, config: { maxInlineChainMs: 15 } });
    holder.advance = (ms) => {
      w.clock.advance(ms);
    };

    // Act
    const replies = await createRunAction(w.deps).onActionRequested(requested(pathOf('first')));

    // Assess: first ends at 10 ms (chains second), second ends at 20 ms (past the budget: third is requested)
    assert.deepEqual(calls, ['http://127.0.0.1:9/first', 'http://127.0.0.1:9/second']);
    assert.equal(w.action(pathOf('third'))?.phase, 'Pending');
    assert.deepEqual(
      replies.map((r) => [r.type, r.data.path]),
      [[EventTypes.actionRequested, pathOf('third')]],
    );
  });

  test('what is stored after a chained run is what the orchestrator would decide: nothing left for it to do', async () => {
    // Prepare
    const { fetch } = recordingFetch();
    const resolved = parallelPlan();
    const w = world(executionObject(startedStatus(resolved)), { fetch, config: CHAIN });

    // Act: a1 runs here and chains a2; b1 is still requested elsewhere
    await createRunAction(w.deps).onActionRequested(requested(pathOf('a1', 's', 0)));

    // Assess
    assert.equal(w.action(pathOf('a2', 's', 0))?.phase, 'Succeeded');
    assert.equal(schedule({ resolved, status: w.status(), now: w.clock.now() }).changed, false);
  });
});
