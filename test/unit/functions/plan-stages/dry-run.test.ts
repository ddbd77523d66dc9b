/** The orchestration of a dry run: no plan lock, not in the plan's history, and nothing to revert. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createPlanStages } from '../../../../functions/plan-stages/plan-stages.js';
import { createRevert } from '../../../../functions/revert/revert.js';
import { driveToEnd, executionObject, harness, id, planStatusOf, seedPlan, stageOf, statusOf } from '../../../support/orchestration-helpers.js';

const dryRun = (name: string) => {
  const object = executionObject(name, 'p');
  return { ...object, spec: { ...(object.spec as object), dryRun: true } };
};

describe('a dry run of a plan', () => {
  test('starts beside the execution that holds the plan, and is not recorded in its history', async () => {
    // Prepare: run-1 holds the plan
    const h = harness();
    seedPlan(h.kube, 'p', [stageOf('s', ['wf'])], { wf: ['a', 'b'] });
    h.kube.seed(executionObject('run-1', 'p'));
    const core = createPlanStages(h);
    await core.reconcile(id('run-1'));
    h.kube.seed(dryRun('rehearsal'));

    // Act
    const driven = await driveToEnd(h, core, 'rehearsal');

    // Assess
    assert.deepEqual(driven.batches, [['s/0/a'], ['s/0/b']]);
    const status = await statusOf(h.kube, 'rehearsal');
    assert.equal(status.phase, 'Succeeded');
    const recorded = status.conditions?.find((condition) => condition.type === 'Recorded');
    assert.deepEqual([recorded?.status, recorded?.reason], ['True', 'DryRun']);
    const plan = await planStatusOf(h.kube, 'p');
    assert.equal(plan.currentExecution?.name, 'run-1', 'the lock stays with run-1');
    assert.deepEqual(plan.executionHistory ?? [], []);
    assert.deepEqual([plan.lastDryRun?.name, plan.lastDryRun?.phase], ['rehearsal', 'Succeeded']);
  });

  test('cannot be reverted: it changed nothing', async () => {
    const h = harness();
    seedPlan(h.kube, 'p', [stageOf('s', ['wf'])], { wf: ['a'] });
    h.kube.seed(dryRun('rehearsal'));
    await driveToEnd(h, createPlanStages(h), 'rehearsal');
    h.kube.seed(executionObject('undo', 'p', { operationType: 'Revert', revertExecutionRef: 'rehearsal' }));

    await createRevert(h).reconcile(id('undo'));

    const status = await statusOf(h.kube, 'undo');
    assert.equal(status.phase, 'Failed');
    assert.equal(status.message, 'spec.revertExecutionRef: execution "rehearsal" is a dry run: it changed nothing, so there is nothing to revert');
  });
});
