import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPlanStages } from '../../../../functions/plan-stages/plan-stages.js';
import { HISTORY_LIMIT } from '../../../../shared/api/index.js';
import { driveToEnd, executionObject, harness, planStatusOf, seedPlan, stageOf } from '../../../support/orchestration-helpers.js';

test('the plan history keeps the 10 newest executions, newest first', async () => {
  const h = harness();
  seedPlan(h.kube, 'p', [stageOf('s', ['wf'])], { wf: ['a'] });
  const core = createPlanStages(h);
  const names = Array.from({ length: HISTORY_LIMIT + 2 }, (_, index) => `run-${String(index + 1).padStart(2, '0')}`);

  for (const name of names) {
    h.kube.seed(executionObject(name, 'p'));
    await driveToEnd(h, core, name);
    h.clock.advance(60);
  }

  const plan = await planStatusOf(h.kube, 'p');
  assert.deepEqual(
    plan.executionHistory?.map((record) => record.name),
    [...names].reverse().slice(0, HISTORY_LIMIT),
  );
  assert.equal(plan.lastExecutionRef, 'run-12');
  assert.equal(plan.phase, 'Executed');
});
