import { EventTypes } from '../../../../shared/events.js';
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { stringify } from 'yaml';
import { MAX_WRITE_ATTEMPTS } from '../../../../shared/execution/store.js';
import { createRunAction } from '../../../../functions/run-action/run-action.js';
import type { Action, DRPlanExecutionStatus } from '../../../../shared/api/index.js';
import { Annotations } from '../../../../shared/api/index.js';
import { actionPath } from '../../../../shared/engine/action-path.js';
import { claimAttempt, recordAttempt } from '../../../../shared/engine/attempt.js';
import { planRollback } from '../../../../shared/engine/rollback.js';
import { initialRevertStatus, revertPlan } from '../../../../shared/engine/revert-plan.js';
import { schedule } from '../../../../shared/engine/scheduler.js';
import type { KubeObject, ObjectKey } from '../../../../shared/kube/types.js';
import { metricsText } from '../../../../shared/runtime/metrics.js';
import { ApiError, FakeKube } from '../../../support/fake-kube.js';
import {
  EXEC,
  executionKey,
  executionObject,
  httpAction,
  NS,
  pathOf,
  planOf,
  recordingFetch,
  requested,
  startedStatus,
  T0,
  world,
  worldOf,
} from '../../../support/run-action-helpers.js';

const PATH = pathOf('call');
const call = (): Action => httpAction('call', { url: 'http://127.0.0.1:9/x' });

describe('claiming an attempt', () => {
  test('happens before anything runs: two concurrent deliveries make one call and one reply', async () => {
    // Prepare
    const { fetch, calls } = recordingFetch();
    const w = worldOf([call()], { fetch });
    const core = createRunAction(w.deps);

    // Act
    const [first, second] = await Promise.all([core.onActionRequested(requested(PATH)), core.onActionRequested(requested(PATH))]);

    // Assess
    assert.equal(calls.length, 1);
    // the plan has one action: the one reply is the step that ends the execution
    assert.deepEqual(
      [...first, ...second].map((r) => `${r.type} ${(r.data as { phase?: string }).phase ?? ''}`),
      ['com.tencent.bkbcs.dr.execution.finished Succeeded'],
    );
    assert.equal(w.action(PATH)?.phase, 'Succeeded');
    assert.deepEqual(
      w.kube.events.map((e) => e.reason),
      ['ActionStarted', 'ActionSucceeded', 'WorkflowSucceeded', 'StageSucceeded', 'ExecutionSucceeded'],
    );
  });

  test('retries its write after a conflict, deciding again from a fresh read', async () => {
    // Prepare
    const { fetch, calls } = recordingFetch();
    const w = worldOf([call()], { fetch });
    w.kube.failNextWrites(2);

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    assert.equal(calls.length, 1);
    assert.equal(w.action(PATH)?.phase, 'Succeeded');
  });

  test("an attempt's result is written through more conflicts than a claim would wait for", async () => {
    // Prepare: the writes start to conflict once the request is on its way (the claim is written)
    const w = worldOf([call()]);
    w.deps.fetch = () => {
      w.kube.failNextWrites(MAX_WRITE_ATTEMPTS + 5);
      return Promise.resolve(new Response('ok'));
    };

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    assert.equal(w.action(PATH)?.phase, 'Succeeded');
  });

  test('that keeps conflicting gives up with a 409 and runs nothing', async () => {
    // Prepare
    const { fetch, calls } = recordingFetch();
    const w = worldOf([call()], { fetch });
    w.kube.failNextWrites(50);

    // Act
    const delivery = createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    await assert.rejects(delivery, {
      name: 'HandlerError',
      code: 409,
      message: `writing the status of execution ${NS}/${EXEC}: changed by someone else on each of 20 tries`,
    });
    assert.deepEqual(calls, []);
  });

  test('writes with the resourceVersion it read, and only the status fields that changed: the claim, then the result with the next step', async () => {
    // Prepare
    const { fetch } = recordingFetch();
    const kube = new FakeKube();
    const patches: Array<Record<string, unknown>> = [];
    const spy = Object.assign(Object.create(kube) as FakeKube, {
      mergePatchStatus: (key: ObjectKey, patch: Record<string, unknown>) => {
        patches.push(patch);
        return kube.mergePatchStatus(key, patch);
      },
    });
    const w = worldOf([call(), httpAction('next', { url: 'http://127.0.0.1:9/y' })], { fetch, kube: spy });
    const version = (await kube.get(executionKey))?.metadata.resourceVersion;
    w.clock.advance(1000);

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    assert.equal(patches.length, 2);
    assert.deepEqual((patches[0]?.metadata as { resourceVersion?: string }).resourceVersion, version);
    assert.deepEqual(Object.keys(patches[0]?.status as object).sort(), ['lastUpdateTime', 'stageStatuses']);
    assert.equal(w.action(PATH)?.phase, 'Succeeded');
    assert.equal(w.action(pathOf('next'))?.requestedAt, w.clock.now().toISOString());
  });
});

describe('a request that must not run', () => {
  const cases: Array<{ name: string; prepare: (status: DRPlanExecutionStatus) => KubeObject | undefined }> = [
    { name: 'for an execution that is gone', prepare: () => undefined },
    { name: 'for an execution of the same name but another uid', prepare: (status) => executionObject(status, { uid: 'a-new-uid' }) },
    { name: 'for a finished execution', prepare: (status) => executionObject({ ...status, phase: 'Cancelled' }) },
    { name: 'for an execution being deleted', prepare: (status) => executionObject(status, { deletionTimestamp: T0.toISOString(), finalizers: ['x'] }) },
    { name: 'for an execution asked to cancel', prepare: (status) => executionObject(status, { annotations: { [Annotations.cancel]: 'true' } }) },
  ];
  for (const c of cases) {
    test(`(${c.name}) claims nothing, calls nothing and replies nothing`, async () => {
      // Prepare
      const { fetch, calls } = recordingFetch();
      const kube = new FakeKube();
      const object = c.prepare(startedStatus(planOf([call()])));
      const w = world(object ?? executionObject({}), { fetch, kube });
      if (object === undefined) await kube.remove(executionKey);
      const writes = kube.writes().length;

      // Act
      const replies = await createRunAction(w.deps).onActionRequested(requested(PATH));

      // Assess
      assert.deepEqual(replies, []);
      assert.deepEqual(calls, []);
      assert.equal(kube.writes().length, writes);
    });
  }

  test('for an attempt other than the requested one claims nothing', async () => {
    // Prepare
    const { fetch, calls } = recordingFetch();
    const w = worldOf([call()], { fetch });

    // Act
    const replies = await createRunAction(w.deps).onActionRequested(requested(PATH, 2));

    // Assess
    assert.deepEqual(replies, []);
    assert.deepEqual(calls, []);
    assert.equal(w.action(PATH)?.phase, 'Pending');
  });
});

describe('a malformed frozen action', () => {
  test('is recorded as a failure naming the field, without retry and without a crash', async () => {
    // Prepare: the frozen action's URL is a number (hand-edited status, or another version's data)
    const broken = { name: 'call', type: 'HTTP', timeout: '5m', http: { method: 'GET', url: 42 } } as unknown as Action;
    const { fetch, calls } = recordingFetch();
    const w = worldOf([broken], { fetch });

    // Act
    const replies = await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    const action = w.action(PATH);
    assert.equal(action?.phase, 'Failed');
    assert.match(action.message ?? '', /^malformed action in workflow wf: status\.resolved\.stages\[0\]\.workflows\[0\]\.actions\[0\]\.http\.url: /);
    assert.deepEqual(calls, []);
    assert.deepEqual(
      replies.filter((r) => r.type !== EventTypes.actionFailed).map((r) => r.data.phase),
      ['Failed'],
    );
  });

  test("without its type's settings is recorded as a failure naming them", async () => {
    // Prepare
    const w = worldOf([{ name: 'call', type: 'Job', timeout: '5m' }]);

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    assert.equal(w.action(PATH)?.phase, 'Failed');
    assert.equal(w.action(PATH)?.message, 'job: is required for a Job action');
  });
});

describe('an unavailable API server', () => {
  test('makes the delivery fail with 503 so that the broker retries it', async () => {
    // Prepare
    class Down extends FakeKube {
      override get(): Promise<KubeObject | undefined> {
        return Promise.reject(new ApiError(500, 'InternalError', 'etcdserver: request timed out'));
      }
    }
    const { fetch, calls } = recordingFetch();
    const w = world(executionObject(startedStatus(planOf([call()]))), { fetch, kube: new Down() });

    // Act
    const delivery = createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    await assert.rejects(delivery, { name: 'HandlerError', code: 503, message: `reading execution ${NS}/${EXEC}: etcdserver: request timed out` });
    assert.deepEqual(calls, []);
  });
});

describe('a rollback action of a Revert', () => {
  test('runs through the same executors and replies with operation type Revert', async () => {
    // Prepare: the target created a ConfigMap; its automatic rollback deletes it
    const manifest = stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'routing' }, data: { active: 'b' } });
    const forward: Action = { name: 'switch', type: 'KubernetesResource', timeout: '1m', resource: { operation: 'Create', manifest } };
    const resolved = planOf([forward]);
    const forwardPath = pathOf('switch');
    const claimed = claimAttempt(startedStatus(resolved), forwardPath, 1, T0).status;
    const outputs = { resourceRef: { apiVersion: 'v1', kind: 'ConfigMap', name: 'routing', namespace: NS }, created: true };
    const done = recordAttempt(claimed, { path: forwardPath, attempt: 1, result: { ok: true, outputs }, now: T0 }).status;
    const plan = revertPlan(planRollback({ target: { resolved, status: done } }), { name: 'earlier', namespace: NS }, resolved);
    const revert = schedule({ resolved: plan, status: initialRevertStatus(plan, T0), now: T0 });
    const [request] = revert.requests;
    assert.ok(request);
    const kube = new FakeKube();
    kube.seed({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'routing', namespace: NS }, data: { active: 'b' } });
    const w = world(executionObject(revert.status, {}, 'Revert'), { kube });

    // Act
    const replies = await createRunAction(w.deps).onActionRequested(requested(request.path, 1, 'Revert'));

    // Assess
    assert.equal(request.path, actionPath('s', 0, 's.0.switch'));
    assert.equal(await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', name: 'routing', namespace: NS }), undefined);
    assert.equal(w.action(request.path)?.phase, 'Succeeded');
    assert.deepEqual(
      replies.map((r) => [r.data.operationType, r.extensions?.operationtype, r.data.phase]),
      [['Revert', 'Revert', 'Succeeded']],
    );
  });
});

/** The value of one sample of our metrics (0 when it has not been recorded yet). */
async function sample(name: string, labels: string): Promise<number> {
  const line = (await metricsText()).split('\n').find((candidate) => candidate.startsWith(`${name}{${labels}}`));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

describe('the action metrics', () => {
  test('count each ended attempt by type and result, and each retry', async () => {
    // Prepare: the first attempt fails with 503, the second succeeds
    let calls = 0;
    const fetch: typeof globalThis.fetch = () => Promise.resolve(new Response('', { status: ++calls === 1 ? 503 : 200 }));
    const w = worldOf([httpAction('call', { url: 'http://127.0.0.1:9/x' }, { retryPolicy: { limit: 2, interval: '1s', backoffMultiplier: '2.0' } })], {
      fetch,
    });
    const before = await Promise.all([
      sample('drplan_actions_total', 'type="HTTP",result="Succeeded"'),
      sample('drplan_actions_total', 'type="HTTP",result="Failed"'),
      sample('drplan_action_retries_total', 'type="HTTP"'),
      sample('drplan_action_duration_seconds_count', 'type="HTTP"'),
    ]);

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    const afterwards = await Promise.all([
      sample('drplan_actions_total', 'type="HTTP",result="Succeeded"'),
      sample('drplan_actions_total', 'type="HTTP",result="Failed"'),
      sample('drplan_action_retries_total', 'type="HTTP"'),
      sample('drplan_action_duration_seconds_count', 'type="HTTP"'),
    ]);
    assert.deepEqual(
      afterwards.map((value, i) => value - (before[i] ?? 0)),
      [1, 1, 1, 2],
    );
  });
});
