/**
 * The routes' use of the event payload: an update of a running execution (a status write) does not
 * wake its orchestrator or cancel; the updates that may need work do.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ApiServerAction, WakeUp } from '../../../shared/runtime/envelope.js';
import type { KubeObject } from '../../../shared/kube/types.js';
import { executionUpdateMatters, routeCancel, routePlanStages, routeRevert } from '../../../shared/runtime/routes.js';
import type { CancelCore, ExecutionDriverCore } from '../../../shared/runtime/routes.js';

const API = 'dr.bkbcs.tencent.com/v1alpha1';

function execution(
  changes: { operationType?: string; status?: Record<string, unknown>; annotations?: Record<string, string>; generation?: number; deleting?: boolean } = {},
): KubeObject {
  return {
    apiVersion: API,
    kind: 'DRPlanExecution',
    metadata: {
      name: 'failover-1',
      namespace: 'dr',
      generation: changes.generation ?? 1,
      ...(changes.annotations === undefined ? {} : { annotations: changes.annotations }),
      ...(changes.deleting === true ? { deletionTimestamp: '2026-11-26T08:00:00Z' } : {}),
    },
    spec: { planRef: 'plan', operationType: changes.operationType ?? 'Execute' },
    ...(changes.status === undefined ? {} : { status: changes.status }),
  };
}

const RUNNING = { phase: 'Running', resolved: { stages: [] }, observedGeneration: 1 };
const wake = (object: KubeObject, action: ApiServerAction = 'update'): WakeUp => ({ source: 'apiserver', action, object });

function driverCore(): ExecutionDriverCore & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    reconcile: (id) => {
      calls.push(`reconcile ${id.namespace}/${id.name}`);
      return Promise.resolve([]);
    },
    resync: () => Promise.resolve([]),
    onActionFinished: () => Promise.resolve([]),
  };
}

function cancelCore(): CancelCore & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    onExecution: (id) => {
      calls.push(`execution ${id.name}`);
      return Promise.resolve([]);
    },
    onPlan: (id) => {
      calls.push(`plan ${id.name}`);
      return Promise.resolve([]);
    },
  };
}

describe('an update of an execution', () => {
  const cases: readonly { name: string; object: KubeObject; matters: boolean }[] = [
    { name: 'a status write of a running execution', object: execution({ status: RUNNING }), matters: false },
    { name: 'an execution not started yet (no frozen plan)', object: execution({ status: { phase: 'Pending' } }), matters: true },
    { name: 'an execution without a status', object: execution(), matters: true },
    {
      name: 'a finished execution (its writer records it; the tick if the writer crashed)',
      object: execution({ status: { ...RUNNING, phase: 'Succeeded' } }),
      matters: false,
    },
    { name: 'a running execution being deleted', object: execution({ status: RUNNING, deleting: true }), matters: true },
    {
      name: 'a finished execution being deleted (its finalizer comes off)',
      object: execution({ status: { ...RUNNING, phase: 'Failed' }, deleting: true }),
      matters: true,
    },
    {
      name: 'a running execution asked to cancel',
      object: execution({ status: RUNNING, annotations: { 'dr.bkbcs.tencent.com/cancel': 'true' } }),
      matters: true,
    },
    { name: 'a running execution whose spec changed since its status was written', object: execution({ status: RUNNING, generation: 2 }), matters: true },
  ];
  for (const c of cases) {
    test(`${c.name} ${c.matters ? 'wakes' : 'does not wake'} its orchestrator`, async () => {
      const core = driverCore();
      const expected = c.matters ? ['reconcile dr/failover-1'] : [];

      await routePlanStages(core, wake(c.object));

      assert.equal(executionUpdateMatters(c.object), c.matters);
      assert.deepEqual(core.calls, expected);
    });
  }

  test('an add always wakes the orchestrator of its operation, and only that one', async () => {
    const execute = driverCore();
    const revert = driverCore();
    const object = execution({ status: RUNNING });

    await routePlanStages(execute, wake(object, 'add'));
    await routeRevert(revert, wake(object, 'add'));

    assert.deepEqual(execute.calls, ['reconcile dr/failover-1']);
    assert.deepEqual(revert.calls, []);
  });

  test('a status write of a running Revert does not wake revert', async () => {
    const core = driverCore();

    await routeRevert(core, wake(execution({ operationType: 'Revert', status: RUNNING })));

    assert.deepEqual(core.calls, []);
  });
});

describe('cancel', () => {
  test('acts on an execution update that carries the cancel annotation', async () => {
    const core = cancelCore();

    await routeCancel(core, wake(execution({ status: RUNNING, annotations: { 'dr.bkbcs.tencent.com/cancel': 'true' } })));

    assert.deepEqual(core.calls, ['execution failover-1']);
  });

  test('answers a status write, or another annotation value, without reading anything', () => {
    const core = cancelCore();

    const first = routeCancel(core, wake(execution({ status: RUNNING })));
    const second = routeCancel(core, wake(execution({ status: RUNNING, annotations: { 'dr.bkbcs.tencent.com/cancel': 'false' } })));

    assert.equal(first, undefined);
    assert.equal(second, undefined);
    assert.deepEqual(core.calls, []);
  });

  test('acts on a plan update that carries trigger=cancel, and on no other plan update', async () => {
    const core = cancelCore();
    const plan = (annotations: Record<string, string>): KubeObject => ({
      apiVersion: API,
      kind: 'DRPlan',
      metadata: { name: 'plan', namespace: 'dr', annotations },
      spec: {},
    });

    await routeCancel(core, wake(plan({ 'dr.bkbcs.tencent.com/trigger': 'cancel' })));
    const ignored = routeCancel(core, wake(plan({ 'dr.bkbcs.tencent.com/trigger': 'execute' })));

    assert.equal(ignored, undefined);
    assert.deepEqual(core.calls, ['plan plan']);
  });
});
