/**
 * Scenario 5: many executions at once — K plans (a plan runs one execution at a time), each one stage
 * of one workflow of three actions against the demo target's fixed delay, all created together. Total
 * time, failures (anything but Succeeded) and the API request rate the functions made meanwhile.
 */
import { difference, total } from '../api-proxy.js';
import { ms, atMost, type ScenarioResult } from '../report.js';
import { applyReady, executePlan, retriedActions, type Finished } from '../run-plan.js';
import { SLOW_PATH, type BenchStack } from '../stack.js';
import { chainPlan, httpWorkflow } from '../plans.js';

const ACTIONS = 3;

/** Each count in turn, with names of its own (`many50-1`, …), so the runs do not meet. */
export async function manyScenario(bench: BenchStack, counts: readonly number[]): Promise<ScenarioResult> {
  const results: ScenarioResult[] = [];
  for (const count of counts) results.push(await manyAtOnce(bench, count));
  return { scenario: '5 many', rows: results.flatMap((result) => result.rows), details: { runs: results.map((result) => result.details) } };
}

async function manyAtOnce(bench: BenchStack, count: number): Promise<ScenarioResult> {
  const workflow = `many${count}`;
  const plans = Array.from({ length: count }, (_, index) => `many${count}-${index + 1}`);
  await applyReady(
    bench,
    [httpWorkflow(workflow, ACTIONS, `${bench.target.url}${SLOW_PATH}`), ...plans.map((plan) => chainPlan(plan, [{ workflows: [workflow] }]))],
    120_000 + count * 500,
  );
  const before = bench.proxy.counts();
  const started = Date.now();
  const outcomes = await Promise.all(
    plans.map((plan) =>
      executePlan(bench, plan, plan, 120_000).catch((error: unknown): Finished | Error => (error instanceof Error ? error : new Error(String(error)))),
    ),
  );
  const elapsedMs = Date.now() - started;
  const requests = total(difference(bench.proxy.counts(), before));
  const failures = outcomes.filter((outcome) => outcome instanceof Error || outcome.phase !== 'Succeeded');
  const name = `5 many: ${count} executions at once`;
  return {
    scenario: name,
    rows: [
      { scenario: name, measure: 'total time', value: ms(elapsedMs) },
      atMost(name, 'failures', failures.length, { limit: 0, show: String }),
      {
        scenario: name,
        measure: 'actions needing a 2nd attempt',
        value: String(outcomes.reduce((sum, o) => sum + (o instanceof Error ? 0 : retriedActions(o.status)), 0)),
      },
      { scenario: name, measure: 'API requests/s (functions)', value: (requests / (elapsedMs / 1000)).toFixed(0) },
      { scenario: name, measure: 'slowest execution', value: ms(Math.max(...outcomes.flatMap((o) => (o instanceof Error ? [] : [o.elapsedMs])))) },
    ],
    details: {
      count,
      actionsEach: ACTIONS,
      elapsedMs,
      requests,
      failures: failures.map((failure) => (failure instanceof Error ? failure.message : `${failure.name}: ${failure.phase} ${failure.message ?? ''}`)),
    },
  };
}
