/**
 * Scenario 2: a chain of stages, each running P workflows of A actions in parallel, against the demo
 * target's fixed delay. The baseline is the critical path — stages × actions × delay — which no
 * orchestrator can beat.
 */
import { ms, type ScenarioResult } from '../report.js';
import { applyReady, executeWithin, isUnfinished, retriedActions } from '../run-plan.js';
import type { Row } from '../report.js';
import { SLOW_PATH, type BenchStack } from '../stack.js';
import { chainPlan, httpWorkflow } from '../plans.js';

export interface FanoutShape {
  stages: number;
  workflows: number;
  actions: number;
}

export async function fanoutScenario(bench: BenchStack, shape: FanoutShape, delayMs: number): Promise<ScenarioResult> {
  const budgetMs = 180_000;
  const url = `${bench.target.url}${SLOW_PATH}`;
  const names = Array.from({ length: shape.workflows }, (_, index) => `fan-${index + 1}`);
  const workflows = names.map((workflow) => httpWorkflow(workflow, shape.actions, url));
  const plan = chainPlan(
    'fanout',
    Array.from({ length: shape.stages }, () => ({ workflows: names })),
  );
  await applyReady(bench, [...workflows, plan], 60_000);
  bench.target.reset();
  const finished = await executeWithin(bench, 'fanout', 'fanout', budgetMs);
  const name = `2 fan-out ${shape.stages}×${shape.workflows}×${shape.actions}`;
  if (isUnfinished(finished)) {
    const row: Row = { scenario: name, measure: 'phase', value: `unfinished after ${ms(budgetMs)}: ${finished.progress}`, aim: 'Succeeded', met: false };
    return { scenario: name, rows: [row], details: { ...shape, delayMs, ...finished } };
  }
  const criticalMs = shape.stages * shape.actions * delayMs;
  const total = shape.stages * shape.workflows * shape.actions;
  const requests = bench.target.requests().length;
  return {
    scenario: name,
    rows: [
      { scenario: name, measure: 'phase', value: finished.phase, aim: 'Succeeded', met: finished.phase === 'Succeeded' },
      { scenario: name, measure: `plan time (${total} actions)`, value: ms(finished.elapsedMs) },
      { scenario: name, measure: 'critical path (stages × actions × delay)', value: ms(criticalMs) },
      { scenario: name, measure: 'ratio plan/critical path', value: (finished.elapsedMs / criticalMs).toFixed(2) },
      {
        scenario: name,
        measure: 'actions needing a 2nd attempt',
        value: String(retriedActions(finished.status)),
        aim: '0',
        met: retriedActions(finished.status) === 0,
      },
      { scenario: name, measure: 'requests the target received', value: String(requests), aim: String(total), met: requests === total },
    ],
    details: { ...shape, delayMs, planMs: finished.elapsedMs, criticalMs, requests, phase: finished.phase, message: finished.message },
  };
}
