import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createPlanStages } from '../../../../functions/plan-stages/plan-stages.js';
import { createRevert } from '../../../../functions/revert/revert.js';
import { Labels } from '../../../../shared/api/index.js';
import { findActionStatus } from '../../../../shared/engine/status-tree.js';
import type { KubeObject } from '../../../../shared/kube/types.js';
import {
  driveToEnd,
  executionObject,
  fatal,
  harness,
  http,
  id,
  ok,
  planStatusOf,
  readExecution,
  requestedPaths,
  seedPlan,
  stageOf,
  statusOf,
} from '../../../support/orchestration-helpers.js';
import type { Harness } from '../../../support/orchestration-helpers.js';

const undo = (name: string): Record<string, unknown> => ({ type: 'HTTP', http: { url: `https://svc.example/undo-${name}`, method: 'POST' } });

/** Plan p: stage s, workflow wf: a1, a2 (custom rollbacks), notify (HTTP without rollback), a3 (custom rollback). */
function seedSwitchover(h: Harness): void {
  seedPlan(h.kube, 'p', [stageOf('s', ['wf'])], {
    wf: [http('a1', { rollback: undo('a1') }), http('a2', { rollback: undo('a2') }), http('notify'), http('a3', { rollback: undo('a3') })],
  });
}

/** run-1 executed with `failing` failing for good. */
async function executed(h: Harness, failing?: string): Promise<void> {
  seedSwitchover(h);
  h.kube.seed(executionObject('run-1', 'p'));
  await driveToEnd(h, createPlanStages(h), 'run-1', (path) => (path === failing ? fatal('HTTP 503') : ok));
}

function revertOf(name: string, target: string): KubeObject {
  return executionObject(name, 'p', { operationType: 'Revert', revertExecutionRef: target });
}

describe('revert rolling back an execution', () => {
  test('a revert of a Failed execution rolls back only what succeeded, one at a time, in reverse order', async () => {
    const h = harness();
    await executed(h, 's/0/a3');
    h.kube.seed(revertOf('undo-1', 'run-1'));

    const driven = await driveToEnd(h, createRevert(h), 'undo-1');

    assert.deepEqual(driven.batches, [['s/0/s.0.a2'], ['s/0/s.0.a1']]);
    const status = await statusOf(h.kube, 'undo-1');
    assert.equal(status.phase, 'Succeeded');
    assert.deepEqual(
      status.resolved?.rollbackSteps?.map((step) => [step.rollbackOf, step.mode]),
      [
        ['s/0/notify', 'Skip'],
        ['s/0/a2', 'Custom'],
        ['s/0/a1', 'Custom'],
      ],
    );
  });

  test('a step that cannot be undone starts Skipped with its reason and is never requested', async () => {
    const h = harness();
    await executed(h, 's/0/a3');
    h.kube.seed(revertOf('undo-1', 'run-1'));

    const driven = await driveToEnd(h, createRevert(h), 'undo-1');

    const skipped = findActionStatus(await statusOf(h.kube, 'undo-1'), 's/0/s.0.notify');
    assert.deepEqual([skipped?.phase, skipped?.message], ['Skipped', 'an HTTP GET changes nothing at its target; nothing to undo']);
    assert.ok(!driven.batches.flat().includes('s/0/s.0.notify'));
  });

  test('an effect it cannot undo is reported: every other step runs, and the revert ends Failed naming what is left behind', async () => {
    // Prepare: notify is a POST without a rollback
    const h = harness();
    seedPlan(h.kube, 'p', [stageOf('s', ['wf'])], {
      wf: [
        http('a1', { rollback: undo('a1') }),
        http('notify', { http: { url: 'https://chat.example/hook', method: 'POST' } }),
        http('a3', { rollback: undo('a3') }),
      ],
    });
    h.kube.seed(executionObject('run-1', 'p'));
    await driveToEnd(h, createPlanStages(h), 'run-1', () => ok);
    h.kube.seed(revertOf('undo-1', 'run-1'));

    // Act
    const driven = await driveToEnd(h, createRevert(h), 'undo-1');

    // Assess
    assert.deepEqual(driven.batches, [['s/0/s.0.a3'], ['s/0/s.0.a1']]);
    const status = await statusOf(h.kube, 'undo-1');
    assert.equal(status.phase, 'Failed');
    assert.match(status.message ?? '', /^undid 2 actions, but 1 effect of the reverted execution is left behind — undo by hand: s\/0\/notify \(an HTTP POST/);
    const left = findActionStatus(status, 's/0/s.0.notify');
    assert.equal(left?.phase, 'Skipped');
    assert.match(left.message ?? '', /^not undone: an HTTP POST without a custom rollback cannot be undone automatically/);
    assert.equal(
      h.kube.events
        .filter((event) => event.regarding.name === 'undo-1')
        .map((event) => event.reason)
        .at(-1),
      'RevertFailed',
    );
  });

  test('a rollback that fails stops the revert, which fails naming that action; the rest is not rolled back', async () => {
    const h = harness();
    await executed(h);
    h.kube.seed(revertOf('undo-1', 'run-1'));

    const driven = await driveToEnd(h, createRevert(h), 'undo-1', (path) => (path === 's/0/s.0.a2' ? fatal('HTTP 409 from undo-a2') : ok));

    const status = await statusOf(h.kube, 'undo-1');
    assert.equal(status.phase, 'Failed');
    assert.equal(status.message, 'stage "s", workflow s/0 (wf), action "s.0.a2" failed: HTTP 409 from undo-a2');
    assert.deepEqual(driven.batches, [['s/0/s.0.a3'], ['s/0/s.0.a2']]);
    assert.equal(findActionStatus(status, 's/0/s.0.a1')?.phase, 'Skipped');
    assert.deepEqual(
      h.kube.events
        .filter((event) => event.regarding.name === 'undo-1')
        .map((event) => event.reason)
        .at(-1),
      'RevertFailed',
    );
  });

  test('a second revert of the same target leaves out what the first one rolled back', async () => {
    const h = harness();
    await executed(h);
    h.kube.seed(revertOf('undo-1', 'run-1'));
    await driveToEnd(h, createRevert(h), 'undo-1', (path) => (path === 's/0/s.0.a1' ? fatal() : ok));
    h.kube.seed(revertOf('undo-2', 'run-1'));

    const driven = await driveToEnd(h, createRevert(h), 'undo-2');

    assert.deepEqual(driven.batches, [['s/0/s.0.a1']]);
    assert.equal((await statusOf(h.kube, 'undo-2')).phase, 'Succeeded');
  });

  test('the plan is Executed after a successful Execute and Ready again after its successful Revert', async () => {
    const h = harness();
    await executed(h);
    const afterExecute = (await planStatusOf(h.kube, 'p')).phase;
    h.kube.seed(revertOf('undo-1', 'run-1'));

    await driveToEnd(h, createRevert(h), 'undo-1');

    const plan = await planStatusOf(h.kube, 'p');
    assert.equal(afterExecute, 'Executed');
    assert.equal(plan.phase, 'Ready');
    assert.deepEqual(
      plan.executionHistory?.map((record) => [record.name, record.operationType, record.phase]),
      [
        ['undo-1', 'Revert', 'Succeeded'],
        ['run-1', 'Execute', 'Succeeded'],
      ],
    );
    assert.equal(plan.currentExecution, undefined);
  });

  test('a revert is labelled as one, holds the plan lock while it runs, and records Revert events', async () => {
    const h = harness();
    await executed(h);
    h.kube.seed(revertOf('undo-1', 'run-1'));

    const replies = await createRevert(h).reconcile(id('undo-1'));

    const revert = await readExecution(h.kube, 'undo-1');
    assert.deepEqual(requestedPaths(replies), ['s/0/s.0.a3']);
    assert.deepEqual([revert.metadata.labels?.[Labels.operation], revert.metadata.labels?.[Labels.planShort]], ['revert', 'p']);
    assert.deepEqual((await planStatusOf(h.kube, 'p')).currentExecution, { name: 'undo-1', namespace: 'default' });
    const started = h.kube.events.find((event) => event.regarding.name === 'undo-1');
    assert.deepEqual([started?.reason, started?.message], ['RevertStarted', 'Revert started: 1 stage, 4 actions']);
  });

  test('a revert of an execution where nothing succeeded succeeds with nothing to do', async () => {
    const h = harness();
    await executed(h, 's/0/a1');
    h.kube.seed(revertOf('undo-1', 'run-1'));

    const driven = await driveToEnd(h, createRevert(h), 'undo-1');

    assert.deepEqual(driven.batches, []);
    assert.equal((await statusOf(h.kube, 'undo-1')).phase, 'Succeeded');
    assert.equal((await planStatusOf(h.kube, 'p')).currentExecution, undefined);
  });
});

describe('revert refusing a target', () => {
  const refusals: Array<{ name: string; prepare(h: Harness): Promise<KubeObject>; message: string }> = [
    {
      name: 'the target does not exist',
      prepare: (h) => {
        seedSwitchover(h);
        return Promise.resolve(revertOf('undo-1', 'ghost'));
      },
      message: 'spec.revertExecutionRef: execution "ghost" not found in namespace "default"',
    },
    {
      name: 'the target belongs to another plan',
      prepare: async (h) => {
        await executed(h);
        return { ...revertOf('undo-1', 'run-1'), spec: { planRef: 'other', operationType: 'Revert', revertExecutionRef: 'run-1' } };
      },
      message: 'spec.revertExecutionRef: execution "run-1" belongs to plan "p", not to plan "other"',
    },
    {
      name: 'the target still runs',
      prepare: async (h) => {
        seedSwitchover(h);
        h.kube.seed(executionObject('run-1', 'p'));
        await createPlanStages(h).reconcile(id('run-1'));
        return revertOf('undo-1', 'run-1');
      },
      message: 'spec.revertExecutionRef: execution "run-1" is Running; only a Succeeded, Failed or Cancelled execution can be reverted',
    },
    {
      name: 'the revert names no target',
      prepare: (h) => {
        seedSwitchover(h);
        return Promise.resolve(executionObject('undo-1', 'p', { operationType: 'Revert' }));
      },
      message: 'spec.revertExecutionRef: required when operationType is Revert (name the Execute execution to roll back)',
    },
  ];

  for (const c of refusals) {
    test(`a revert fails at once, naming the field, when ${c.name}`, async () => {
      const h = harness();
      h.kube.seed(await c.prepare(h));
      const eventsBefore = h.kube.events.length;

      const replies = await createRevert(h).reconcile(id('undo-1'));

      const status = await statusOf(h.kube, 'undo-1');
      assert.equal(status.phase, 'Failed');
      assert.equal(status.message, c.message);
      assert.equal(status.completionTime, h.clock.now().toISOString());
      assert.deepEqual(
        replies.map((reply) => reply.type),
        ['com.tencent.bkbcs.dr.execution.finished'],
      );
      assert.deepEqual(
        h.kube.events.slice(eventsBefore).map((event) => [event.type, event.reason, event.message]),
        [['Warning', 'RevertFailed', c.message]],
      );
    });
  }

  test('a revert started while an Execute of the plan runs fails naming the running execution', async () => {
    const h = harness();
    await executed(h);
    h.kube.seed(executionObject('run-2', 'p'));
    await createPlanStages(h).reconcile(id('run-2'));
    h.kube.seed(revertOf('undo-1', 'run-1'));

    await createRevert(h).reconcile(id('undo-1'));

    assert.equal((await statusOf(h.kube, 'undo-1')).message, 'plan "p" is already running execution "run-2"');
  });

  test('revert leaves Execute executions to plan-stages', async () => {
    const h = harness();
    seedSwitchover(h);
    h.kube.seed(executionObject('run-1', 'p'));

    assert.deepEqual(await createRevert(h).reconcile(id('run-1')), []);
    assert.deepEqual(h.kube.writes(), []);
  });
});

describe('revert under duplicate delivery', () => {
  test('the add event of a revert delivered twice starts it once', async () => {
    const h = harness();
    await executed(h);
    h.kube.seed(revertOf('undo-1', 'run-1'));
    const core = createRevert(h);
    await core.reconcile(id('undo-1'));
    const writes = h.kube.writes().length;

    assert.deepEqual(await core.reconcile(id('undo-1')), []);
    assert.equal(h.kube.writes().length, writes);
  });

  test('the resync tick drives reverts and leaves finished ones alone', async () => {
    const h = harness();
    await executed(h);
    h.kube.seed(revertOf('undo-1', 'run-1'));

    const first = await createRevert(h).resync();
    const writes = h.kube.writes().length;
    const second = await createRevert(h).resync();

    assert.deepEqual(requestedPaths(first), ['s/0/s.0.a3']);
    assert.deepEqual(second, []);
    assert.equal(h.kube.writes().length, writes);
  });
});
