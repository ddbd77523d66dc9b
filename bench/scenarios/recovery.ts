/**
 * Scenario 7: run-action killed (SIGKILL, every replica) in the middle of a sequential plan. The
 * function host restarts it; the broker retries the delivery that failed. Measured: from the kill to
 * the next request the demo target receives (the execution progressing again), and whether the
 * execution still succeeds. The restarted run-action resumes the attempts its earlier boot held at
 * once (ADR 13), with the same Idempotency-Key: the target sees the interrupted request again and
 * answers it from the first, so the effects — distinct keys — stay one per action.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { atMost, ms, type ScenarioResult } from '../report.js';
import { applyReady, executePlan } from '../run-plan.js';
import { SLOW_PATH, type BenchStack } from '../stack.js';
import { chainPlan, httpWorkflow } from '../plans.js';

const ACTIONS = 20;
const KILL_AFTER = 5;
/** As the examples' HTTP actions: an attempt lost with its process is noticed once this has passed. */
const ACTION_TIMEOUT = '10s';

async function killRunActionAfter(bench: BenchStack, requests: number): Promise<number> {
  const fn = bench.stack.functions.find((candidate) => candidate.name === 'run-action');
  if (fn === undefined) throw new Error('the stack runs no run-action function');
  while (bench.target.requests().length < requests) await delay(2);
  const killedAt = Date.now();
  for (const replica of bench.stack.host.replicas(fn.namespace, fn.name)) {
    if (replica.pid !== undefined) process.kill(replica.pid, 'SIGKILL');
  }
  return killedAt;
}

async function nextRequestAfter(bench: BenchStack, killedAt: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const next = bench.target.requests().find((request) => request.startedMs > killedAt);
    if (next !== undefined) return next.startedMs;
    await delay(5);
  }
  return Number.NaN;
}

export async function recoveryScenario(bench: BenchStack): Promise<ScenarioResult> {
  await applyReady(
    bench,
    [httpWorkflow('recovery', ACTIONS, `${bench.target.url}${SLOW_PATH}`, ACTION_TIMEOUT), chainPlan('recovery', [{ workflows: ['recovery'] }])],
    60_000,
  );
  bench.target.reset();
  const running = executePlan(bench, 'recovery', 'recovery', 120_000);
  const killedAt = await killRunActionAfter(bench, KILL_AFTER);
  const resumedAt = await nextRequestAfter(bench, killedAt, 110_000);
  const finished = await running;
  const requests = bench.target.requests().length;
  const effects = requests - bench.target.duplicates();
  const name = '7 recovery (run-action killed)';
  return {
    scenario: name,
    rows: [
      atMost(name, 'kill → next action request', resumedAt - killedAt, { limit: 5_000, show: ms }),
      { scenario: name, measure: 'phase', value: finished.phase, aim: 'Succeeded', met: finished.phase === 'Succeeded' },
      { scenario: name, measure: 'requests received (actions)', value: `${requests} (${ACTIONS})` },
      {
        scenario: name,
        measure: 'effects: distinct Idempotency-Keys (actions)',
        value: `${effects} (${ACTIONS})`,
        aim: String(ACTIONS),
        met: effects === ACTIONS,
      },
      { scenario: name, measure: 'total time', value: ms(finished.elapsedMs) },
    ],
    details: {
      actions: ACTIONS,
      killAfter: KILL_AFTER,
      recoveryMs: resumedAt - killedAt,
      requests,
      effects,
      phase: finished.phase,
      elapsedMs: finished.elapsedMs,
    },
  };
}
